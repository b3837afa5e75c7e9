/**
 * The per-token reconstruction error of a ViT decoder as a differentiable
 * tfjs op, `pred [N, L, P*P*C]` and image `[N, H, W, C]` -> `[N, L]`, computed
 * by `token_loss.wgsl` / `token_loss_grad.wgsl` on the shared device or by
 * their TS twins (definition: `lib/kernels/token_loss.ts`). The gradient flows
 * into `pred` only; the image is the target.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { tokenLossCpu, tokenLossGpu, type TokenLossOptions } from "../kernels/token_loss.ts";
import { tokenLossGradCpu, tokenLossGradGpu } from "../kernels/token_loss_grad.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";
import { lossKernelOp, type LossKernels } from "./loss_kernel_op.ts";

const TOKEN_LOSS_KERNELS: LossKernels = {
  loss: "tokenLoss",
  grad: "tokenLossGrad",
  lossCpu: tokenLossCpu,
  lossGpu: tokenLossGpu,
  gradCpu: tokenLossGradCpu,
  gradGpu: tokenLossGradGpu,
};

/**
 * Computes `loss[n, l]`, the mean `|pred[n, l, :] - t|^power` over token l.
 *
 * @param ctx Where to run.
 * @param pred `[N, L, P*P*C]` decoder output in token order.
 * @param target `[N, H, W, C]` original images.
 * @param options Patch size, power and normPix.
 * @returns `[N, L]` per-token losses, differentiable with respect to `pred`.
 * @throws {RangeError} If the shapes do not fit together.
 */
export function tokenLossOp(
  ctx: KernelContext,
  pred: tf.Tensor3D,
  target: tf.Tensor4D,
  options: TokenLossOptions & { readonly patchSize: number },
): tf.Tensor2D {
  const [batch, height, width, channels] = target.shape;
  const shape: ImageShape = { batch, height, width, channels, patchSize: options.patchSize };
  const { patches } = patchGrid(shape);
  const size = options.patchSize ** 2 * channels;
  if (pred.shape.join() !== [batch, patches, size].join()) {
    throw new RangeError(
      `Cannot compute token loss: pred is [${pred.shape}], expected [${batch}, ${patches}, ${size}] for images [${target.shape}]`,
    );
  }
  return lossKernelOp(ctx, TOKEN_LOSS_KERNELS, pred, target, shape, options);
}
