/**
 * The masking step of pretraining, and the only place that reads
 * `mask.method`: how many patches to remove this epoch (fixed ratio, or AMLP's
 * adaptive ratio, `mask_count.ts`) and which (random, MPS, MPS-AMS or hard
 * patches mining), plus what the rest of a run needs because of the method
 * ({@linkcode maskPlan}: an EMA teacher, k-means lesion labels).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Config, patchCount } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { randomScoresOp } from "../kernels/random_scores.ts";
import { rankMaskOp } from "../kernels/rank_mask.ts";
import { mpsMaskOp } from "./mps.ts";
import { hpmHardCount, hpmMaskOp } from "./hpm.ts";
import { removeCount } from "./mask_count.ts";

/** What the masking method asks of the rest of the run. */
export interface MaskPlan {
  /**
   * Hard patches mining: an EMA teacher predicts every patch's loss for the
   * mask, and the student carries a loss-predictor head trained by ranking.
   */
  readonly teacher: boolean;
  /** k-means runs, so a batch's mask comes with lesion labels (MPS, MPS-AMS, or CCL's need). */
  readonly lesionLabels: boolean;
}

/**
 * What `config`'s masking method needs.
 *
 * @param config The run config.
 * @returns The plan.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/pretrain_config.ts";
 * import { maskPlan } from "./make_mask.ts";
 * const hpm = { ...DEFAULT_CONFIG, mask: { ...DEFAULT_CONFIG.mask, method: "hpm" as const } };
 * if (!maskPlan(hpm).teacher || maskPlan(DEFAULT_CONFIG).teacher) throw new Error("HPM only");
 * ```
 */
export function maskPlan(config: Config): MaskPlan {
  const method = config.mask.method;
  return {
    teacher: method === "hpm",
    lesionLabels: method === "mps" || method === "mps_ams" ||
      (method === "random" && config.loss.ccl),
  };
}

/**
 * A one-line description of the masking method, for the run's first line.
 *
 * @param config The run config.
 * @returns E.g. `method random, ratio 0.5` or `method mps_ams (hardToEasy), AMR 0.25 + ln(epoch) / 12`.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/pretrain_config.ts";
 * import { describeMask } from "./make_mask.ts";
 * if (describeMask(DEFAULT_CONFIG) !== "method random, ratio 0.5") throw new Error("default BASE");
 * ```
 */
export function describeMask(config: Config): string {
  const { method, order, amr, maskRatio } = config.mask;
  const mps = method === "mps" || method === "mps_ams";
  const ratio = amr.enabled ? `AMR ${amr.sigma0} + ln(epoch) / ${amr.tau}` : `ratio ${maskRatio}`;
  return `method ${method}${mps ? ` (${order})` : ""}, ${ratio}`;
}

/** What one masking call needs besides the images. */
export interface MaskStep {
  /** 0-based epoch (sets the count under AMR). */
  readonly epoch: number;
  /** A 32-bit seed unique to this step. */
  readonly seed: number;
  /** `[N, L]` the EMA teacher's predicted loss; needed when the plan has a teacher. */
  readonly predictedLoss?: tf.Tensor2D | undefined;
  /** Training progress t / T in [0, 1]; needed when the plan has a teacher (alpha_t). */
  readonly progress?: number;
}

/** A batch's mask and, when k-means ran, its lesion labels. */
export interface BatchMask {
  /** `[N, L]`, 1 = remove. */
  readonly mask: tf.Tensor2D;
  /** `[N, L]`, 1 = k-means lesion cluster (CCL's label_ori); null when k-means did not run. */
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
 * @param images `[N, H, W, C]` batch, `H = W = data.size`.
 * @param step Epoch, seed, and HPM's inputs.
 * @returns The mask and the k-means labels.
 * @throws {RangeError} If HPM's inputs are missing or the images are not `data.size` square.
 */
export function makeMask(
  ctx: KernelContext,
  config: Config,
  images: tf.Tensor4D,
  step: MaskStep,
): BatchMask {
  const [batch, height, width] = images.shape;
  if (height !== config.data.size || width !== config.data.size) {
    throw new RangeError(
      `Cannot mask: images are ${height} x ${width} but data.size is ${config.data.size}`,
    );
  }
  const patches = patchCount(config);
  const count = removeCount(config, patches, step.epoch);
  const counts = new Uint32Array(batch).fill(count);
  const method = config.mask.method;
  if (method === "hpm") {
    if (!step.predictedLoss || step.progress === undefined) {
      throw new RangeError('Cannot mask: mask.method "hpm" needs the predicted loss and progress');
    }
    const hard = new Uint32Array(batch).fill(
      hpmHardCount(count, Math.min(1, step.progress), config.mask.hpm.alpha0),
    );
    return { mask: hpmMaskOp(ctx, step.predictedLoss, counts, hard, step.seed), fg: null };
  }
  if (!maskPlan(config).lesionLabels) {
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
