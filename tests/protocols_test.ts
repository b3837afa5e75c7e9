import assert from "node:assert/strict";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { configFrom } from "../lib/config/load_config.ts";
import { PRETRAIN_SCHEMA } from "../lib/config/pretrain_config.ts";

Deno.test("protocol: paper puts the papers' values under the user's settings", async () => {
  const paper = await loadConfig(undefined, ["protocol=paper"]);
  assert.equal(paper.optim.lr, 1e-4, "AMLP: AdamW 1e-4");
  assert.equal(paper.mask.maskRatio, 0.75, "MPS-AMS: the base masks 75%");
  assert.equal(paper.train.epochs, 800);
  assert.equal(paper.model.baseWidth, 64);
  assert.equal(paper.data.size / paper.mask.patchSize, 16, "256 patches");
  // a key the user sets still wins, whatever its layer
  const mine = await loadConfig(undefined, ["protocol=paper", "train.epochs=3"]);
  assert.equal(mine.train.epochs, 3);
  assert.equal(mine.optim.lr, 1e-4);
  assert.equal(
    configFrom(PRETRAIN_SCHEMA, { protocol: "paper", optim: { lr: 5e-4 } }).optim.lr,
    5e-4,
  );
  const ft = await loadFinetuneConfig(undefined, ["protocol=paper"]);
  assert.deepEqual([ft.optim.lr, ft.optim.weightDecay, ft.train.epochs], [1e-4, 1e-4, 70]);
});

Deno.test("protocol: custom (the default) adds nothing, and an unknown protocol is refused", async () => {
  const plain = await loadConfig(undefined, []);
  assert.equal(plain.protocol, "custom");
  assert.equal(plain.optim.lr, 2e-3);
  await assert.rejects(loadConfig(undefined, ["protocol=fast"]), /protocol/);
});
