/**
 * The per-token reconstruction error of a ViT decoder as a differentiable
 * tfjs op, `pred [N, L, P*P*C]` and image `[N, H, W, C]` -> `[N, L]`, computed
 * by `token_loss.wgsl` / `token_loss_grad.wgsl` on the shared device or by
 * their TS twins (definition: `lib/kernels/token_loss.ts`). The gradient flows
 * into `pred` only; the image is the target.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { tokenLossCpu, tokenLossGpu, type TokenLossOptions } from "../kernels/token_loss.ts";
import { tokenLossGradCpu, tokenLossGradGpu } from "../kernels/token_loss_grad.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

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
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [p, t, save] = args as [tf.Tensor3D, tf.Tensor4D, tf.GradSaveFunc];
    const { loss, stats } = forward(ctx, p, t, shape, options);
    save([p, t, stats]);
    return {
      value: loss,
      gradFunc: (dy, saved) => {
        const [sp, st, sstats] = saved as [tf.Tensor3D, tf.Tensor4D, tf.Tensor];
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
  pred: tf.Tensor3D,
  target: tf.Tensor4D,
  shape: ImageShape,
  options: TokenLossOptions,
): { loss: tf.Tensor2D; stats: tf.Tensor } {
  const [batch, patches] = pred.shape;
  if (ctx.mode === "cpu") {
    const out = tokenLossCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      shape,
      options,
    );
    return {
      loss: tf.tensor2d(out.loss, [batch, patches]),
      stats: tf.tensor(out.stats, [batch * patches * 2]),
    };
  }
  const p = tensorToBuffer(pred);
  const t = tensorToBuffer(target);
  const out = tokenLossGpu(
    ctx.device,
    ctx.kernels.tokenLoss,
    { pred: p.buffer, target: t.buffer },
    shape,
    options,
  );
  p.release();
  t.release();
  return {
    loss: bufferToTensor<tf.Rank.R2>(out.loss, [batch, patches]),
    stats: bufferToTensor<tf.Rank.R1>(out.stats, [batch * patches * 2]),
  };
}

function backward(
  ctx: KernelContext,
  pred: tf.Tensor3D,
  target: tf.Tensor4D,
  stats: tf.Tensor,
  dy: tf.Tensor2D,
  shape: ImageShape & { readonly power: 1 | 2 },
): tf.Tensor3D {
  if (ctx.mode === "cpu") {
    const grad = tokenLossGradCpu(
      pred.dataSync() as Float32Array,
      target.dataSync() as Float32Array,
      stats.dataSync() as Float32Array,
      dy.dataSync() as Float32Array,
      shape,
    );
    return tf.tensor3d(grad, pred.shape);
  }
  const buffers = [pred, target, stats, dy].map(tensorToBuffer);
  const [p, t, s, d] = buffers.map((b) => b.buffer) as [GPUBuffer, GPUBuffer, GPUBuffer, GPUBuffer];
  const grad = tokenLossGradGpu(ctx.device, ctx.kernels.tokenLossGrad, {
    pred: p,
    target: t,
    stats: s,
    dy: d,
  }, shape);
  for (const b of buffers) b.release();
  return bufferToTensor<tf.Rank.R3>(grad, pred.shape);
}
