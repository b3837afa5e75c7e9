/**
 * The masking step of pretraining: how many patches to remove this epoch
 * (fixed ratio, or AMLP's adaptive ratio), and which (random, MPS, MPS-AMS or
 * hard patches mining).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/config.ts";
import type { KernelContext } from "../ops/kernel_context.ts";
import { randomScoresOp, rankMaskOp } from "../ops/mask_ops.ts";
import { mpsMaskOp } from "../ops/mps_mask_op.ts";
import { adaptiveMaskRatio, maskedCount } from "../masking/amr.ts";
import { hpmHardCount } from "../masking/hpm.ts";
import { hpmMaskOp } from "../ops/hpm_mask_op.ts";

/** What one masking call needs besides the images. */
export interface MaskStep {
  /** Patches to remove per sample. */
  readonly removeCount: number;
  /** A 32-bit seed unique to this step. */
  readonly seed: number;
  /** `[N, L]` the EMA teacher's predicted loss; needed by `mask.method: hpm`. */
  readonly predictedLoss?: tf.Tensor2D | undefined;
  /** Training progress t / T in [0, 1]; needed by `mask.method: hpm` (alpha_t). */
  readonly progress?: number;
}

/** A batch's mask and, when k-means ran, its lesion labels. */
export interface BatchMask {
  /** `[N, L]`, 1 = remove. */
  readonly mask: tf.Tensor2D;
  /** `[N, L]`, 1 = k-means lesion cluster (CCL's label_ori); null for plain random masking. */
  readonly fg: tf.Tensor2D | null;
}

/**
 * Builds the mask for a batch. k-means runs when the method is MPS/MPS-AMS or
 * when CCL needs its labels (with random masking it still masks at random).
 * Hard patches mining removes `floor(alpha0 * t/T * count)` of the teacher's
 * predicted-hardest patches and random others.
 *
 * @param ctx Where the kernels run.
 * @param config The run config.
 * @param images `[N, H, W, C]` batch.
 * @param step Count and seed.
 * @returns The mask and the k-means labels.
 */
export function makeMask(
  ctx: KernelContext,
  config: Config,
  images: tf.Tensor4D,
  step: MaskStep,
): BatchMask {
  const [batch, height, width] = images.shape;
  const patches = (height / config.mask.patchSize) * (width / config.mask.patchSize);
  const counts = new Uint32Array(batch).fill(step.removeCount);
  const method = config.mask.method;
  if (method === "hpm") {
    if (!step.predictedLoss || step.progress === undefined) {
      throw new RangeError('Cannot mask: mask.method "hpm" needs the predicted loss and progress');
    }
    const hard = new Uint32Array(batch).fill(
      hpmHardCount(step.removeCount, Math.min(1, step.progress), config.mask.hpm.alpha0),
    );
    return { mask: hpmMaskOp(ctx, step.predictedLoss, counts, hard, step.seed), fg: null };
  }
  if (method === "random" && !config.loss.ccl) {
    const scores = randomScoresOp(ctx, { batch, patches }, step.seed);
    const { mask, ranks } = rankMaskOp(ctx, scores, counts);
    tf.dispose([scores, ranks]);
    return { mask, fg: null };
  }
  return mpsMaskOp(ctx, images, counts, {
    patchSize: config.mask.patchSize,
    features: method === "mps_ams" ? "similarity" : "patches",
    order: method === "random" ? "random" : config.mask.order,
    seed: step.seed,
  });
}

/**
 * Patches removed per sample in (0-based) `epoch`: AMLP's adaptive ratio
 * `floor(L * (sigma0 + ln(epoch + 1) / tau))` when `mask.amr.enabled`, else the
 * fixed ratio as MAE (`L - floor(L * (1 - maskRatio))`).
 *
 * @param config The run config.
 * @param patches L.
 * @param epoch 0-based epoch.
 * @returns The count.
 */
export function removeCount(config: Config, patches: number, epoch: number): number {
  const { amr } = config.mask;
  if (amr.enabled) {
    const ratio = adaptiveMaskRatio(epoch + 1, {
      sigma0: amr.sigma0,
      tau: amr.tau,
      maxRatio: amr.maxRatio,
    });
    return maskedCount(patches, ratio);
  }
  return removeCountForRatio(patches, config.mask.maskRatio);
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
