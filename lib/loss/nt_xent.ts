/**
 * SimCLR's NT-Xent loss (Chen et al., ICML 2020, eq. 1): the normalised
 * temperature-scaled cross entropy over the 2N views of a batch of N images.
 *
 * With z the 2N L2-normalised projections (views 1 of all images, then views 2)
 * and sim(i, k) = z_i . z_k / tau, the loss of view i, whose positive p(i) is
 * the other view of the same image, is
 * `-log( exp(sim(i, p(i))) / sum_{k != i} exp(sim(i, k)) )`, and the loss is
 * the mean over all 2N views (SimCLR's sum over both orders of each pair,
 * divided by 2N). The other 2N - 2 views of the batch are the negatives.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { l2Normalize } from "../model/l2_normalize.ts";

/**
 * The per-view NT-Xent losses.
 *
 * @param z1 `[N, D]` projections of the first views.
 * @param z2 `[N, D]` projections of the second views (row n: the same image as z1's row n).
 * @param temperature tau > 0 (SimCLR: 0.1 to 0.5).
 * @returns `[2N]` losses, views 1 first, differentiable in z1 and z2.
 * @throws {RangeError} If the shapes differ, N < 2 (no negatives), or tau is not positive.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { ntXentPerView } from "./nt_xent.ts";
 * const z = tf.tensor2d([[1, 0], [0, 1]]);
 * // each view's positive is identical to it, its two negatives orthogonal
 * const l = ntXentPerView(z, z, 0.5).dataSync();
 * if (Math.abs(l[0]! - Math.log(1 + 2 * Math.exp(-2))) > 1e-5) throw new Error("wrong loss");
 * ```
 */
export function ntXentPerView(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Tensor1D {
  if (z1.rank !== 2 || z1.shape.join() !== z2.shape.join()) {
    throw new RangeError(
      `Cannot compute NT-Xent: z1 [${z1.shape}] and z2 [${z2.shape}] must both be [N, D]`,
    );
  }
  const [n] = z1.shape;
  if (n < 2) throw new RangeError(`Cannot compute NT-Xent: a batch of ${n} has no negatives`);
  if (!(temperature > 0)) {
    throw new RangeError(`Cannot compute NT-Xent: temperature ${temperature} is not positive`);
  }
  return tf.tidy(() => {
    const z = l2Normalize(tf.concat([z1, z2], 0)); // [2N, D]
    const logits = tf.div(tf.matMul(z, z, false, true), temperature); // [2N, 2N]
    // a view is not its own negative: its logit drops out of the sum
    const denominator = tf.logSumExp(tf.sub(logits, tf.mul(tf.eye(2 * n), 1e9)), 1);
    // the positive of view i is view (i + N) mod 2N
    const partner = tf.concat([tf.slice(z, [n, 0], [n, -1]), tf.slice(z, [0, 0], [n, -1])], 0);
    const positive = tf.div(tf.sum(tf.mul(z, partner), 1), temperature);
    return tf.sub(denominator, positive) as tf.Tensor1D;
  });
}

/**
 * The NT-Xent loss: the mean of {@linkcode ntXentPerView}.
 *
 * @param z1 `[N, D]` projections of the first views.
 * @param z2 `[N, D]` projections of the second views.
 * @param temperature tau > 0.
 * @returns A scalar, differentiable in z1 and z2.
 * @throws {RangeError} As {@linkcode ntXentPerView}.
 */
export function ntXentLoss(z1: tf.Tensor2D, z2: tf.Tensor2D, temperature: number): tf.Scalar {
  return tf.tidy(() => tf.mean(ntXentPerView(z1, z2, temperature)) as tf.Scalar);
}
