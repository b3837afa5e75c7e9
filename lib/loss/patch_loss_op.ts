/**
 * The per-patch reconstruction error as a differentiable tfjs op, `[N, H, W, C]
 * -> [N, L]`, computed by `patch_loss.wgsl` / `patch_loss_grad.wgsl` on the
 * shared device or by their TS twins (see `lib/kernels/patch_loss.ts` for the
 * definition). The gradient flows into `pred` only; the target is a constant.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { patchLossCpu, patchLossGpu, type PatchLossOptions } from "../kernels/patch_loss.ts";
import { patchLossGradCpu, patchLossGradGpu } from "../kernels/patch_loss_grad.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";
import { lossKernelOp, type LossKernels } from "./loss_kernel_op.ts";

const PATCH_LOSS_KERNELS: LossKernels = {
  loss: "patchLoss",
  grad: "patchLossGrad",
  lossCpu: patchLossCpu,
  lossGpu: patchLossGpu,
  gradCpu: patchLossGradCpu,
  gradGpu: patchLossGradGpu,
};

/**
 * Computes `loss[n, l]`, the mean `|pred - t|^power` over patch l of sample n.
 *
 * @param ctx Where to run.
 * @param pred `[N, H, W, C]` reconstruction.
 * @param target `[N, H, W, C]` original image.
 * @param options Patch size, power and normPix.
 * @returns `[N, L]` per-patch losses, differentiable with respect to `pred`.
 */
export function patchLossOp(
  ctx: KernelContext,
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  options: PatchLossOptions & { readonly patchSize: number },
): tf.Tensor2D {
  const [batch, height, width, channels] = pred.shape;
  const shape: ImageShape = { batch, height, width, channels, patchSize: options.patchSize };
  patchGrid(shape);
  if (target.shape.join() !== pred.shape.join()) {
    throw new RangeError(
      `Cannot compute patch loss: target shape [${target.shape}] differs from pred [${pred.shape}]`,
    );
  }
  return lossKernelOp(ctx, PATCH_LOSS_KERNELS, pred, target, shape, options);
}
