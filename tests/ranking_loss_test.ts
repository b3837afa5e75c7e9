import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";
import { assertGradMatchesFiniteDifference } from "./_grad_check.ts";
import { rankingLoss } from "../lib/loss/ranking_loss.ts";

await tf.setBackend("cpu");

function reference(pred: number[][], actual: number[][], mask: number[][]): number {
  let sum = 0, count = 0;
  pred.forEach((row, n) => {
    for (let i = 0; i < row.length; i++) {
      for (let j = 0; j < row.length; j++) {
        const a = actual[n]!, m = mask[n]!;
        if (!m[i] || !m[j] || a[i] === a[j]) continue;
        const z = row[i]! - row[j]!;
        const y = a[i]! > a[j]! ? 1 : 0;
        sum += Math.log(1 + Math.exp(z)) - y * z;
        count++;
      }
    }
  });
  return count ? sum / count : 0;
}

Deno.test("rankingLoss() equals the pairwise BCE over removed pairs, skipping ties", () => {
  const pred = [[0.3, -0.2, 1.1, 0.4], [0.0, 0.5, -0.7, 0.2]];
  const actual = [[1.0, 2.0, 2.0, 0.5], [0.3, 0.3, 0.9, 0.1]]; // ties in both rows
  const mask = [[1, 1, 1, 0], [1, 1, 1, 1]];
  const got = rankingLoss(tf.tensor2d(pred), tf.tensor2d(actual), tf.tensor2d(mask)).dataSync()[0]!;
  assertClose([got], [reference(pred, actual, mask)], 1e-5);
  const none = rankingLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[3, 3]]), tf.tensor2d([[1, 1]]));
  assert.equal(none.dataSync()[0], 0);
  assert.throws(
    () => rankingLoss(tf.tensor2d([[1, 2]]), tf.tensor2d([[1, 2, 3]]), tf.tensor2d([[1, 1]])),
    TypeError,
  );
});

Deno.test("rankingLoss() passes a finite-difference gradient check and does not train the target", () => {
  const pred = tf.tensor2d([[0.3, -0.2, 1.1, 0.4, 0.9], [0.0, 0.5, -0.7, 0.2, -0.1]]);
  const actual = tf.tensor2d([[1.0, 2.0, 2.0, 0.5, 0.7], [0.3, 0.3, 0.9, 0.1, 0.4]]);
  const mask = tf.tensor2d([[1, 1, 1, 0, 1], [1, 1, 1, 1, 0]]);
  assertGradMatchesFiniteDifference((v) => rankingLoss(v, actual, mask), pred, { what: "ranking" });
  const g = tf.grad((a: tf.Tensor) => rankingLoss(pred, a as tf.Tensor2D, mask))(actual).dataSync();
  assert.ok(g.every((v) => v === 0), "target detached");
});
