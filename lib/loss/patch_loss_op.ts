/**
 * The per-patch reconstruction error as a differentiable tfjs op, `[N, H, W, C]
 * -> [N, L]`, computed by `patch_loss.wgsl` / `patch_loss_grad.wgsl` on the
 * shared device or by their TS twins (see `lib/kernels/patch_loss.ts` for the
 * definition). The gradient flows into `pred` only; the target is a constant.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { patchLossCpu, patchLossGpu, type PatchLossOptions } from "../kernels/patch_loss.ts";
import { patchLossGradCpu, patchLossGradGpu } from "../kernels/patch_loss_grad.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

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
  const { patches } = patchGrid(shape);
  if (target.shape.join() !== pred.shape.join()) {
    throw new RangeError(
      `Cannot compute patch loss: target shape [${target.shape}] differs from pred [${pred.shape}]`,
    );
  }
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, t, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    const { loss, stats } = forward(ctx, p, t, shape, options, patches);
    save([p, t, stats]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [sp, st, sstats] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor];
        const grad = backward(ctx, sp, st, sstats, dy as tf.Tensor2D, {
          ...shape,
          power: options.power,
        });
        return [grad, tf.zerosLike(st)];
      },
    };
  });
  return op(pred, target) as tf.Tensor2D;
}

function forward(
  ctx: KernelContext,
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  shape: ImageShape,
  options: PatchLossOptions,
  patches: number,
): { loss: tf.Tensor2D; stats: tf.Tensor } {
  if (ctx.mode === "cpu") {
    const out = patchLossCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      shape,
      options,
    );
    return {
      loss: tf.tensor2d(out.loss, [shape.batch, patches]),
      stats: tf.tensor(out.stats, [shape.batch * patches * 2]),
    };
  }
  const p = tensorToBuffer(pred);
  const t = tensorToBuffer(target);
  const out = patchLossGpu(
    ctx.device,
    ctx.kernels.patchLoss,
    { pred: p.buffer, target: t.buffer },
    shape,
    options,
  );
  p.release();
  t.release();
  return {
    loss: bufferToTensor<tf.Rank.R2>(out.loss, [shape.batch, patches]),
    stats: bufferToTensor<tf.Rank.R1>(out.stats, [shape.batch * patches * 2]),
  };
}

function backward(
  ctx: KernelContext,
  pred: tf.Tensor4D,
  target: tf.Tensor4D,
  stats: tf.Tensor,
  dy: tf.Tensor2D,
  shape: ImageShape & { readonly power: 1 | 2 },
): tf.Tensor4D {
  if (ctx.mode === "cpu") {
    const grad = patchLossGradCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      stats.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      shape,
    );
    return tf.tensor4d(grad, pred.shape);
  }
  const buffers = [pred, target, stats, dy].map(tensorToBuffer);
  const [p, t, s, d] = buffers.map((b) => b.buffer) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
  const grad = patchLossGradGpu(ctx.device, ctx.kernels.patchLossGrad, {
    pred: p,
    target: t,
    stats: s,
    dy: d,
  }, shape);
  for (const b of buffers) b.release();
  return bufferToTensor<tf.Rank.R4>(grad, pred.shape);
}
