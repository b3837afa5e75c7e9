import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { GROUP_NORM_EPS, groupCount, groupNorm, groupNormOps } from "../lib/model/norm.ts";
import { countParams, createUNet, unetEncoder, unetForward } from "../lib/model/unet.ts";
import { createContrastiveNet } from "../lib/model/contrastive_net.ts";
import { createMimNet } from "../lib/model/mim_net.ts";
import { createSegNet } from "../lib/model/seg_net.ts";
import { checkPretrainedArch } from "../lib/model/load_pretrained.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { makeRng, normal } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

/** GroupNorm written out with loops, NHWC, population variance. */
function groupNormLoops(
  x: Float32Array,
  [n, h, w, c]: [number, number, number, number],
  gamma: number[],
  beta: number[],
  groups: number,
): Float32Array {
  const out = new Float32Array(x.length);
  const per = c / groups;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < groups; g++) {
      const at = (p: number, k: number) => ((b * h * w + p) * c) + g * per + k;
      let sum = 0, count = 0;
      for (let p = 0; p < h * w; p++) for (let k = 0; k < per; k++) sum += x[at(p, k)]!, count++;
      const mean = sum / count;
      let sq = 0;
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < per; k++) sq += (x[at(p, k)]! - mean) ** 2;
      }
      const inv = 1 / Math.sqrt(sq / count + GROUP_NORM_EPS);
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < per; k++) {
          const ch = g * per + k;
          out[at(p, k)] = (x[at(p, k)]! - mean) * inv * gamma[ch]! + beta[ch]!;
        }
      }
    }
  }
  return out;
}

Deno.test("groupNorm() matches GroupNorm written out with loops", async () => {
  const shape: [number, number, number, number] = [2, 4, 3, 6];
  const rng = makeRng(7);
  const x = Float32Array.from({ length: 2 * 4 * 3 * 6 }, (_, i) => 3 * normal(rng) + (i % 6));
  const gamma = [1, 2, 0.5, -1, 1.5, 3], beta = [0, 1, -1, 0.5, 2, -2];
  for (const groups of [1, 2, 3, 6]) {
    const y = tf.tidy(() =>
      groupNorm(tf.tensor4d(x, shape), tf.tensor1d(gamma), tf.tensor1d(beta), groups)
    );
    const got = await y.data();
    const want = groupNormLoops(x, shape, gamma, beta, groups);
    for (let i = 0; i < want.length; i++) {
      assert.ok(Math.abs(got[i]! - want[i]!) < 1e-4, `groups ${groups}, index ${i}`);
    }
    y.dispose();
  }
  assert.throws(
    () => groupNorm(tf.zeros([1, 2, 2, 6]) as tf.Tensor4D, tf.ones([6]), tf.zeros([6]), 4),
    /4 groups do not divide 6 channels/,
  );
});

Deno.test("groupNorm()'s fused passes give tfjs's gradients of the composed GroupNorm", async () => {
  const shape: [number, number, number, number] = [2, 5, 4, 6];
  const rng = makeRng(11);
  const values = (n: number, scale = 1) =>
    Float32Array.from({ length: n }, () => scale * normal(rng) + 0.3);
  const x = tf.tensor4d(values(2 * 5 * 4 * 6, 2), shape);
  const gamma = tf.tensor1d(values(6)), beta = tf.tensor1d(values(6));
  const weights = tf.tensor4d(values(2 * 5 * 4 * 6), shape); // a loss that is not symmetric
  for (const groups of [1, 3, 6]) {
    const grads = (f: typeof groupNorm) =>
      tf.grads((a, g, b) => tf.sum(tf.mul(f(a as tf.Tensor4D, g!, b!, groups), weights)))([
        x,
        gamma,
        beta,
      ]);
    const fused = grads(groupNorm), ops = grads(groupNormOps);
    for (const [i, name] of ["x", "gamma", "beta"].entries()) {
      const a = await fused[i]!.data(), b = await ops[i]!.data();
      for (let j = 0; j < a.length; j++) {
        assert.ok(
          Math.abs(a[j]! - b[j]!) < 1e-4 * (1 + Math.abs(b[j]!)),
          `${name}[${j}], G ${groups}`,
        );
      }
    }
    tf.dispose([...fused, ...ops]);
  }
  tf.dispose([x, gamma, beta, weights]);
});

Deno.test("groupCount() is the gcd of the configured groups and the channels", () => {
  assert.equal(groupCount(8, 16), 8);
  assert.equal(groupCount(8, 4), 4);
  assert.equal(groupCount(8, 12), 4);
  assert.equal(groupCount(32, 8), 8);
  assert.throws(() => groupCount(0, 8), RangeError);
});

