import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gpu, noGpu } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { patchLossOp } from "../lib/loss/patch_loss_op.ts";
import { applyMaskOp } from "../lib/kernels/apply_mask.ts";
import { randomScoresOp } from "../lib/kernels/random_scores.ts";
import { rankMaskOp } from "../lib/kernels/rank_mask.ts";
import { makeRng } from "../lib/random.ts";

/** The same op through tfjs autodiff of plain tfjs ops: an independent reference. */
function referenceLoss(pred: tf.Tensor4D, target: tf.Tensor4D, p: number): tf.Tensor2D {
  const [n, h, w, c] = pred.shape;
  const toPatches = (x: tf.Tensor4D) =>
    tf.reshape(tf.transpose(tf.reshape(x, [n, h / p, p, w / p, p, c]), [0, 1, 3, 2, 4, 5]), [
      n,
      (h / p) * (w / p),
      p * p * c,
    ]);
  return tf.mean(tf.square(tf.sub(toPatches(pred), toPatches(target))), 2) as tf.Tensor2D;
}

async function checkOnBackend(backend: string, use: () => Promise<unknown>) {
  // the reference runs on tfjs's cpu backend (rank-6 ops are not all on webgpu)
  await tf.setBackend("cpu");
  const ref = await referenceValueAndGrad();
  await use();
  const ctx = await createKernelContext();
  assert.equal(ctx.mode, backend === "webgpu" ? "gpu" : "cpu");
  const { pred, target, weights } = inputs();
  const ours = tf.valueAndGrad(
    objective(
      weights,
      (p) => patchLossOp(ctx, p, target, { patchSize: 4, power: 2, normPix: false }),
    ),
  )(pred);
  assertClose(await ours.value.data(), ref.value, 1e-5, `${backend} value`);
  assertClose(await ours.grad.data(), ref.grad, 1e-5, `${backend} grad`);

  // masking ops: counts honoured, the masked image is zero exactly on removed patches
  const scores = randomScoresOp(ctx, { batch: 3, patches: 4 }, 77);
  const { mask } = rankMaskOp(ctx, scores, Uint32Array.from([0, 2, 4]));
  assert.deepEqual(Array.from(await tf.sum(mask, 1).data()), [0, 2, 4]);
  const masked = applyMaskOp(ctx, target, mask, { patchSize: 4, fill: 0 });
  const m = await mask.data();
  const t = await target.data();
  const expected = t.map((v, i) => {
    const n = Math.floor(i / 64), y = Math.floor((i % 64) / 8), x = i % 8;
    return m[n * 4 + Math.floor(y / 4) * 2 + Math.floor(x / 4)] === 1 ? 0 : v;
  });
  assertClose(await masked.data(), expected, 0, `${backend} masked image`);
  tf.dispose([scores, mask, masked, pred, target, weights, ours.value, ours.grad]);
}

function inputs() {
  const rng = makeRng(4);
  const shape: [number, number, number, number] = [3, 8, 8, 1];
  const pred = tf.tensor4d(Float32Array.from({ length: 192 }, () => rng.next() - 0.5), shape);
  const target = tf.tensor4d(Float32Array.from({ length: 192 }, () => rng.next()), shape);
  const weights = tf.tensor2d(Float32Array.from({ length: 12 }, () => rng.next()), [3, 4]);
  return { pred, target, weights };
}

function objective(weights: tf.Tensor2D, f: (p: tf.Tensor4D) => tf.Tensor2D) {
  return (p: tf.Tensor) => tf.sum(tf.mul(f(p as tf.Tensor4D), weights));
}

async function referenceValueAndGrad() {
  const { pred, target, weights } = inputs();
  const out = tf.valueAndGrad(objective(weights, (p) => referenceLoss(p, target, 4)))(pred);
  const result = { value: await out.value.data(), grad: await out.grad.data() };
  tf.dispose([pred, target, weights, out.value, out.grad]);
  return result;
}

Deno.test("patchLossOp() and mask ops on the cpu backend match tfjs autodiff", async () => {
  await checkOnBackend("cpu", async () => {});
});

Deno.test({
  name: "patchLossOp() and mask ops on the shared webgpu device match tfjs autodiff",
  ignore: noGpu,
  async fn() {
    await checkOnBackend("webgpu", () => useWebGpuBackend(gpu!));
    await tf.setBackend("cpu");
  },
});
