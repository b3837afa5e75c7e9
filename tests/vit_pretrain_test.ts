import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gpu, noGpu } from "./_gpu.ts";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { type Config, loadConfig } from "../lib/config/pretrain_config.ts";
import { type FinetuneConfig, loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { ConfigError } from "../lib/errors.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { createMimNet } from "../lib/model/mim_net.ts";
import { checkPretrainedArch } from "../lib/model/load_pretrained.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { trainStep } from "../lib/pretrain/train_step.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { benchBatch } from "../lib/bench/bench_unet.ts";
import { tinyConfig } from "./_tiny_config.ts";

await setupWasmBackend({ threads: 1 });

/** A ViT small enough for a test: 32 px, patch 8 (16 tokens), D 32, 2 blocks. */
const VIT = [
  "model.arch=vit",
  "model.vit.width=32",
  "model.vit.depth=2",
  "model.vit.heads=2",
  "model.vit.decoderWidth=16",
  "model.vit.decoderDepth=1",
  "model.vit.decoderHeads=2",
  "data.size=32",
  "mask.patchSize=8",
  "mask.maskRatio=0.75",
];
const UNETR_VIT = { patchSize: 8, width: 32, depth: 2, heads: 2, mlpRatio: 4, classToken: true };

function pretrainConfig(dir: string, name: string, extra: string[] = []): Promise<Config> {
  return loadConfig(undefined, [
    ...VIT,
    `run.outDir=${dir}`,
    `run.name=${name}`,
    "data.count=32",
    "train.epochs=8",
    "train.ckptEvery=8",
    "train.previewCount=2",
    "optim.lr=3e-3",
    "optim.warmupEpochs=1",
    ...extra,
  ]);
}

Deno.test("ViT-MAE and ViT-HPM pretraining runs lower the loss; UNETR fine-tunes from each checkpoint with a loaded/fresh/skipped report and is evaluated", async () => {
  const dir = await Deno.makeTempDir();
  try {
    for (const method of ["random", "hpm"] as const) {
      const config = await pretrainConfig(dir, `vit_${method}`, [`mask.method=${method}`]);
      const result = await runPretraining(config, { progress: null });
      assert.equal(result.net.arch, "vit");
      const rec = result.epochs.map((e) => e.reconstruction!); // a number for every MIM method
      assert.ok(
        rec.at(-1)! < 0.8 * rec[0]!,
        `${method}: loss should fall: ${rec.map((l) => l.toFixed(3))}`,
      );
      if (method === "hpm") {
        // the ranking loss of the loss predictor is part of the trained loss
        assert.ok(result.epochs.every((e) => e.loss > e.reconstruction!), "ranking term");
      }
      await Deno.stat(`${result.runDir}/preview.png`);
      const ckpt = await loadCheckpoint(`${result.runDir}/checkpoint_last.ckpt`);
      for (const name of ["params/encoder.block1.attn.qkv.w", "params/decoder.mask_token"]) {
        assert.ok(ckpt.tensors.has(name), name);
      }
      assert.equal(ckpt.tensors.has("teacher/losspred.pred.w"), method === "hpm");

      const ft = tinyConfig(dir, {
        run: { name: `unetr_${method}` },
        model: {
          arch: "vit",
          vit: UNETR_VIT,
          unetr: { featureSize: 4 },
          init: "encoder",
          checkpoint: `${result.runDir}/checkpoint_last.ckpt`,
        },
        train: { epochs: 2, valEvery: 1 },
      });
      const tuned = await runFinetune(ft, { progress: null, log: () => {} });
      const report = tuned.transfer!;
      const names = [...tuned.net.params.keys()];
      assert.deepEqual(report.loaded, names.filter((n) => n.startsWith("encoder.")));
      assert.deepEqual(report.fresh, names.filter((n) => n.startsWith("unetr.")));
      const skipped = [...ckpt.tensors.keys()].filter((k) =>
        k.startsWith("params/decoder.") || k.startsWith("params/losspred.")
      ).map((k) => k.slice(7));
      assert.deepEqual(report.skipped, skipped);
      assert.equal(skipped.some((n) => n.startsWith("losspred.")), method === "hpm");
      // the loaded weights are the pretrained ones (fine-tuning moved them since: compare at load time)
      assert.match(
        tuned.init,
        /^loaded \d+ tensors .*encoder\.block0.*fresh .*unetr\..*skipped .*decoder\./,
      );
      const evaluation = await runEvaluate(tuned.runDir, { log: () => {} });
      assert.ok(evaluation.rows.length > 0);
      assert.ok(Number.isFinite(evaluation.summaries.foreground!.dsc.mean));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("checkPretrainedArch() refuses another architecture or another ViT", async () => {
  const pre = await pretrainConfig("runs", "x");
  const ft = (vit: object, arch = "vit") =>
    ({ model: { arch, vit: { ...UNETR_VIT, ...vit } } }) as unknown as FinetuneConfig;
  checkPretrainedArch(pre, ft({}), "p.ckpt");
  assert.throws(
    () => checkPretrainedArch(pre, ft({ heads: 4 }), "p.ckpt"),
    /heads 2, model\.vit\.heads is 4/,
  );
  assert.throws(() => checkPretrainedArch(pre, ft({ patchSize: 4 }), "p.ckpt"), /patchSize 8/);
  assert.throws(() => checkPretrainedArch(pre, ft({}, "unet"), "p.ckpt"), /holds a "vit" network/);
  const unet = await loadConfig(undefined, []);
  assert.throws(() => checkPretrainedArch(unet, ft({}), "p.ckpt"), /holds a "unet" network/);
});

Deno.test("ViT configs name the key of a bad value or pair", async () => {
  const bad = async (overrides: string[], key: string, finetune = false) => {
    await assert.rejects(
      () => finetune ? loadFinetuneConfig(undefined, overrides) : loadConfig(undefined, overrides),
      (e: unknown) => e instanceof ConfigError && e.key === key,
      overrides.join(" "),
    );
  };
  await bad([...VIT, "mask.objective=simmim"], "mask.objective");
  await bad([...VIT, "model.vit.heads=3"], "model.vit.width");
  await bad([...VIT, "model.vit.decoderWidth=18"], "model.vit.decoderWidth");
  await bad(["model.arch=transformer"], "model.arch");
  await bad(
    ["model.arch=vit", "model.vit.patchSize=12", "data.size=48"],
    "model.vit.patchSize",
    true,
  );
  await bad(
    ["model.arch=vit", "model.init=encoder_decoder", "model.checkpoint=x"],
    "model.init",
    true,
  );
  // GroupNorm and the layer-wise decay follow the U-Net's convolutions and levels
  await bad([...VIT, "model.norm=group"], "model.norm");
  await bad(["model.arch=vit", "model.norm=group"], "model.norm", true);
  await bad(["model.arch=vit", "optim.layerDecay=0.8"], "optim.layerDecay", true);
  // the presets load
  for (
    const file of [
      "pretrain_vit_mae",
      "pretrain_vit_hpm",
      "pretrain_vit_b16_mae",
      "pretrain_vit_b16_hpm",
    ]
  ) {
    assert.equal((await loadConfig(`configs/${file}.yaml`)).model.arch, "vit", file);
  }
  for (
    const file of [
      "finetune_phantoms_unetr_mae",
      "finetune_phantoms_unetr_hpm",
      "finetune_phantoms_unetr_scratch",
      "finetune_unetr_b16",
    ]
  ) {
    assert.equal((await loadFinetuneConfig(`configs/${file}.yaml`)).model.arch, "vit", file);
  }
});

/** One ViT training step from seed 1 on the bench batch; its [total, reconstruction]. */
async function oneStep(extra: string[]): Promise<number[]> {
  const config = await pretrainConfig("runs", "step", extra);
  const ctx = await createKernelContext();
  const hpm = config.mask.method === "hpm";
  const net = createMimNet(config, { channels: 1, lossPredictor: hpm }, 1);
  const teacher = hpm ? createMimNet(config, { channels: 1, lossPredictor: true }, 1) : null;
  const state = { config, ctx, net, optimizer: createAdamWState(net.params), teacher };
  const x = tf.tensor4d(benchBatch(8, 32), [8, 32, 32, 1]);
  const out = trainStep(state, x, { epoch: 3, step: 0, steps: 4, lr: 1e-3 });
  const values = [...await out.data()];
  tf.dispose([x, out, ...net.params.values(), ...(teacher?.params.values() ?? [])]);
  return values;
}

Deno.test("every masking strategy masks ViT tokens: MPS, MPS-AMS, AMR, CRCL and HPM steps give finite losses", async () => {
  await tf.setBackend("wasm");
  for (
    const extra of [
      ["mask.method=mps"],
      ["mask.method=mps_ams", "mask.amr.enabled=true"],
      ["mask.ablation=AMLP"],
      ["mask.method=hpm"],
    ]
  ) {
    const [total, reconstruction] = await oneStep(extra);
    assert.ok(Number.isFinite(total!) && Number.isFinite(reconstruction!), extra.join(" "));
    assert.ok(reconstruction! > 0, extra.join(" "));
  }
});

Deno.test({
  name:
    "a ViT-HPM step on the shared webgpu device (WGSL token kernels) equals the wasm step (TS twins)",
  ignore: noGpu,
  async fn() {
    await tf.setBackend("wasm");
    const wasm = await oneStep(["mask.method=hpm"]);
    await useWebGpuBackend(gpu!);
    const webgpu = await oneStep(["mask.method=hpm"]);
    await tf.setBackend("wasm");
    webgpu.forEach((v, i) =>
      assert.ok(Math.abs(v - wasm[i]!) <= 1e-4 * Math.abs(wasm[i]!), `${v} vs ${wasm[i]}`)
    );
  },
});
