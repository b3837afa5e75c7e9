/**
 * Helpers of the losses that average over removed patches.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/**
 * a / b, with 0 where b is 0 and a finite gradient everywhere. Every caller
 * divides a masked sum by a count or sum over the same mask, so a is 0
 * wherever b is; flooring b keeps both the value and the gradient exact
 * without comparison ops on the taped path.
 */
export function safeDiv(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return tf.div(a, tf.maximum(b, 1e-30));
}

/** Throws unless the per-patch loss and the mask are both `[N, L]`. */
export function checkShapes(what: string, perPatch: tf.Tensor, mask: tf.Tensor): void {
  if (perPatch.rank !== 2 || perPatch.shape.join() !== mask.shape.join()) {
    throw new TypeError(
      `Cannot ${what}: per-patch loss [${perPatch.shape}] and mask [${mask.shape}] must both be [N, L]`,
    );
  }
}
