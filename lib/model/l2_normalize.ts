/**
 * Row-wise L2 normalisation of embeddings (contrastive heads and losses).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/**
 * Scales every row of `x` to unit length: `x / sqrt(|x|^2 + eps)` (eps keeps a
 * zero row finite; 1e-12 as `F.normalize`'s floor, squared).
 *
 * @param x `[N, D]` embeddings.
 * @returns `[N, D]` unit rows, differentiable.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { l2Normalize } from "./l2_normalize.ts";
 * const u = l2Normalize(tf.tensor2d([[3, 4]])).dataSync();
 * if (Math.abs(u[0]! - 0.6) > 1e-6) throw new Error("not unit length");
 * ```
 */
export function l2Normalize(x: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.mul(x, tf.rsqrt(tf.add(tf.sum(tf.square(x), 1, true), 1e-12))));
}
