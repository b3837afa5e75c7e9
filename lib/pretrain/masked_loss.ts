/**
 * The MIM objective: per-patch error, averaged over the removed patches only
 * (MAE's forward_loss: `sum(loss * mask) / sum(mask)`).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../ops/kernel_context.ts";
import { patchLossOp } from "../ops/patch_loss_op.ts";
import { maskedMeanLoss } from "../loss/arl.ts";

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
 * @param pred `[N, H, W, C]` reconstruction.
 * @param target `[N, H, W, C]` original.
 * @param mask `[N, L]`, 1 = removed.
 * @param options Patch size and objective.
 * @returns The scalar loss and the per-patch losses `[N, L]` (for ARL and logging).
 */
export function maskedReconstructionLoss(
  ctx: KernelContext,
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: MaskedLossOptions,
): { loss: tf.Scalar; perPatch: tf.Tensor2D } {
  const simmim = options.objective === "simmim";
  const perPatch = patchLossOp(ctx, pred, target, {
    patchSize: options.patchSize,
    power: simmim ? 1 : 2,
    normPix: !simmim && options.normPixLoss,
  });
  return { loss: maskedMeanLoss(perPatch, mask), perPatch };
}
