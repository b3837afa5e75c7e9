import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";
import { gpu, noGpu } from "./_gpu.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { tinyConfig } from "./_tiny_config.ts";
import { initTf } from "../lib/backend/init_tf.ts";
import { type Config, loadConfig } from "../lib/config/pretrain_config.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import {
  createContrastiveNet,
  createTargetNet,
  targetParamNames,
} from "../lib/model/contrastive_net.ts";
import { PROTOTYPES } from "../lib/model/prototypes.ts";
import type { UNet } from "../lib/model/unet.ts";
import { createSwavQueue, SWAV_QUEUE } from "../lib/model/swav_queue.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { contrastiveStep } from "../lib/pretrain/contrastive_step.ts";
import type { PretrainState } from "../lib/pretrain/train_step.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { makeRng } from "../lib/random.ts";

await initTf("wasm");
const WASM = tf.getBackend();

const TINY = [
  "data.count=16",
  "data.size=32",
  "model.baseWidth=2",
  "pretrain.hidden=16",
  "pretrain.projection=8",
  "pretrain.swav.prototypes=6",
  "pretrain.swav.queueLength=8", // full after 2 steps of 4 images
  "train.batchSize=4",
  "train.previewCount=2",
  "optim.warmupEpochs=0",
];

async function tinyState(
  method: string,
  extra: string[] = [],
  kernels: "cpu" | "gpu" = "cpu",
): Promise<PretrainState> {
  const config = await loadConfig(undefined, [...TINY, `pretrain.method=${method}`, ...extra]);
  const net = createContrastiveNet({
    method: method as "simclr" | "byol" | "swav",
    inChannels: 1,
    baseWidth: 2,
    hidden: 16,
    projection: 8,
    prototypes: 6,
  }, 5);
  return {
    config,
    ctx: await createKernelContext(kernels),
    net,
    optimizer: createAdamWState(net.params),
    teacher: method === "byol" ? createTargetNet(net) : null,
    buffers: new Map(
      method === "swav" && config.pretrain.swav.queueLength > 0
        ? [[SWAV_QUEUE, createSwavQueue(config.pretrain.swav.queueLength, 8)]]
        : [],
    ),
  };
}

function batch(seed: number): tf.Tensor4D {
  const rng = makeRng(seed);
  return tf.tensor4d(Float32Array.from({ length: 4 * 32 * 32 }, () => rng.next() - 0.5), [
    4,
    32,
    32,
    1,
  ]);
}

const values = (m: ReadonlyMap<string, tf.Variable>) =>
  new Map([...m].map(([k, v]) => [k, Float32Array.from(v.dataSync())]));

Deno.test("BYOL: the target never receives gradients; it moves only by EMA of the online network", async () => {
  // decay 1: whatever happens to the online network, the target stays bit for bit
  const frozen = await tinyState("byol", ["pretrain.byol.emaStart=1", "pretrain.byol.emaEnd=1"]);
  const before = values(frozen.teacher!.params);
  const online = values(frozen.net.params);
  const place = { epoch: 0, step: 0, steps: 10, lr: 1e-2 };
  for (let step = 0; step < 2; step++) {
    tf.dispose(contrastiveStep(frozen, batch(step), { ...place, step }));
  }
  for (const [name, v] of frozen.teacher!.params) {
    assert.equal(v.trainable, false, name);
    assert.deepEqual(v.dataSync(), before.get(name), `${name} unchanged`);
  }
  const moved = [...frozen.net.params].filter(([k, v]) =>
    v.dataSync().some((x, i) => x !== online.get(k)![i])
  );
  assert.ok(moved.length > 20, `the online network trains (${moved.length} tensors moved)`);
  // decay d: target' = d * target + (1 - d) * online' exactly, online' the updated online weights
  const ema = await tinyState("byol", ["pretrain.byol.emaStart=0.9", "pretrain.byol.emaEnd=0.9"]);
  const target = values(ema.teacher!.params);
  tf.dispose(contrastiveStep(ema, batch(1), place));
  for (const name of targetParamNames(ema.net as UNet)) {
    const t = target.get(name)!, o = ema.net.params.get(name)!.dataSync();
    const expected = t.map((v, i) => 0.9 * v + 0.1 * o[i]!);
    assertClose(ema.teacher!.params.get(name)!.dataSync(), expected, 1e-6, name);
  }
});