Deno.test("createUNet({ norm: 'group' }) adds gamma/beta per 3x3 conv and trains them", async () => {
  const plain = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 4 }, 3);
  const normed = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 4, norm: "group" }, 3);
  const convs = [...plain.params.keys()].filter((n) => n.endsWith(".w") && !n.includes("tconv"))
    .filter((n) => plain.params.get(n)!.shape[0] === 3);
  assert.equal(convs.length, 18); // 4 down + bottom + 4 up, two 3x3 convs each
  const extra = [...normed.params.keys()].filter((n) => !plain.params.has(n));
  assert.deepEqual(
    extra.sort(),
    convs.flatMap((n) => [n.replace(/\.w$/, ".norm.beta"), n.replace(/\.w$/, ".norm.gamma")])
      .sort(),
  );
  const channels = convs.reduce((s, n) => s + plain.params.get(n)!.shape[3]!, 0);
  assert.equal(countParams(normed), countParams(plain) + 2 * channels);
  // the same seed draws the same kernels with or without normalisation
  assert.deepEqual(
    await normed.params.get("up1.conv0.w")!.data(),
    await plain.params.get("up1.conv0.w")!.data(),
  );
  // gradients reach the GroupNorm scales
  const x = tf.tidy(() => tf.randomNormal([2, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D);
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.square(unetForward(normed, x))) as tf.Scalar,
    [...normed.params.values()],
  );
  const gammaGrad = grads[normed.params.get("down0.conv0.norm.gamma")!.name];
  assert.ok(gammaGrad && (await tf.abs(gammaGrad).sum().data())[0]! > 0);
  assert.ok(Number.isFinite((await value.data())[0]!));
  tf.dispose([value, ...Object.values(grads), x]);
  tf.dispose([...plain.params.values(), ...normed.params.values()]);
});

Deno.test("unetEncoder() applies GroupNorm: encoder-only (contrastive) and full U-Nets agree", async () => {
  const options = { inChannels: 1, outChannels: 1, baseWidth: 2, norm: "group" } as const;
  const full = createUNet(options, 5);
  const encoder = createUNet({ ...options, encoderOnly: true }, 5);
  const plain = createUNet({ ...options, norm: "none", encoderOnly: true }, 5);
  const contrastive = createContrastiveNet({
    method: "simclr",
    inChannels: 1,
    baseWidth: 2,
    hidden: 4,
    projection: 4,
    prototypes: 3,
    norm: "group",
    normGroups: 8,
  }, 5);
  assert.ok(encoder.params.has("bottom.conv1.norm.gamma"));
  assert.ok(contrastive.params.has("down0.conv0.norm.beta"));
  const x = tf.tidy(() => tf.randomNormal([1, 16, 16, 1], 0, 1, "float32", 2) as tf.Tensor4D);
  const [a, b, c, d] = [full, encoder, contrastive, plain].map((n) => unetEncoder(n, x).bottom);
  assert.deepEqual(await b!.data(), await a!.data());
  assert.deepEqual(await c!.data(), await a!.data());
  // unit variance per group before the ReLU: not what the unnormalised encoder gives
  assert.notDeepEqual(await d!.data(), await a!.data());
  tf.dispose([x, a!, b!, c!, d!]);
  for (const net of [full, encoder, contrastive, plain]) tf.dispose([...net.params.values()]);
});

Deno.test("model.norm reaches the pretraining and fine-tuning networks; a checkpoint's must match", async () => {
  const pre = await loadConfig(undefined, ["model.norm=group", "model.baseWidth=2"]);
  const ft = await loadFinetuneConfig(undefined, ["model.norm=group", "model.baseWidth=2"]);
  const mim = createMimNet(pre, { channels: 1, lossPredictor: false }, 0);
  const seg = createSegNet(ft, 1, 0);
  assert.ok(mim.params.has("up0.conv1.norm.gamma") && seg.params.has("up0.conv1.norm.gamma"));
  tf.dispose([...mim.params.values(), ...seg.params.values()]);
  checkPretrainedArch(pre, ft, "p.ckpt");
  const plain = await loadConfig(undefined, []);
  assert.throws(() => checkPretrainedArch(plain, ft, "p.ckpt"), /norm none .*model\.norm is group/);
  const groups = await loadFinetuneConfig(undefined, ["model.norm=group", "model.normGroups=4"]);
  assert.throws(() => checkPretrainedArch(pre, groups, "p.ckpt"), /model\.normGroups 4/);
});
