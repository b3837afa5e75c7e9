/**
 * AMLP's attention reconstruction loss (ARL, sec. 3.2, eq. 6), as tfjs ops on
 * the per-patch loss `[N, L]` (from `patchLossOp`) and the mask `[N, L]`
 * (1 = removed); the masked mean L_pred it builds on is `mim_loss.ts`.
 *
 * Eq. 6: `L_rrl^i = M * L_pred^i / sum_j L_pred^j`, i and j over the M removed
 * patches of one image: the relative difficulty of a patch, whose mean over
 * the removed patches is 1. A patch is "hard" (likely lesion) when
 * `L_rrl^i >= 1`, i.e. when its loss is at least the image's mean removed-patch
 * loss: sec. 3.2 compares L_rrl with "L_mean", and 1 is the mean of L_rrl (the
 * same test as L_pred^i >= mean L_pred, so both readings of L_mean agree).
 *
 * How L_rrl enters L_all = L_pred + L_rrl + L_ccl (eq. 8) is ambiguous:
 * 1) `reading: "weight"` (default): `L_rrl` is the removed patches' loss
 *    weighted by their relative difficulty, `sum(mask * w * L) / sum(mask)` with
 *    w = L_rrl^i, "attention" over patches. Reason: added literally, the mean of
 *    L_rrl^i over the removed patches is exactly 1 for every image, a constant
 *    with zero gradient, so only the weighting reading changes training.
 *    By default w is detached (`detachWeights`), so the term is a reweighted
 *    L2 (gradient w_i / M per patch); attached, it is sum L^2 / sum L.
 * 2) `reading: "add"`: the literal mean of L_rrl^i over removed patches (1 per
 *    image with a nonzero loss), kept for fidelity and logging.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { stopGradient } from "./_stop_gradient.ts";
import { checkShapes, safeDiv } from "./_masked.ts";

/** How L_rrl enters the total loss; see the module doc. */
export type ArlReading = "weight" | "add";

/** Options of {@linkcode attentionReconstructionLoss}. */
export interface ArlOptions {
  /** `weight` (default) or `add`. */
  readonly reading?: ArlReading;
  /** No gradient through the weights w (default true). */
  readonly detachWeights?: boolean;
}

/**
 * The ARL weights `w[n, l] = M_n * L[n, l] / sum_masked L[n, :]` on removed
 * patches (eq. 6's L_rrl^i), 0 on kept patches and in images whose removed
 * patches all have zero loss. Differentiable (detach with the options of the
 * callers).
 *
 * @param perPatch `[N, L]` per-patch loss (non-negative).
 * @param mask `[N, L]`, 1 = removed.
 * @returns `[N, L]` weights; their mean over an image's removed patches is 1.
 * @throws {TypeError} If the shapes differ.
 */
export function arlWeights(perPatch: tf.Tensor2D, mask: tf.Tensor2D): tf.Tensor2D {
  checkShapes("compute ARL weights", perPatch, mask);
  return tf.tidy(() => {
    const masked = tf.mul(perPatch, mask);
    const total = tf.sum(masked, 1, true); // [N, 1]
    const count = tf.sum(mask, 1, true); // [N, 1], M_n
    return safeDiv(tf.mul(masked, count), total) as tf.Tensor2D;
  });
}

/**
 * L_rrl, under the chosen reading (see the module doc).
 *
 * @param perPatch `[N, L]` per-patch loss.
 * @param mask `[N, L]`, 1 = removed.
 * @param options `reading` (default `weight`) and `detachWeights` (default true).
 * @returns A scalar.
 * @throws {TypeError} If the shapes differ.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { attentionReconstructionLoss } from "./arl.ts";
 * // weights 0.5 and 1.5: (0.5 * 1 + 1.5 * 3) / 2 = 2.5
 * const l = attentionReconstructionLoss(tf.tensor2d([[1, 3]]), tf.tensor2d([[1, 1]]));
 * if (Math.abs(l.dataSync()[0]! - 2.5) > 1e-6) throw new Error("weighted mean");
 * ```
 */
export function attentionReconstructionLoss(
  perPatch: tf.Tensor2D,
  mask: tf.Tensor2D,
  options: ArlOptions = {},
): tf.Scalar {
  const { reading = "weight", detachWeights = true } = options;
  if (reading !== "weight" && reading !== "add") {
    throw new RangeError(
      `Cannot compute L_rrl: reading "${reading as string}" is not "weight" or "add"`,
    );
  }
  return tf.tidy(() => {
    let w = arlWeights(perPatch, mask);
    if (detachWeights) w = stopGradient(w);
    const term = reading === "weight" ? tf.mul(w, perPatch) : w;
    return safeDiv(tf.sum(tf.mul(term, mask)), tf.sum(mask)) as tf.Scalar;
  });
}
