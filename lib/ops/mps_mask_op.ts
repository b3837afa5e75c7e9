/**
 * Masked patch selection (AMLP's MPS, or MPS-AMS with the similarity matrix)
 * as a tfjs-level op: k-means per image, foreground probabilities, top-k
 * masking, on the shared device or through the TS twins.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { uploadBuffer } from "../gpu/compute.ts";
import { mpsMaskCpu, mpsMaskGpu } from "../masking/mps.ts";
import type { MaskOrder } from "../masking/mask_order.ts";

/** Options of {@linkcode mpsMaskOp}. */
export interface MpsMaskOpOptions {
  readonly patchSize: number;
  /** `patches` (AMLP) or `similarity` (MPS-AMS). */
  readonly features: "patches" | "similarity";
  /** Table 4 order; `random` still clusters (CCL needs the labels) but masks at random. */
  readonly order: MaskOrder;
  readonly seed: number;
}

/**
 * Builds the MPS mask of a batch.
 *
 * @param ctx Where to run.
 * @param images `[N, H, W, C]`.
 * @param counts `[N]` patches to remove.
 * @param options Patch size, features, order, seed.
 * @returns `mask` `[N, L]` (1 = remove) and `fg` `[N, L]` float (1 = k-means lesion cluster).
 */
export function mpsMaskOp(
  ctx: KernelContext,
  images: tf.Tensor4D,
  counts: Uint32Array,
  options: MpsMaskOpOptions,
): { mask: tf.Tensor2D; fg: tf.Tensor2D } {
  const [batch, height, width, channels] = images.shape;
  const shape = { batch, height, width, channels, patchSize: options.patchSize };
  const patches = (height / options.patchSize) * (width / options.patchSize);
  const maskOptions = { features: options.features, order: options.order, seed: options.seed };
  if (ctx.mode === "cpu") {
    const out = mpsMaskCpu(images.dataSync() as Float32Array, shape, { ...maskOptions, counts });
    return {
      mask: tf.tensor2d(out.mask, [batch, patches]),
      fg: tf.tensor2d(Float32Array.from(out.fg), [batch, patches]),
    };
  }
  const input = tensorToBuffer(images);
  const countBuffer = uploadBuffer(ctx.device, counts, "counts");
  const out = mpsMaskGpu(ctx.device, ctx.kernels, input.buffer, shape, {
    ...maskOptions,
    counts: countBuffer,
  });
  input.release();
  countBuffer.destroy();
  out.ranks.destroy();
  out.scores.destroy();
  const fgInt = bufferToTensor<tf.Rank.R2>(out.fg, [batch, patches], "int32");
  const fg = tf.cast(fgInt, "float32") as tf.Tensor2D;
  fgInt.dispose();
  return { mask: bufferToTensor<tf.Rank.R2>(out.mask, [batch, patches]), fg };
}
