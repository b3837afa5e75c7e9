/**
 * SwAV's queue (Caron et al., NeurIPS 2020, sec. 4 and its reference code):
 * with small batches, the equipartition of Sinkhorn-Knopp over one batch
 * forces every sample's codes to spread over K / B prototypes, so SwAV keeps
 * the normalised projections of the last Q samples of each view and runs
 * Sinkhorn-Knopp over the queue and the batch together (the queued rows only
 * shape the codes; they get no loss and no gradient). Newest rows first; the
 * queue is used once it is full (SwAV: once its last row is set).
 *
 * The queue is not trained: it is a buffer of the run (`swav.queue`, `[2, Q, D]`),
 * saved in checkpoints beside the weights so that a resumed run continues with
 * the same queue.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The buffer name of the queue. */
export const SWAV_QUEUE = "swav.queue";

let created = 0;

/**
 * An empty (zero) queue for two views.
 *
 * @param length Q, projections kept per view.
 * @param dim D, the projection size.
 * @returns A non-trainable `[2, Q, D]` variable.
 * @throws {RangeError} If Q or D is not a positive integer.
 * @example
 * ```ts
 * import { createSwavQueue } from "./swav_queue.ts";
 * if (createSwavQueue(16, 4).shape.join() !== "2,16,4") throw new Error("shape");
 * ```
 */
export function createSwavQueue(length: number, dim: number): tf.Variable {
  for (const [key, value] of [["length", length], ["dim", dim]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot create SwAV queue: ${key} ${value} is not a positive integer`);
    }
  }
  return tf.variable(tf.zeros([2, length, dim]), false, `swav_queue${++created}`);
}

/**
 * The queued projections of one view.
 *
 * @param queue The `[2, Q, D]` queue.
 * @param view 0 or 1.
 * @returns `[Q, D]`.
 */
export function queuedProjections(queue: tf.Variable, view: 0 | 1): tf.Tensor2D {
  const [, length, dim] = queue.shape as [number, number, number];
  return tf.tidy(() => tf.reshape(tf.slice(queue, [view, 0, 0], [1, -1, -1]), [length, dim]));
}

/**
 * Puts a batch's normalised projections at the front of the queue and drops the oldest.
 *
 * @param queue The `[2, Q, D]` queue (updated in place).
 * @param z1 `[B, D]` normalised projections of the first views (B <= Q).
 * @param z2 `[B, D]` of the second views.
 * @throws {RangeError} If the shapes do not fit the queue.
 */
export function pushSwavQueue(queue: tf.Variable, z1: tf.Tensor2D, z2: tf.Tensor2D): void {
  const [, length, dim] = queue.shape as [number, number, number];
  const [b, d] = z1.shape;
  if (d !== dim || z2.shape.join() !== z1.shape.join() || b > length) {
    throw new RangeError(
      `Cannot push to SwAV queue [2, ${length}, ${dim}]: batches [${z1.shape}] and [${z2.shape}]`,
    );
  }
  tf.tidy(() => {
    const kept = tf.slice(queue, [0, 0, 0], [2, length - b, dim]);
    queue.assign(tf.concat([tf.stack([z1, z2]), kept], 1));
  });
}
