/**
 * The MIM objective: per-patch error, averaged over the removed patches only
 * (MAE's forward_loss: `sum(loss * mask) / sum(mask)`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { patchLossOp } from "./patch_loss_op.ts";
import { tokenLossOp } from "./token_loss_op.ts";
import { checkShapes, safeDiv } from "./_masked.ts";

/** Which error and target. */
export interface MaskedLossOptions {
  readonly patchSize: number;
  /** "mae": squared error; "simmim": absolute error (SimMIM's L1). */
  readonly objective: "mae" | "simmim";
  /** MAE's per-patch target normalisation (ignored for SimMIM). */
  readonly normPixLoss: boolean;
}

/**
 * The reconstruction loss on removed patches.
 *
 * @param ctx Where the kernels run.
 * @param pred The reconstruction: `[N, H, W, C]` (U-Net) or one vector per
 *   patch, `[N, L, P*P*C]` (ViT decoder, MAE's patchify order).
 * @param target `[N, H, W, C]` original.
 * @param mask `[N, L]`, 1 = removed.
 * @param options Patch size and objective.
 * @returns The scalar loss and the per-patch losses `[N, L]` (for ARL and logging).
 */
export function maskedReconstructionLoss(
  ctx: KernelContext,
  pred: tf.Tensor4D | tf.Tensor3D,
  target: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: MaskedLossOptions,
): { loss: tf.Scalar; perPatch: tf.Tensor2D } {
  const simmim = options.objective === "simmim";
  const measure = {
    patchSize: options.patchSize,
    power: simmim ? 1 : 2,
    normPix: !simmim && options.normPixLoss,
  } as const;
  const perPatch = pred.rank === 3
    ? tokenLossOp(ctx, pred as tf.Tensor3D, target, measure)
    : patchLossOp(ctx, pred as tf.Tensor4D, target, measure);
  return { loss: maskedMeanLoss(perPatch, mask), perPatch };
}

/**
 * L_pred: the mean per-patch loss over removed patches, `sum(mask * L) / sum(mask)`
 * over the whole batch (MAE's forward_loss). 0 when nothing is removed.
 *
 * @param perPatch `[N, L]` per-patch loss.
 * @param mask `[N, L]`, 1 = removed.
 * @returns A scalar.
 * @throws {TypeError} If the shapes differ.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { maskedMeanLoss } from "./mim_loss.ts";
 * const l = maskedMeanLoss(tf.tensor2d([[1, 3, 9]]), tf.tensor2d([[1, 1, 0]]));
 * if (l.dataSync()[0] !== 2) throw new Error("mean of 1 and 3");
 * ```
 */
export function maskedMeanLoss(perPatch: tf.Tensor2D, mask: tf.Tensor2D): tf.Scalar {
  checkShapes("compute L_pred", perPatch, mask);
  return tf.tidy(() => safeDiv(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar);
}
