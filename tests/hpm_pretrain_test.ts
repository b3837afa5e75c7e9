import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gpu, noGpu } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import type { KernelContext } from "../lib/kernels/kernel_context.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { hpmMaskOp } from "../lib/masking/hpm.ts";
import { createUNet, unetFeatures } from "../lib/model/unet.ts";
import { predictPatchLoss } from "../lib/model/loss_predictor.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { trainStep } from "../lib/pretrain/train_step.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { runLengthDecay } from "../lib/model/ema.ts";
import { makeRng } from "../lib/random.ts";
import { initTf } from "../lib/backend/init_tf.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";

const BATCH = 3, PATCHES = 40;

function predicted(): tf.Tensor2D {
  const rng = makeRng(31);
  return tf.tensor2d(Float32Array.from({ length: BATCH * PATCHES }, () => rng.next()), [
    BATCH,
    PATCHES,
  ]);
}

async function hpmMask(ctx: KernelContext, counts: number[], hard: number[]) {
  const p = predicted();
  const mask = hpmMaskOp(ctx, p, Uint32Array.from(counts), Uint32Array.from(hard), 1234);
  const values = await mask.data() as Float32Array;
  const scores = await p.data() as Float32Array;
  tf.dispose([p, mask]);
  return { mask: values, scores };
}

Deno.test("hpmMaskOp() removes count patches, the hard[n] predicted-hardest among them", async () => {
  await tf.setBackend("cpu");
  const ctx = await createKernelContext();
  const counts = [20, 10, 40], hard = [10, 0, 40];
  const { mask, scores } = await hpmMask(ctx, counts, hard);
  for (let n = 0; n < BATCH; n++) {
    const row = Array.from(mask.subarray(n * PATCHES, (n + 1) * PATCHES));
    const s = Array.from(scores.subarray(n * PATCHES, (n + 1) * PATCHES));
    assert.equal(row.reduce((a, b) => a + b, 0), counts[n]);
    const hardest = s.map((v, i) => [v, i] as const).sort((a, b) => b[0] - a[0]).slice(0, hard[n]);
    for (const [, i] of hardest) assert.equal(row[i], 1, `sample ${n}: hard patch ${i} removed`);
  }
  // the random part depends on the seed: with no hard patches, two seeds differ
  const p = predicted();
  const a = hpmMaskOp(ctx, p, Uint32Array.from([20, 20, 20]), new Uint32Array(3), 1);
  const b = hpmMaskOp(ctx, p, Uint32Array.from([20, 20, 20]), new Uint32Array(3), 2);
  assert.notDeepEqual(await a.data(), await b.data());
  tf.dispose([p, a, b]);
  assert.throws(
    () => hpmMaskOp(ctx, predicted(), Uint32Array.from([1, 1, 1]), Uint32Array.from([2, 0, 0]), 0),
    /sample 0 has 2 hard patches but removes only 1/,
  );
});

Deno.test({
  name: "hpmMaskOp() on the shared webgpu device equals the TS twins",
  ignore: noGpu,
  async fn() {
    await tf.setBackend("cpu");
    const counts = [20, 10, 40], hard = [10, 3, 40];
    const cpu = await hpmMask(await createKernelContext(), counts, hard);
    await useWebGpuBackend(gpu!);
    const ctx = await createKernelContext();
    assert.equal(ctx.mode, "gpu");
    const ours = await hpmMask(ctx, counts, hard);
    assert.deepEqual(ours.mask, cpu.mask);
    await tf.setBackend("cpu");
  },
});

Deno.test("predictPatchLoss() is the loss head averaged over each patch", async () => {
  await tf.setBackend("cpu");
  const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2, lossPredictor: true }, 3);
  const rng = makeRng(8);
  const x = tf.tensor4d(Float32Array.from({ length: 2 * 32 * 32 }, () => rng.next()), [
    2,
    32,
    32,
    1,
  ]);
  const features = unetFeatures(net, x);
  const out = predictPatchLoss(net, features, 8);
  assert.deepEqual(out.shape, [2, 16]);
  // reference: per-pixel w . f + b, averaged by hand over the 8x8 patch (row-major grid)
  const f = await features.data(), w = await net.params.get("losshead.w")!.data();
  const b = (await net.params.get("losshead.b")!.data())[0]!;
  const expected = new Float32Array(32);
  for (let n = 0; n < 2; n++) {
    for (let y = 0; y < 32; y++) {
      for (let xx = 0; xx < 32; xx++) {
        let v = b;
        for (let c = 0; c < 2; c++) v += w[c]! * f[((n * 32 + y) * 32 + xx) * 2 + c]!;
        expected[n * 16 + Math.floor(y / 8) * 4 + Math.floor(xx / 8)]! += v / 64;
      }
    }
  }
  assertClose(await out.data(), expected, 1e-5, "patch means");
  const plain = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 3);
  assert.throws(() => predictPatchLoss(plain, features, 8), /created without lossPredictor/);
  tf.dispose([x, features, out]);
});