Deno.test("SwAV: prototypes normalised every step, frozen during the first epoch", async () => {
  const state = await tinyState("swav");
  const c = state.net.params.get(PROTOTYPES)!;
  c.assign(tf.mul(c, 3)); // off the unit sphere
  tf.dispose(contrastiveStep(state, batch(2), { epoch: 0, step: 0, steps: 4, lr: 1e-2 }));
  // epoch 0: normalised but not trained (unit columns, the initial directions)
  assertClose(tf.norm(c, 2, 0).dataSync(), new Float32Array(6).fill(1), 1e-5, "unit columns");
  const frozen = Float32Array.from(c.dataSync());
  tf.dispose(contrastiveStep(state, batch(3), { epoch: 1, step: 0, steps: 4, lr: 1e-2 }));
  assert.ok(c.dataSync().some((v, i) => Math.abs(v - frozen[i]!) > 1e-6), "trained after epoch 0");
});

Deno.test("SwAV queue: newest first, unit projections, used once full", async () => {
  const withQueue = await tinyState("swav");
  const without = await tinyState("swav", ["pretrain.swav.queueLength=0"]);
  const queue = withQueue.buffers!.get(SWAV_QUEUE)!;
  const losses: number[][] = [[], []];
  for (let step = 0; step < 3; step++) {
    [withQueue, without].forEach((state, i) => {
      const loss = contrastiveStep(state, batch(10 + step), { epoch: 1, step, steps: 4, lr: 1e-2 });
      losses[i]!.push(loss.dataSync()[0]!);
      loss.dispose();
    });
    if (step === 0) {
      // 4 rows per view at the front, unit length; the rest still empty
      const norms = tf.norm(queue, 2, 2).arraySync() as number[][];
      for (const row of norms) {
        assertClose(row.slice(0, 4), [1, 1, 1, 1], 1e-5, "pushed rows");
        assert.deepEqual(row.slice(4), [0, 0, 0, 0]);
      }
    }
  }
  // not used while filling (steps 0 and 1: the same losses as without a queue), used when full
  assert.deepEqual(losses[0]!.slice(0, 2), losses[1]!.slice(0, 2));
  assert.notEqual(losses[0]![2], losses[1]![2]);
  assert.ok(tf.norm(queue, 2, 2).dataSync().every((v) => Math.abs(v - 1) < 1e-5), "full");
});

Deno.test({
  name: "contrastiveStep() on tfjs-webgpu with the kernels on the GPU: the loss of the wasm path",
  ignore: noGpu,
  async fn() {
    const place = { epoch: 1, step: 0, steps: 4, lr: 1e-3 };
    for (const method of ["simclr", "byol", "swav"]) {
      const losses: number[] = [];
      for (const backend of [WASM, "webgpu"]) {
        if (backend === "webgpu") await useWebGpuBackend(gpu!);
        else await tf.setBackend(backend);
        const state = await tinyState(method, [], backend === "webgpu" ? "gpu" : "cpu");
        const loss = contrastiveStep(state, batch(20), place);
        losses.push((await loss.data())[0]!);
        tf.dispose(loss);
      }
      assertClose([losses[1]!], [losses[0]!], 1e-3, `${method} on webgpu`);
    }
    await tf.setBackend(WASM);
  },
});

