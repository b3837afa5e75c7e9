import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";
import { assertGradMatchesFiniteDifference } from "./_grad_check.ts";
import { arlWeights, attentionReconstructionLoss } from "../lib/loss/arl.ts";
import { maskedMeanLoss } from "../lib/loss/mim_loss.ts";
import { makeRng } from "../lib/random.ts";

await tf.setBackend("cpu");

function inputs(seed: number) {
  const rng = makeRng(seed);
  const x = tf.tensor2d(Array.from({ length: 12 }, () => 0.3 + rng.next()), [2, 6]);
  const mask = tf.tensor2d([[1, 0, 1, 1, 0, 1], [0, 1, 1, 0, 0, 0]]);
  return { x, mask };
}

Deno.test("arlWeights() is M * L / sum L on removed patches, mean 1 per image", () => {
  const w = arlWeights(tf.tensor2d([[1, 3, 9, 0]]), tf.tensor2d([[1, 1, 0, 1]])).dataSync();
  assertClose(w, [0.75, 2.25, 0, 0]);
  // an image whose removed losses are all 0, and one with nothing removed: zeros, no NaN
  const z = arlWeights(tf.tensor2d([[0, 0], [1, 2]]), tf.tensor2d([[1, 1], [0, 0]])).dataSync();
  assert.deepEqual([...z], [0, 0, 0, 0]);
});

Deno.test("maskedMeanLoss() and attentionReconstructionLoss() values under both readings", () => {
  const loss = tf.tensor2d([[1, 3, 9]]), mask = tf.tensor2d([[1, 1, 0]]);
  assertClose(maskedMeanLoss(loss, mask).dataSync(), [2]);
  assertClose(attentionReconstructionLoss(loss, mask).dataSync(), [2.5]); // (1 + 9) / 4
  assertClose(attentionReconstructionLoss(loss, mask, { reading: "add" }).dataSync(), [1]);
  assertClose(maskedMeanLoss(loss, tf.zeros([1, 3])).dataSync(), [0]);
  assert.throws(() => maskedMeanLoss(loss, tf.zeros([1, 2])), TypeError);
  assert.throws(
    () => attentionReconstructionLoss(loss, mask, { reading: "times" as unknown as "weight" }),
    RangeError,
  );
});

Deno.test("maskedMeanLoss() and attached-weight L_rrl pass a finite-difference gradient check", () => {
  const { x, mask } = inputs(1);
  assertGradMatchesFiniteDifference((v) => maskedMeanLoss(tf.square(v), mask), x, {
    what: "L_pred",
  });
  assertGradMatchesFiniteDifference(
    (v) => attentionReconstructionLoss(tf.square(v), mask, { detachWeights: false }),
    x,
    { what: "L_rrl attached" },
  );
  assertGradMatchesFiniteDifference(
    (v) =>
      attentionReconstructionLoss(tf.square(v), mask, { reading: "add", detachWeights: false }),
    x,
    { what: "L_rrl add" },
  );
});

Deno.test("detached L_rrl has the gradient w_i / M with respect to each removed patch loss", () => {
  const { x, mask } = inputs(2);
  const g = tf.grad((v: tf.Tensor) => attentionReconstructionLoss(v as tf.Tensor2D, mask))(x)
    .dataSync();
  const w = arlWeights(x, mask).dataSync();
  const m = Float32Array.from(mask.dataSync());
  const removed = m.reduce((a, b) => a + b, 0);
  assertClose(g, Array.from(w, (wi, i) => (m[i] as number) * wi / removed), 1e-5);
});
