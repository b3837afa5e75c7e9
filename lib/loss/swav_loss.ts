/**
 * SwAV's swapped prediction loss (Caron et al., NeurIPS 2020, eq. 1-2): the
 * codes of one view, from Sinkhorn-Knopp, are the targets of the other view's
 * prototype softmax, and the other way round:
 * `L = -1/2 mean_n sum_k [ q1_nk log p2_nk + q2_nk log p1_nk ]`,
 * with `p = softmax(scores / temperature)` and scores the cosines between the
 * normalised projections and the (normalised) prototypes. The codes are
 * constants; the gradient reaches the scores, hence projections and
 * prototypes, through the softmax side only.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { sinkhornKnopp, type SinkhornOptions } from "./sinkhorn.ts";

/** Options of {@linkcode swavLoss}. */
export interface SwavLossOptions extends SinkhornOptions {
  /** Softmax temperature (SwAV: 0.1). */
  readonly temperature: number;
  /**
   * SwAV's queue: `[Q, K]` scores of queued projections of the first and the
   * second views, put before each batch's scores for Sinkhorn-Knopp only (the
   * batch's codes are its last B rows). Constants: no loss, no gradient.
   */
  readonly queued?: readonly [tf.Tensor2D, tf.Tensor2D];
}

/**
 * The swapped prediction loss of two views.
 *
 * @param scores1 `[B, K]` prototype scores of the first views.
 * @param scores2 `[B, K]` prototype scores of the second views (same images, same order).
 * @param options Temperature, Sinkhorn epsilon and iterations.
 * @returns `loss` (a scalar, differentiable in both score tensors) and the
 *   per-sample losses `perSample` `[B]` (the caller disposes both).
 * @throws {RangeError} If the shapes differ or the temperature is not positive.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { swavLoss } from "./swav_loss.ts";
 * const s = tf.tensor2d([[1, -1], [-1, 1]]);
 * const { loss } = swavLoss(s, s, { temperature: 0.1 });
 * if (!(loss.dataSync()[0]! < 0.01)) throw new Error("agreeing views cost ~0");
 * ```
 */
export function swavLoss(
  scores1: tf.Tensor2D,
  scores2: tf.Tensor2D,
  options: SwavLossOptions,
): { loss: tf.Scalar; perSample: tf.Tensor1D } {
  if (scores1.rank !== 2 || scores1.shape.join() !== scores2.shape.join()) {
    throw new RangeError(
      `Cannot compute SwAV loss: scores [${scores1.shape}] and [${scores2.shape}] must both be [B, K]`,
    );
  }
  if (!(options.temperature > 0)) {
    throw new RangeError(
      `Cannot compute SwAV loss: temperature ${options.temperature} is not positive`,
    );
  }
  return tf.tidy(() => {
    const q1 = codes(scores1, options.queued?.[0], options);
    const q2 = codes(scores2, options.queued?.[1], options);
    const perSample = swappedPerSample(scores1, scores2, q1, q2, options.temperature);
    return { loss: tf.mean(perSample) as tf.Scalar, perSample };
  });
}

/**
 * The swapped prediction term for given codes (held constant):
 * `-1/2 mean_n sum_k [ q1 log softmax(s2 / t) + q2 log softmax(s1 / t) ]`.
 *
 * @param scores1 `[B, K]` scores of the first views.
 * @param scores2 `[B, K]` scores of the second views.
 * @param codes1 `[B, K]` codes of the first views (targets of the second).
 * @param codes2 `[B, K]` codes of the second views (targets of the first).
 * @param temperature Softmax temperature.
 * @returns A scalar, differentiable in the scores.
 */
export function swappedPrediction(
  scores1: tf.Tensor2D,
  scores2: tf.Tensor2D,
  codes1: tf.Tensor2D,
  codes2: tf.Tensor2D,
  temperature: number,
): tf.Scalar {
  return tf.tidy(() =>
    tf.mean(swappedPerSample(scores1, scores2, codes1, codes2, temperature)) as tf.Scalar
  );
}

/** The Sinkhorn-Knopp codes of a batch, over the queue and the batch when there is a queue. */
function codes(
  scores: tf.Tensor2D,
  queued: tf.Tensor2D | undefined,
  options: SinkhornOptions,
): tf.Tensor2D {
  if (!queued) return sinkhornKnopp(scores, options);
  if (queued.shape[1] !== scores.shape[1]) {
    throw new RangeError(
      `Cannot compute SwAV codes: queued scores [${queued.shape}] and batch scores [${scores.shape}] differ in K`,
    );
  }
  const all = sinkhornKnopp(tf.concat([queued, scores], 0) as tf.Tensor2D, options);
  return tf.slice(all, [queued.shape[0], 0], [-1, -1]) as tf.Tensor2D;
}

function swappedPerSample(
  scores1: tf.Tensor2D,
  scores2: tf.Tensor2D,
  codes1: tf.Tensor2D,
  codes2: tf.Tensor2D,
  temperature: number,
): tf.Tensor1D {
  const logP1 = tf.logSoftmax(tf.div(scores1, temperature));
  const logP2 = tf.logSoftmax(tf.div(scores2, temperature));
  return tf.mul(
    -0.5,
    tf.add(tf.sum(tf.mul(codes1, logP2), 1), tf.sum(tf.mul(codes2, logP1), 1)),
  ) as tf.Tensor1D;
}
