import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";
import { assertGradMatchesFiniteDifference } from "./_grad_check.ts";
import { amlpLoss, categoryConsistencyLoss, updateLabels } from "../lib/loss/ccl.ts";
import { arlWeights, attentionReconstructionLoss } from "../lib/loss/arl.ts";
import { maskedMeanLoss } from "../lib/loss/mim_loss.ts";
import { DEFAULT_CONFIG } from "../lib/config/pretrain_config.ts";

await tf.setBackend("cpu");

Deno.test("updateLabels() follows the four cases and leaves kept patches alone", () => {
  const ori = tf.tensor2d([[1, 0, 1, 0, 1, 0, 1, 0]]);
  const w = tf.tensor2d([[2, 0.5, 0.5, 2, 0.5, 2, 1, 1]]);
  const mask = tf.tensor2d([[1, 1, 1, 1, 1, 1, 0, 0]]);
  const heads = tf.tensor2d([[0.9, 0.9, 0.1, 0.9, 0.9, 0.1, 0.1, 0.1]]); // < 0.5 -> 1
  // 1) 1,hard -> 1  2) 0,easy -> 0  3) 1,easy -> coin  4) 0,hard -> coin; kept: unchanged
  assert.deepEqual([...updateLabels(ori, w, mask, heads).dataSync()], [1, 0, 1, 0, 0, 1, 1, 0]);
  assert.throws(() => updateLabels(ori, tf.zeros([1, 3]), mask, heads), TypeError);
});

Deno.test("categoryConsistencyLoss() counts only changed labels; the kmeans reading costs -log(xi) each", () => {
  const loss = tf.tensor2d([[1, 3, 2, 2]]), mask = tf.tensor2d([[1, 1, 1, 0]]);
  const labelOri = tf.tensor2d([[1, 0, 0, 1]]);
  const labelNew = tf.tensor2d([[0, 0, 1, 1]]); // patches 0 and 2 changed
  const k = categoryConsistencyLoss(loss, mask, { labelOri, labelNew }, { labelOri: "kmeans" })
    .dataSync()[0]!;
  assertClose([k], [(2 * -Math.log(1e-10)) / 3], 1e-4);
  // relative: q = w / (1 + w), w = [0.5, 1.5, 1]
  const r = categoryConsistencyLoss(loss, mask, { labelOri, labelNew }).dataSync()[0]!;
  const expected = (-Math.log(1 - 0.5 / 1.5) - Math.log(1 / 2)) / 3;
  assertClose([r], [expected], 1e-5);
  const none = categoryConsistencyLoss(loss, mask, { labelOri, labelNew: labelOri }).dataSync()[0]!;
  assert.equal(none, 0);
});

Deno.test("categoryConsistencyLoss() (relative) passes a finite-difference gradient check", () => {
  const x = tf.tensor2d([[0.5, 1.2, 0.8, 1.5, 0.9, 0.3], [1.1, 0.4, 0.7, 1.3, 0.6, 1.0]]);
  const mask = tf.tensor2d([[1, 1, 1, 1, 0, 1], [1, 0, 1, 1, 1, 1]]);
  const labelOri = tf.tensor2d([[1, 0, 0, 1, 1, 0], [0, 1, 1, 0, 0, 1]]);
  const labelNew = tf.tensor2d([[0, 1, 0, 1, 1, 1], [1, 1, 0, 0, 0, 0]]);
  assertGradMatchesFiniteDifference(
    (v) => categoryConsistencyLoss(tf.square(v), mask, { labelOri, labelNew }),
    x,
    { what: "L_ccl" },
  );
});

Deno.test("amlpLoss() is L_pred + L_rrl + L_ccl and differentiable end to end", () => {
  const loss = tf.tensor2d([[0.2, 1.4, 0.5, 0.9], [0.6, 0.1, 1.2, 0.3]]);
  const mask = tf.tensor2d([[1, 1, 1, 0], [1, 1, 0, 1]]);
  const labelOri = tf.tensor2d([[0, 1, 1, 0], [1, 0, 0, 0]]);
  const coin = tf.tensor2d([[0.1, 0.7, 0.2, 0.9], [0.6, 0.3, 0.4, 0.8]]);
  const out = amlpLoss(loss, mask, labelOri, { coin });
  const parts = [out.pred, out.rrl, out.ccl].map((t) => t.dataSync()[0]!);
  assertClose([out.total.dataSync()[0]!], [parts[0]! + parts[1]! + parts[2]!], 1e-6);
  assertClose(out.pred.dataSync(), maskedMeanLoss(loss, mask).dataSync());
  assertClose(out.rrl.dataSync(), attentionReconstructionLoss(loss, mask).dataSync());
  assert.deepEqual(
    [...out.labelNew.dataSync()],
    [...updateLabels(labelOri, arlWeights(loss, mask), mask, coin).dataSync()],
  );
  const off = amlpLoss(loss, mask, labelOri, { coin, useRrl: false, useCcl: false });
  assertClose(off.total.dataSync(), out.pred.dataSync());
  const g = tf.grad((v: tf.Tensor) => amlpLoss(v as tf.Tensor2D, mask, labelOri, { coin }).total)(
    loss,
  ).dataSync();
  assert.ok(g.every(Number.isFinite));
  assert.equal(g[3], 0, "kept patches get no gradient");
});

Deno.test("L_ccl with the default reading never rewards a worse reconstruction; `relative` does on a case-4 patch", () => {
  // patch 0: k-means background (0) but hard (w >= 1), the coin makes it lesion: case 4, counted
  const labelOri = tf.tensor2d([[0, 0, 1, 0]]);
  const mask = tf.tensor2d([[1, 1, 1, 1]]);
  const coin = tf.tensor2d([[0.1, 0.9, 0.9, 0.9]]);
  const perPatch = tf.tensor2d([[4, 1, 1, 1]]);
  const labelNew = updateLabels(labelOri, arlWeights(perPatch, mask), mask, coin);
  assert.deepEqual([...labelNew.dataSync()], [1, 0, 0, 0], "patch 0 is case 4 and counted");
  // the labels stay fixed: the slope of L_ccl in patch 0's own loss, by finite difference
  const slope = (reading: "relative" | "kmeans") => {
    const at = (p: tf.Tensor2D) =>
      categoryConsistencyLoss(p, mask, { labelOri, labelNew }, { labelOri: reading })
        .dataSync()[0]!;
    return (at(tf.tensor2d([[4.01, 1, 1, 1]])) - at(perPatch)) / 0.01;
  };
  assert.ok(slope("relative") < 0, "relative: raising patch 0's loss lowers L_ccl");
  assert.equal(slope(DEFAULT_CONFIG.loss.cclLabel), 0, "the default gives no such reward");
});
