/**
 * Hard patches mining's mask (HPM, SelfMedHPM) as a tfjs-level op: from the
 * teacher's predicted per-patch loss, remove `hard[n]` predicted-hardest
 * patches and `counts[n] - hard[n]` random others (see `lib/masking/hpm.ts`),
 * on the shared device or through the TS twins.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { rankMaskOp } from "./mask_ops.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { uploadBuffer } from "../gpu/compute.ts";
import { hpmScoresCpu, hpmScoresGpu } from "../masking/hpm.ts";

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

function hpmScoresOp(
  ctx: KernelContext,
  ranks: tf.Tensor2D,
  hard: Uint32Array,
  seed: number,
): tf.Tensor2D {
  const [batch, patches] = ranks.shape;
  if (ctx.mode === "cpu") {
    const r = Uint32Array.from(ranks.dataSync() as Int32Array);
    return tf.tensor2d(hpmScoresCpu(r, hard, { patches, seed }), [batch, patches]);
  }
  const r = tensorToBuffer(ranks); // int32 ranks are non-negative: the same bits as u32
  const h = uploadBuffer(ctx.device, hard, "hard");
  const scores = hpmScoresGpu(ctx.device, ctx.kernels.hpmScores, { ranks: r.buffer, hard: h }, {
    batch,
    patches,
    seed,
  });
  r.release();
  h.destroy();
  return bufferToTensor<tf.Rank.R2>(scores, [batch, patches]);
}
