import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { DEFAULT_CONFIG, loadConfig, resolveAblation } from "../lib/config/pretrain_config.ts";
import type { Config } from "../lib/config/pretrain_config.ts";
import { pretrainLoss } from "../lib/loss/total_loss.ts";
import { attentionReconstructionLoss } from "../lib/loss/arl.ts";
import { maskedReconstructionLoss } from "../lib/loss/mim_loss.ts";
import { maskPlan } from "../lib/masking/make_mask.ts";
import { ConfigError } from "../lib/errors.ts";
import { assertClose } from "./_assert.ts";

await tf.setBackend("cpu");
const CPU = { mode: "cpu" } as const;

function batch() {
  const rand = (seed: number) =>
    tf.randomUniform([2, 8, 8, 1], -1, 1, "float32", seed) as tf.Tensor4D;
  const mask = tf.tensor2d([[1, 0, 1, 0], [0, 1, 1, 1]]);
  return { pred: rand(1), target: rand(2), mask };
}

function withLoss(loss: Partial<Config["loss"]>, mask: Partial<Config["mask"]> = {}): Config {
  const d = DEFAULT_CONFIG;
  return {
    ...d,
    data: { ...d.data, size: 8 },
    mask: { ...d.mask, patchSize: 4, ...mask },
    loss: { ...d.loss, ...loss },
  };
}

Deno.test("pretrainLoss() with loss.arl alone adds L_rrl (random masking, no k-means labels)", () => {
  const config = withLoss({ arl: true, ccl: false });
  assert.equal(maskPlan(config).lesionLabels, false, "ARL alone needs no k-means");
  const { pred, target, mask } = batch();
  const { total, reconstruction } = pretrainLoss(CPU, config, {
    pred,
    target,
    mask,
    fg: null,
    coin: null,
    predictedLoss: null,
  });
  const { loss, perPatch } = maskedReconstructionLoss(CPU, pred, target, mask, config.mask);
  const rrl = attentionReconstructionLoss(perPatch, mask, { reading: "weight" });
  assertClose(reconstruction.dataSync(), loss.dataSync());
  assertClose(total.dataSync(), [loss.dataSync()[0]! + rrl.dataSync()[0]!], 1e-6);
  assert.ok(total.dataSync()[0]! > reconstruction.dataSync()[0]!, "the ARL term is there");
});

Deno.test("pretrainLoss() refuses CCL without k-means labels instead of dropping it", () => {
  const { pred, target, mask } = batch();
  assert.throws(
    () =>
      pretrainLoss(CPU, withLoss({ ccl: true }), {
        pred,
        target,
        mask,
        fg: null,
        coin: null,
        predictedLoss: null,
      }),
    /CCL/,
  );
});

Deno.test("resolveAblation() leaves CCL out of the rows without MPS (AMLP sec. 4.8), ARL in", () => {
  const row = (ablation: Config["mask"]["ablation"]) =>
    resolveAblation({ ...DEFAULT_CONFIG, mask: { ...DEFAULT_CONFIG.mask, ablation } }).loss;
  assert.deepEqual([row("CRCL").arl, row("CRCL").ccl], [true, false]);
  assert.deepEqual([row("AMR-CRCL").arl, row("AMR-CRCL").ccl], [true, false]);
  assert.deepEqual([row("MPS-CRCL").arl, row("MPS-CRCL").ccl], [true, true]);
  assert.deepEqual([row("AMLP").arl, row("AMLP").ccl], [true, true]);
  assert.deepEqual([row("BASE").arl, row("BASE").ccl], [false, false]);
});

Deno.test("loadConfig() refuses ARL with hard patches mining, naming loss.arl", async () => {
  await assert.rejects(
    () => loadConfig(undefined, ["mask.method=hpm", "loss.arl=true"]),
    (e: unknown) => e instanceof ConfigError && e.key === "loss.arl",
  );
});

Deno.test("the default MPS order is easy to hard, the order behind AMLP's headline numbers", () => {
  assert.equal(DEFAULT_CONFIG.mask.order, "easyToHard");
});
