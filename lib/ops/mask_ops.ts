/**
 * Masking as tfjs-level operations: each runs a WGSL kernel on the shared
 * device or its TS twin, depending on the {@linkcode KernelContext}.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { uploadBuffer } from "../gpu/compute.ts";
import { randomScoresCpu, randomScoresGpu } from "../masking/random_scores.ts";
import { rankMaskCpu, rankMaskGpu } from "../masking/rank_mask.ts";
import { applyMaskCpu, applyMaskGpu } from "../masking/apply_mask.ts";
import type { ImageShape } from "../patchify.ts";

/**
 * Random patch scores (MAE's noise), `[N, L]`.
 *
 * @param ctx Where to run.
 * @param shape `batch` N and `patches` L.
 * @param seed A 32-bit seed, new for every step.
 * @returns Scores in [0, 1).
 */
export function randomScoresOp(
  ctx: KernelContext,
  shape: { readonly batch: number; readonly patches: number },
  seed: number,
): tf.Tensor2D {
  const count = shape.batch * shape.patches;
  if (ctx.mode === "cpu") {
    return tf.tensor2d(randomScoresCpu(count, seed), [shape.batch, shape.patches]);
  }
  const buffer = randomScoresGpu(ctx.device, ctx.kernels.randomScores, count, seed);
  return bufferToTensor<tf.Rank.R2>(buffer, [shape.batch, shape.patches]);
}

/**
 * Removes the `counts[n]` highest-scored patches of every sample.
 *
 * @param ctx Where to run.
 * @param scores `[N, L]` scores.
 * @param counts `[N]` patches to remove per sample.
 * @returns `mask` `[N, L]` (1 = remove) and `ranks` `[N, L]` int32.
 */
export function rankMaskOp(
  ctx: KernelContext,
  scores: tf.Tensor2D,
  counts: Uint32Array,
): { mask: tf.Tensor2D; ranks: tf.Tensor2D } {
  const [batch, patches] = scores.shape;
  if (counts.length !== batch) {
    throw new RangeError(`Cannot rank patches: ${counts.length} counts for a batch of ${batch}`);
  }
  if (ctx.mode === "cpu") {
    const out = rankMaskCpu(scores.dataSync() as Float32Array, counts, patches);
    return {
      mask: tf.tensor2d(out.mask, [batch, patches]),
      ranks: tf.tensor2d(Int32Array.from(out.ranks), [batch, patches], "int32"),
    };
  }
  const s = tensorToBuffer(scores);
  const c = uploadBuffer(ctx.device, counts, "counts");
  const out = rankMaskGpu(ctx.device, ctx.kernels.rankMask, { scores: s.buffer, counts: c }, {
    batch,
    patches,
  });
  s.release();
  c.destroy();
  return {
    mask: bufferToTensor<tf.Rank.R2>(out.mask, [batch, patches]),
    ranks: bufferToTensor<tf.Rank.R2>(out.ranks, [batch, patches], "int32"),
  };
}

/**
 * Fills the removed patches of NHWC images with `fill`.
 *
 * @param ctx Where to run.
 * @param images `[N, H, W, C]`.
 * @param mask `[N, L]`, 1 = remove.
 * @param options Patch size and fill value.
 * @returns The masked images.
 */
export function applyMaskOp(
  ctx: KernelContext,
  images: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: { readonly patchSize: number; readonly fill: number },
): tf.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  const shape: ImageShape = { batch, height, width, channels, patchSize: options.patchSize };
  if (ctx.mode === "cpu") {
    const out = applyMaskCpu(
      images.dataSync() as Float32Array,
      mask.dataSync() as Float32Array,
      shape,
      options.fill,
    );
    return tf.tensor4d(out, images.shape);
  }
  const i = tensorToBuffer(images);
  const m = tensorToBuffer(mask);
  const out = applyMaskGpu(
    ctx.device,
    ctx.kernels.applyMask,
    { images: i.buffer, mask: m.buffer },
    shape,
    options.fill,
  );
  i.release();
  m.release();
  return bufferToTensor<tf.Rank.R4>(out, images.shape);
}
