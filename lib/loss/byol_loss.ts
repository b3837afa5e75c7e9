/**
 * BYOL's regression loss (Grill et al., NeurIPS 2020, eq. 2): the normalised
 * mean squared error between the online network's prediction and the target
 * network's projection of the other view,
 * `|p/|p| - z/|z||^2 = 2 - 2 cos(p, z)`, averaged over the batch. The target is
 * a constant here (stop-gradient): only the online side is trained, and the
 * target network follows it by EMA (`lib/model/ema.ts`). The symmetric loss
 * of the paper is `byolLoss(p1, z2') + byolLoss(p2, z1')`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { l2Normalize } from "../model/l2_normalize.ts";
import { stopGradient } from "./_stop_gradient.ts";

/**
 * The per-sample BYOL losses `2 - 2 cos(p_n, z_n)`.
 *
 * @param prediction `[N, D]` the online predictor's output q(g(f(v))).
 * @param target `[N, D]` the target projector's output g'(f'(v')) (detached inside).
 * @returns `[N]` losses in [0, 4], differentiable in `prediction` only.
 * @throws {RangeError} If the shapes differ or are not `[N, D]`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { byolPerSample } from "./byol_loss.ts";
 * const l = byolPerSample(tf.tensor2d([[1, 0], [0, 2]]), tf.tensor2d([[3, 0], [0, -1]])).dataSync();
 * if (Math.abs(l[0]!) > 1e-6 || Math.abs(l[1]! - 4) > 1e-6) throw new Error("0 if aligned, 4 if opposed");
 * ```
 */
export function byolPerSample(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Tensor1D {
  if (prediction.rank !== 2 || prediction.shape.join() !== target.shape.join()) {
    throw new RangeError(
      `Cannot compute BYOL loss: prediction [${prediction.shape}] and target [${target.shape}] must both be [N, D]`,
    );
  }
  return tf.tidy(() => {
    const p = l2Normalize(prediction);
    const z = l2Normalize(stopGradient(target));
    return tf.sub(2, tf.mul(2, tf.sum(tf.mul(p, z), 1))) as tf.Tensor1D;
  });
}

/**
 * The BYOL loss: the batch mean of {@linkcode byolPerSample}.
 *
 * @param prediction `[N, D]` online predictions.
 * @param target `[N, D]` target projections (detached inside).
 * @returns A scalar.
 * @throws {RangeError} As {@linkcode byolPerSample}.
 */
export function byolLoss(prediction: tf.Tensor2D, target: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => tf.mean(byolPerSample(prediction, target)) as tf.Scalar);
}