Deno.test("trainStep() with mask.method hpm trains the loss head and moves the EMA teacher", async () => {
  await tf.setBackend("cpu");
  const config = await loadConfig(undefined, [
    "mask.method=hpm",
    "data.size=32",
    "mask.patchSize=8",
    "model.baseWidth=2",
    "train.epochs=2",
  ]);
  const options = { inChannels: 1, outChannels: 1, baseWidth: 2, lossPredictor: true };
  const net = createUNet(options, 5), teacher = createUNet(options, 5);
  const state = {
    config,
    ctx: await createKernelContext("cpu"),
    net,
    teacher,
    optimizer: createAdamWState(net.params),
  };
  const before = await net.params.get("losshead.w")!.data();
  const teacherBefore = await teacher.params.get("down0.conv0.w")!.data();
  const rng = makeRng(9);
  const x = tf.tensor4d(Float32Array.from({ length: 4 * 32 * 32 }, () => rng.next()), [
    4,
    32,
    32,
    1,
  ]);
  const loss = trainStep(state, x, { epoch: 1, step: 0, steps: 4, lr: 1e-2 });
  assert.ok(Number.isFinite((await loss.data())[0]!));
  assert.notDeepEqual(await net.params.get("losshead.w")!.data(), before, "loss head trained");
  // teacher = d * teacher + (1 - d) * student, with d at the optimizer's step
  const d = runLengthDecay(1, config.train.epochs * 4);
  const student = await net.params.get("down0.conv0.w")!.data();
  const expected = teacherBefore.map((t, i) => d * t + (1 - d) * student[i]!);
  assertClose(await teacher.params.get("down0.conv0.w")!.data(), expected, 1e-6, "EMA");
  assert.notDeepEqual(expected, teacherBefore);
  tf.dispose([x, loss]);
});

Deno.test("runPretraining() with hpm saves the teacher and resumes where the straight run ends", async () => {
  await initTf("auto");
  const outDir = await Deno.makeTempDir();
  try {
    const settings = [
      "mask.method=hpm",
      "data.count=16",
      "data.size=32",
      "mask.patchSize=8",
      "model.baseWidth=2",
      "train.epochs=4",
      "train.ckptEvery=2",
      "train.previewCount=0",
      "mask.hpm.emaSchedule=fixed",
      "mask.hpm.emaStart=0.5", // a fast teacher, so that a lost one shows
      "mask.hpm.emaEnd=0.6",
      `run.outDir=${outDir}`,
    ];
    const straight = await runPretraining(
      await loadConfig(undefined, [...settings, "run.name=straight"]),
      { progress: null },
    );
    const ckpt = await loadCheckpoint(`${straight.runDir}/checkpoint_epoch_0002.ckpt`);
    assert.ok(ckpt.tensors.has("teacher/losshead.w"), "teacher saved");
    assert.ok(ckpt.tensors.has("params/losshead.w"), "loss head saved");
    await Deno.mkdir(`${outDir}/resumed`);
    await Deno.copyFile(
      `${straight.runDir}/checkpoint_epoch_0002.ckpt`,
      `${outDir}/resumed/checkpoint_last.ckpt`,
    );
    const resumed = await runPretraining(
      await loadConfig(undefined, [...settings, "run.name=resumed"]),
      { resume: true, progress: null },
    );
    assert.deepEqual(resumed.epochs.map((e) => e.epoch), [2, 3]);
    const a = straight.epochs.at(-1)!.loss, b = resumed.epochs.at(-1)!.loss;
    assert.ok(Math.abs(a - b) < 1e-5, `resumed ${b} vs straight ${a}`);
    const end = await loadCheckpoint(`${straight.runDir}/checkpoint_last.ckpt`);
    const endResumed = await loadCheckpoint(`${resumed.runDir}/checkpoint_last.ckpt`);
    for (const name of ["teacher/down0.conv0.w", "teacher/losshead.w"]) {
      assertClose(endResumed.tensors.get(name)!.data, end.tensors.get(name)!.data, 1e-6, name);
    }
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
