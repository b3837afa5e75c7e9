/**
 * Hard patches mining (HPM, Wang et al., CVPR 2023; SelfMedHPM): easy-to-hard
 * mask selection driven by a teacher's predicted per-patch loss: the hard
 * count and {@linkcode hpmMaskOp}, on the shared device or through the TS twins.
 *
 * At training progress t / T, alpha_t = alpha_0 * t / T (alpha_0 = 0.5) of the
 * count[n] removed patches are the ones with the highest predicted loss, and the
 * rest are drawn uniformly from the others: early training masks randomly
 * (easy), late training masks half hard patches. In rank_mask terms: rank the
 * predicted loss (rank_mask with `hard` as counts gives ranks, 0 = hardest),
 * score 1 + u for the `hard[n]` top ranks and u otherwise (u uniform in [0, 1),
 * PCG noise as `random_scores`), then rank_mask with `count` removes the hard
 * patches and `count - hard` random others.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { rankMaskOp } from "../kernels/rank_mask.ts";
import { hpmScoresOp } from "../kernels/hpm_scores.ts";

/**
 * The number of predicted-hardest patches among `count` removed ones:
 * `floor(alpha0 * progress * count)`.
 *
 * @param count Patches removed from the sample.
 * @param progress t / T in [0, 1] (epoch or step over the total).
 * @param alpha0 The final fraction (HPM: 0.5).
 * @returns The hard count, in [0, count].
 * @throws {RangeError} If progress or alpha0 is outside [0, 1].
 * @example
 * ```ts
 * import { hpmHardCount } from "./hpm.ts";
 * if (hpmHardCount(40, 1) !== 20) throw new Error("half at the end");
 * ```
 */
export function hpmHardCount(count: number, progress: number, alpha0 = 0.5): number {
  if (!(progress >= 0 && progress <= 1)) {
    throw new RangeError(`Cannot choose hard patches: progress ${progress} is outside [0, 1]`);
  }
  if (!(alpha0 >= 0 && alpha0 <= 1)) {
    throw new RangeError(`Cannot choose hard patches: alpha0 ${alpha0} is outside [0, 1]`);
  }
  // the epsilon keeps e.g. 0.5 * 0.6 * 10 = 2.9999999999999996 at 3
  return Math.min(count, Math.floor(alpha0 * progress * count + 1e-9));
}

/**
 * Builds the HPM mask of a batch.
 *
 * @param ctx Where to run.
 * @param predicted `[N, L]` the teacher's predicted loss (higher = harder).
 * @param counts `[N]` patches to remove.
 * @param hard `[N]` of them to take from the predicted hardest (<= counts).
 * @param seed A 32-bit seed, new for every step (the random part).
 * @returns `[N, L]` mask, 1 = remove.
 * @throws {RangeError} If the sizes disagree or a hard count exceeds its count.
 */
export function hpmMaskOp(
  ctx: KernelContext,
  predicted: tf.Tensor2D,
  counts: Uint32Array,
  hard: Uint32Array,
  seed: number,
): tf.Tensor2D {
  const [batch] = predicted.shape;
  if (counts.length !== batch || hard.length !== batch) {
    throw new RangeError(
      `Cannot build HPM mask: ${counts.length} counts and ${hard.length} hard counts for a batch of ${batch}`,
    );
  }
  hard.forEach((h, n) => {
    if (h > (counts[n] as number)) {
      throw new RangeError(
        `Cannot build HPM mask: sample ${n} has ${h} hard patches but removes only ${counts[n]}`,
      );
    }
  });
  return tf.tidy(() => {
    const { ranks } = rankMaskOp(ctx, predicted, hard); // ranks: 0 = hardest
    return rankMaskOp(ctx, hpmScoresOp(ctx, ranks, hard, seed), counts).mask;
  });
}
