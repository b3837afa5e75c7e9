import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { writePng } from "../lib/io/png.ts";
import { tinyConfig } from "./_tiny_config.ts";

await setupWasmBackend({ threads: 1 });

Deno.test("evaluate writes predictions and overlays of BUSI-style case ids (class/name) into class folders", async () => {
  const root = await Deno.makeTempDir();
  try {
    const d = 32;
    for (const cls of ["benign", "malignant"]) {
      await Deno.mkdir(`${root}/busi/${cls}`, { recursive: true });
      for (let k = 1; k <= 5; k++) {
        const mask = new Uint8Array(d * d);
        const image = new Uint8Array(d * d);
        for (let y = 0; y < d; y++) {
          for (let x = 0; x < d; x++) {
            const inside = Math.abs(x - 10 - k) < 5 && Math.abs(y - 16) < 5;
            mask[y * d + x] = inside ? 255 : 0;
            image[y * d + x] = inside ? 40 : 120 + ((x * 7 + y * 3 + k) % 40);
          }
        }
        await writePng(`${root}/busi/${cls}/${cls} (${k}).png`, {
          width: d,
          height: d,
          channels: 1,
          data: image,
        });
        await writePng(`${root}/busi/${cls}/${cls} (${k})_mask.png`, {
          width: d,
          height: d,
          channels: 1,
          data: mask,
        });
      }
    }
    await runPreprocess(resolvePreprocessConfig({
      layout: "busi",
      input: `${root}/busi`,
      output: `${root}/cache`,
      size: d,
      mode: "finetune",
    }));
    const config = tinyConfig(root, {
      data: { source: "cache", cacheDir: `${root}/cache`, size: d },
      train: { epochs: 1, valEvery: 1 },
      eval: { overlays: 10 },
    });
    await runFinetune(config, { progress: null, log: () => {} });
    const result = await runEvaluate(`${root}/tiny`, { log: () => {}, edt: "cpu" });
    assert.ok(result.rows.length > 0);
    for (const row of result.rows) {
      assert.match(row.caseId, /^(benign|malignant)\//);
      assert.ok((await Deno.stat(`${result.evalDir}/predictions/${row.caseId}.png`)).isFile);
      assert.ok((await Deno.stat(`${result.evalDir}/overlays/${row.caseId}.png`)).isFile);
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
