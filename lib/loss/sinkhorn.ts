/**
 * SwAV's Sinkhorn-Knopp assignment (Caron et al., NeurIPS 2020, sec. 3.1 and
 * Algorithm 1): turns the prototype scores of a batch into soft codes Q under
 * an equipartition constraint, so that the B samples are spread evenly over
 * the K prototypes (no collapse onto one prototype).
 *
 * `Q = exp(scores / epsilon)`, normalised to total 1, then `iterations` times:
 * every prototype's column scaled to total 1/K, then every sample's row scaled
 * to total 1/B; finally multiplied by B, so that each sample's codes sum to 1
 * exactly and each prototype receives about B/K (exactly after the column
 * step; the last row step moves it, less with every iteration). SwAV uses 3
 * iterations and epsilon 0.05. The codes are targets: no gradient flows
 * through them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { withoutGradient } from "./_stop_gradient.ts";

/** Options of {@linkcode sinkhornKnopp}. */
export interface SinkhornOptions {
  /** Entropy weight epsilon (default 0.05, SwAV). */
  readonly epsilon?: number;
  /** Normalisation rounds (default 3, SwAV). */
  readonly iterations?: number;
}

/**
 * The equipartitioned soft codes of a batch.
 *
 * @param scores `[B, K]` sample-prototype scores (cosines in SwAV).
 * @param options Epsilon and iterations.
 * @returns `[B, K]` codes: rows sum to 1, columns to about B / K; a constant (no gradient).
 * @throws {RangeError} If scores is not `[B, K]`, epsilon is not positive or iterations < 1.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { sinkhornKnopp } from "./sinkhorn.ts";
 * const q = sinkhornKnopp(tf.tensor2d([[0.9, 0.1], [0.8, 0.2]])).sum(0).dataSync();
 * // both samples prefer prototype 0, yet each prototype gets about one sample
 * if (Math.abs(q[0]! - 1) > 0.1) throw new Error("not equipartitioned");
 * ```
 */
export function sinkhornKnopp(scores: tf.Tensor2D, options: SinkhornOptions = {}): tf.Tensor2D {
  const { epsilon = 0.05, iterations = 3 } = options;
  if (scores.rank !== 2) {
    throw new RangeError(`Cannot run Sinkhorn-Knopp: scores [${scores.shape}] are not [B, K]`);
  }
  if (!(epsilon > 0)) {
    throw new RangeError(`Cannot run Sinkhorn-Knopp: epsilon ${epsilon} is not positive`);
  }
  if (!Number.isInteger(iterations) || iterations < 1) {
    throw new RangeError(`Cannot run Sinkhorn-Knopp: iterations ${iterations} is not >= 1`);
  }
  const [b, k] = scores.shape;
  return withoutGradient([scores], (s) => {
    // shifting by the maximum changes nothing after normalisation and keeps exp finite
    let q = tf.exp(tf.div(tf.sub(s!, tf.max(s!)), epsilon));
    q = tf.div(q, tf.sum(q));
    for (let i = 0; i < iterations; i++) {
      q = tf.div(q, tf.mul(tf.sum(q, 0, true), k)); // every prototype: 1 / K
      q = tf.div(q, tf.mul(tf.sum(q, 1, true), b)); // every sample: 1 / B
    }
    return tf.mul(q, b) as tf.Tensor2D;
  });
}
