/**
 * A reconstruction-loss kernel pair (loss and its gradient, WGSL with TS
 * twins) as one differentiable tfjs op: `pred` and image `[N, H, W, C]` ->
 * per-patch losses `[N, L]`. The kernel runs on the shared device or through
 * its twin (`ctx.mode`); the forward pass saves the per-patch target mean and
 * scale (`stats`) for the backward pass; the gradient flows into `pred` only,
 * the image is the target. `patch_loss_op.ts` (U-Net output, `[N, H, W, C]`)
 * and `token_loss_op.ts` (ViT tokens, `[N, L, P*P*C]`) are its two uses.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext, KernelName } from "../kernels/kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

/** How the error is measured: 2 squared, 1 absolute; `normPix` normalises each target patch. */
export interface LossMeasure {
  readonly power: 1 | 2;
  readonly normPix: boolean;
}

/** The shape and power a gradient kernel takes. */
type GradShape = ImageShape & { readonly power: 1 | 2 };

/** One loss kernel, its gradient kernel and their TS twins. */
export interface LossKernels {
  /** Registry keys of the two pipelines. */
  readonly loss: KernelName;
  readonly grad: KernelName;
  readonly lossCpu: (
    pred: Float32Array,
    target: Float32Array,
    shape: ImageShape,
    measure: LossMeasure,
  ) => { loss: Float32Array; stats: Float32Array };
  readonly lossGpu: (
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    buffers: { readonly pred: GPUBuffer; readonly target: GPUBuffer },
    shape: ImageShape,
    measure: LossMeasure,
  ) => { loss: GPUBuffer; stats: GPUBuffer };
  readonly gradCpu: (
    pred: Float32Array,
    target: Float32Array,
    stats: Float32Array,
    dy: Float32Array,
    shape: GradShape,
  ) => Float32Array;
  readonly gradGpu: (
    device: GPUDevice,
    pipeline: GPUComputePipeline,
    buffers: {
      readonly pred: GPUBuffer;
      readonly target: GPUBuffer;
      readonly stats: GPUBuffer;
      readonly dy: GPUBuffer;
    },
    shape: GradShape,
  ) => GPUBuffer;
}

/**
 * Runs `kernels` as a differentiable op. The caller has checked that `pred`
 * fits `shape` (the kernels define its layout).
 *
 * @param ctx Where to run.
 * @param kernels The kernel pair.
 * @param pred The prediction, in the kernels' layout.
 * @param target `[N, H, W, C]` original images.
 * @param shape The images' shape and patch size.
 * @param measure Power and normPix.
 * @returns `[N, L]` losses, differentiable with respect to `pred`.
 */
export function lossKernelOp<T extends tf.Tensor>(
  ctx: KernelContext,
  kernels: LossKernels,
  pred: T,
  target: tf.Tensor4D,
  shape: ImageShape,
  measure: LossMeasure,
): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, t, save] = args as [T, tf.Tensor4D, tf.GradSaveFunc];
    const { loss, stats } = forward(ctx, kernels, p, t, shape, measure);
    save([p, t, stats]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [sp, st, sstats] = saved as [T, tf.Tensor4D, tf.Tensor];
        const grad = backward(ctx, kernels, sp, st, sstats, dy as tf.Tensor2D, {
          ...shape,
          power: measure.power,
        });
        return [grad, tf.zerosLike(st)];
      },
    };
  });
  return op(pred, target) as tf.Tensor2D;
}

function forward(
  ctx: KernelContext,
  kernels: LossKernels,
  pred: tf.Tensor,
  target: tf.Tensor4D,
  shape: ImageShape,
  measure: LossMeasure,
): { loss: tf.Tensor2D; stats: tf.Tensor } {
  const { patches } = patchGrid(shape);
  if (ctx.mode === "cpu") {
    const out = kernels.lossCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      shape,
      measure,
    );
    return {
      loss: tf.tensor2d(out.loss, [shape.batch, patches]),
      stats: tf.tensor(out.stats, [shape.batch * patches * 2]),
    };
  }
  const p = tensorToBuffer(pred);
  const t = tensorToBuffer(target);
  const out = kernels.lossGpu(
    ctx.device,
    ctx.kernels[kernels.loss],
    { pred: p.buffer, target: t.buffer },
    shape,
    measure,
  );
  p.release();
  t.release();
  return {
    loss: bufferToTensor<tf.Rank.R2>(out.loss, [shape.batch, patches]),
    stats: bufferToTensor<tf.Rank.R1>(out.stats, [shape.batch * patches * 2]),
  };
}

function backward<T extends tf.Tensor>(
  ctx: KernelContext,
  kernels: LossKernels,
  pred: T,
  target: tf.Tensor4D,
  stats: tf.Tensor,
  dy: tf.Tensor2D,
  shape: GradShape,
): T {
  if (ctx.mode === "cpu") {
    const grad = kernels.gradCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      stats.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      shape,
    );
    return tf.tensor(grad, pred.shape) as T;
  }
  const buffers = [pred, target, stats, dy].map(tensorToBuffer);
  const [p, t, s, d] = buffers.map((b) => b.buffer) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
  const grad = kernels.gradGpu(ctx.device, ctx.kernels[kernels.grad], {
    pred: p,
    target: t,
    stats: s,
    dy: d,
  }, shape);
  for (const b of buffers) b.release();
  return bufferToTensor(grad, pred.shape) as T;
}