Deno.test("contrastiveStep(): same seed and batch, same loss; another step, other views", async () => {
  const losses: number[] = [];
  for (const step of [0, 0, 1]) {
    const state = await tinyState("simclr");
    const loss = contrastiveStep(state, batch(4), { epoch: 0, step, steps: 4, lr: 1e-3 });
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  assert.equal(losses[0], losses[1]);
  assert.notEqual(losses[0], losses[2]);
});

Deno.test("pretrain.method: refused masking settings and unknown methods name the key", async () => {
  const refuse = async (overrides: string[], pattern: RegExp) =>
    await assert.rejects(() => loadConfig(undefined, overrides), pattern);
  await refuse(["pretrain.method=moco"], /pretrain.method.*not one of mim, simclr, byol, swav/);
  await refuse(
    ["pretrain.method=simclr", "mask.method=mps"],
    /mask.method.*configures masked image modeling, which pretrain.method "simclr" does not run/,
  );
  await refuse(["pretrain.method=byol", "mask.ablation=AMLP"], /mask.ablation/);
  await refuse(["pretrain.method=swav", "loss.arl=true"], /loss.arl/);
  await refuse(["pretrain.method=swav", "train.batchSize=1"], /train.batchSize.*2 or more/);
  await refuse(["pretrain.method=byol", "model.arch=vit"], /model.arch.*trains the U-Net encoder/);
  await refuse(["pretrain.byol.emaStart=0.9", "pretrain.byol.emaEnd=0.5"], /emaEnd/);
  await refuse(["augment.cropMinScale=0"], /augment.cropMinScale/);
  await refuse(
    ["pretrain.method=swav", "pretrain.swav.queueLength=4", "train.batchSize=8"],
    /pretrain.swav.queueLength.*shorter than a batch/,
  );
  const ok: Config = await loadConfig(undefined, ["pretrain.method=swav", "mask.hpm.alpha0=0.2"]);
  assert.equal(ok.pretrain.method, "swav");
  // the shipped rows under both protocol presets (which set MIM values the rows leave alone)
  for (const method of ["simclr", "byol", "swav"]) {
    for (const protocol of ["cpu", "paper"]) {
      const c = await loadConfig(`configs/pretrain_${method}.yaml`, [`protocol=${protocol}`]);
      assert.equal(c.pretrain.method, method);
    }
  }
});

Deno.test("runPretraining() with each contrastive method: checkpoint holds encoder and heads, resume is exact, fine-tuning takes the encoder", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    for (const method of ["simclr", "byol", "swav"]) {
      const overrides = [...TINY, `pretrain.method=${method}`, `run.outDir=${outDir}`];
      const config = await loadConfig(undefined, [
        ...overrides,
        `run.name=${method}`,
        "train.epochs=2",
        "train.ckptEvery=1",
      ]);
      const run = await runPretraining(config, { progress: null });
      assert.ok(run.epochs.every((e) => Number.isFinite(e.loss)), method);
      const ckpt = await loadCheckpoint(`${run.runDir}/checkpoint_last.ckpt`);
      const names = [...ckpt.tensors.keys()];
      assert.ok(
        names.includes("params/bottom.conv1.w") && names.includes("params/projector.fc1.w"),
      );
      assert.ok(
        !names.some((n) => n.startsWith("params/up") || n === "params/head.w"),
        "no decoder",
      );
      assert.equal(names.some((n) => n.startsWith("teacher/")), method === "byol", "BYOL's target");
      assert.equal(names.includes("params/predictor.fc0.w"), method === "byol");
      assert.equal(names.includes(`params/${PROTOTYPES}`), method === "swav");
      assert.equal(names.includes(`buffers/${SWAV_QUEUE}`), method === "swav", "SwAV's queue");
      await Deno.stat(`${run.runDir}/preview.png`);
      const log = (await Deno.readTextFile(`${run.runDir}/log.jsonl`)).trim().split("\n");
      assert.ok(log.every((l) => JSON.parse(l).reconstruction === null), "nothing reconstructed");
      // stopped after epoch 1 and resumed: the same second epoch as the uninterrupted run
      await Deno.mkdir(`${outDir}/${method}_r`);
      await Deno.copyFile(
        `${run.runDir}/checkpoint_epoch_0001.ckpt`,
        `${outDir}/${method}_r/checkpoint_last.ckpt`,
      );
      const resumed = await runPretraining(
        { ...config, run: { ...config.run, name: `${method}_r` } },
        { progress: null, resume: true },
      );
      assert.deepEqual(
        resumed.epochs.map((e) => e.loss),
        [run.epochs[1]!.loss],
        `${method} resume`,
      );
      // fine-tuning from the checkpoint: model.init encoder takes down* and bottom*
      const ft = tinyConfig(outDir, {
        run: { name: `${method}_ft` },
        model: {
          baseWidth: 2,
          init: "encoder",
          checkpoint: `${run.runDir}/checkpoint_last.ckpt`,
        },
        train: { epochs: 1, batchSize: 4, valEvery: 1, backend: "wasm" },
      });
      const lines: string[] = [];
      const f = await runFinetune(ft, { progress: null, log: (l: string) => lines.push(l) });
      assert.ok(Number.isFinite(f.bestDice));
      assert.match(lines.join("\n"), /loaded 20 tensors/);
      // the decoder was never trained: encoder_decoder is refused, naming the key
      const both = { ...ft, model: { ...ft.model, init: "encoder_decoder" } } as typeof ft;
      await assert.rejects(
        () =>
          runFinetune({ ...both, run: { ...both.run, name: `${method}_ed` } }, { progress: null }),
        new RegExp(`model.init.*pretrain.method "${method}", which trains the encoder only`),
      );
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
