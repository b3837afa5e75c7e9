import assert from "node:assert/strict";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { initTf } from "../lib/backend/init_tf.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";

// Each method of issue #4 pretrains end to end from its config and its loss goes down.
const CASES: Array<[string, string[]]> = [
  ["configs/pretrain_amlp.yaml", []],
  ["configs/pretrain_mps_ams.yaml", []],
  ["configs/pretrain_simmim.yaml", []],
  ["", ["mask.ablation=MPS-AMR"]],
  ["", ["mask.ablation=AMR-CRCL"]],
  ["configs/pretrain_hpm.yaml", []],
];

for (const [file, extra] of CASES) {
  Deno.test(`runPretraining() with ${file || extra.join(" ")}: loss goes down`, async () => {
    await initTf("auto");
    const outDir = await Deno.makeTempDir();
    try {
      const path = file ? new URL(`../${file}`, import.meta.url).pathname : undefined;
      const config = await loadConfig(path, [
        ...extra,
        "data.count=48",
        "model.baseWidth=4",
        "train.epochs=6",
        "train.previewCount=0",
        "optim.warmupEpochs=1",
        "optim.lr=0.003",
        `run.outDir=${outDir}`,
      ]);
      const { epochs } = await runPretraining(config, { progress: null });
      const first = epochs[0]!.loss, last = epochs.at(-1)!.loss;
      assert.ok(last < first, `loss ${first} -> ${last}`);
    } finally {
      await Deno.remove(outDir, { recursive: true });
    }
  });
}
