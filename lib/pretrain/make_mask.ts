/**
 * The masking step of pretraining: scores every patch with the configured
 * strategy and removes the top-scored ones.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/config.ts";
import type { KernelContext } from "../ops/kernel_context.ts";
import { randomScoresOp, rankMaskOp } from "../ops/mask_ops.ts";

/** What one masking call needs besides the images. */
export interface MaskStep {
  /** Patches to remove per sample. */
  readonly removeCount: number;
  /** A 32-bit seed unique to this step. */
  readonly seed: number;
}

/**
 * Builds the `[N, L]` mask (1 = remove) for a batch.
 *
 * @param ctx Where the kernels run.
 * @param config The run config (`mask.method`, `mask.patchSize`).
 * @param images `[N, H, W, C]` batch.
 * @param step Count and seed.
 * @returns The mask.
 */
export function makeMask(
  ctx: KernelContext,
  config: Config,
  images: tf.Tensor4D,
  step: MaskStep,
): tf.Tensor2D {
  const [batch, height, width] = images.shape;
  const patches = (height / config.mask.patchSize) * (width / config.mask.patchSize);
  const counts = new Uint32Array(batch).fill(step.removeCount);
  switch (config.mask.method) {
    case "random": {
      const scores = randomScoresOp(ctx, { batch, patches }, step.seed);
      const { mask, ranks } = rankMaskOp(ctx, scores, counts);
      tf.dispose([scores, ranks]);
      return mask;
    }
  }
}

/**
 * Patches removed per sample at a fixed ratio: `L - floor(L * (1 - ratio))`,
 * as MAE keeps `int(L * (1 - mask_ratio))`.
 *
 * @param patches L.
 * @param ratio Mask ratio in [0, 1).
 * @returns The count.
 */
export function removeCountForRatio(patches: number, ratio: number): number {
  return patches - Math.floor(patches * (1 - ratio) + 1e-9);
}
