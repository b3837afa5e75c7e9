import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { gpu, noGpu } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { tokenIdsOp } from "../lib/kernels/token_ids.ts";
import { keepTokensOp, restoreTokensOp } from "../lib/kernels/token_gather.ts";
import { tokenLossOp } from "../lib/loss/token_loss_op.ts";
import { imageTokens } from "../lib/model/vit.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { randomScoresCpu } from "../lib/kernels/random_scores.ts";
import { makeRng } from "../lib/random.ts";

const N = 3, L = 16, D = 5, KEEP = 4, SIZE = 16, P = 4;

function fixtures() {
  const rng = makeRng(21);
  const mask = rankMaskCpu(randomScoresCpu(N * L, 5), new Uint32Array(N).fill(L - KEEP), L).mask;
  const x = Float32Array.from({ length: N * L * D }, () => rng.next() - 0.5);
  const w1 = Float32Array.from({ length: N * KEEP * D }, () => rng.next());
  const w2 = Float32Array.from({ length: N * L * D }, () => rng.next());
  const image = Float32Array.from({ length: N * SIZE * SIZE }, () => rng.next());
  const pred = Float32Array.from({ length: N * L * P * P }, () => rng.next());
  const w3 = Float32Array.from({ length: N * L }, () => rng.next());
  return { mask, x, w1, w2, image, pred, w3 };
}

/** sum(w1 * keep(x)) + sum(w2 * restore(keep(x))) and sum(w3 * tokenLoss(pred)) with their gradients. */
async function run(
  keep: (x: tf.Tensor3D, mask: tf.Tensor2D) => tf.Tensor3D,
  restore: (y: tf.Tensor3D, mask: tf.Tensor2D) => tf.Tensor3D,
  loss: (pred: tf.Tensor3D, image: tf.Tensor4D) => tf.Tensor2D,
) {
  const f = fixtures();
  const mask = tf.tensor2d(f.mask, [N, L]);
  const w1 = tf.tensor3d(f.w1, [N, KEEP, D]), w2 = tf.tensor3d(f.w2, [N, L, D]);
  const w3 = tf.tensor2d(f.w3, [N, L]);
  const image = tf.tensor4d(f.image, [N, SIZE, SIZE, 1]);
  const tokens = tf.valueAndGrad((x: tf.Tensor) => {
    const k = keep(x as tf.Tensor3D, mask);
    return tf.add(tf.sum(tf.mul(k, w1)), tf.sum(tf.mul(restore(k, mask), w2))) as tf.Scalar;
  })(tf.tensor3d(f.x, [N, L, D]));
  const lossOut = tf.valueAndGrad((p: tf.Tensor) =>
    tf.sum(tf.mul(loss(p as tf.Tensor3D, image), w3)) as tf.Scalar
  )(tf.tensor3d(f.pred, [N, L, P * P]));
  return {
    value: [...await tokens.value.data(), ...await lossOut.value.data()],
    gradX: await tokens.grad.data(),
    gradPred: await lossOut.grad.data(),
  };
}

/** An independent reference: one-hot matrices and plain tfjs ops, differentiated by tfjs. */
function reference() {
  const f = fixtures();
  const order = (n: number) => {
    const row = [...f.mask.slice(n * L, (n + 1) * L)];
    const kept = row.flatMap((m, l) => (m === 0 ? [l] : []));
    return kept;
  };
  const select = tf.tensor3d(
    Array.from(
      { length: N },
      (_, n) => order(n).map((l) => Array.from({ length: L }, (_, j) => (j === l ? 1 : 0))),
    ),
  ); // [N, K, L]
  return run(
    (x) => tf.matMul(select, x),
    (y) => tf.matMul(select, y, true, false),
    (pred, image) => tf.mean(tf.square(tf.sub(pred, imageTokens(image, P))), 2),
  );
}

async function checkOps(backend: string) {
  const ctx = await createKernelContext();
  assert.equal(ctx.mode, backend === "webgpu" ? "gpu" : "cpu");
  const ours = await run(
    (x, mask) => keepTokensOp(ctx, x, tokenIdsOp(ctx, mask, KEEP)),
    (y, mask) => restoreTokensOp(ctx, y, tokenIdsOp(ctx, mask, KEEP)),
    (pred, image) => tokenLossOp(ctx, pred, image, { patchSize: P, power: 2, normPix: false }),
  );
  await tf.setBackend("cpu");
  const ref = await reference();
  assertClose(ours.value, ref.value, 1e-5, `${backend} values`);
  assertClose(ours.gradX, ref.gradX, 1e-5, `${backend} token gradient`);
  assertClose(ours.gradPred, ref.gradPred, 1e-5, `${backend} loss gradient`);
}

Deno.test("keepTokensOp(), restoreTokensOp() and tokenLossOp() on the cpu backend match tfjs autodiff", async () => {
  await tf.setBackend("cpu");
  await checkOps("cpu");
});

Deno.test({
  name:
    "keepTokensOp(), restoreTokensOp() and tokenLossOp() on the shared webgpu device match tfjs autodiff",
  ignore: noGpu,
  async fn() {
    await useWebGpuBackend(gpu!);
    await checkOps("webgpu");
  },
});
