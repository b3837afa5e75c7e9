/**
 * A pretraining method's total loss, in one function: the reconstruction loss
 * on the removed patches (MAE's L2 or SimMIM's L1, `mim_loss.ts`), plus HPM's
 * ranking loss of the student's loss predictor, or AMLP's CRCL terms
 * (ARL and CCL, eq. 8), as the config says.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { maskedReconstructionLoss } from "./mim_loss.ts";
import { amlpLoss } from "./ccl.ts";
import { attentionReconstructionLoss } from "./arl.ts";
import { rankingLoss } from "./ranking_loss.ts";

/** What the total loss is computed from. */
export interface PretrainLossInputs {
  /** The reconstruction: `[N, H, W, C]` (U-Net) or `[N, L, P*P*C]` patch tokens (ViT). */
  readonly pred: tf.Tensor4D | tf.Tensor3D;
  /** `[N, H, W, C]` the unmasked images. */
  readonly target: tf.Tensor4D;
  /** `[N, L]`, 1 = removed. */
  readonly mask: tf.Tensor2D;
  /** `[N, L]` k-means lesion labels (CCL's label_ori), when k-means ran. */
  readonly fg: tf.Tensor2D | null;
  /** `[N, L]` uniform noise for CCL's random label choice, when CRCL is on. */
  readonly coin: tf.Tensor2D | null;
  /** `[N, L]` the student's predicted per-patch loss (HPM's loss predictor), or null. */
  readonly predictedLoss: tf.Tensor2D | null;
}

/** The trained loss and its reconstruction term. */
export interface PretrainLoss {
  /** What the optimizer minimises. */
  readonly total: tf.Scalar;
  /** The loss on removed patches alone: comparable across methods. */
  readonly reconstruction: tf.Scalar;
}

/**
 * The total pretraining loss.
 *
 * 1) HPM (a predicted loss is given): `L_rec + predictorWeight * ranking BCE`
 *    of the predicted loss against the true per-patch loss (targets detached).
 * 2) CCL (`loss.ccl`, which needs k-means labels and the coin): AMLP eq. 8,
 *    `L_pred + L_rrl + L_ccl`, L_rrl only with `loss.arl` (readings: `arl.ts`, `ccl.ts`).
 * 3) ARL alone (`loss.arl`, no labels needed): `L_pred + L_rrl`, as AMLP's rows
 *    without MPS, from which "L_ccl ... is excluded" (sec. 4.8).
 * 4) Otherwise the reconstruction loss alone.
 *
 * @param ctx Where the kernels run.
 * @param config The run config.
 * @param inputs Reconstruction, target, mask and the method's extra inputs.
 * @returns The total and its reconstruction term.
 * @throws {RangeError} If CCL is on but the k-means labels or the coin are missing.
 */
export function pretrainLoss(
  ctx: KernelContext,
  config: Config,
  inputs: PretrainLossInputs,
): PretrainLoss {
  const { pred, target, mask, fg, coin, predictedLoss } = inputs;
  const { loss, perPatch } = maskedReconstructionLoss(ctx, pred, target, mask, config.mask);
  if (predictedLoss) {
    const ranking = rankingLoss(predictedLoss, perPatch, mask);
    const total = tf.add(loss, tf.mul(ranking, config.mask.hpm.predictorWeight)) as tf.Scalar;
    return { total, reconstruction: loss };
  }
  const { arl, ccl, arlReading } = config.loss;
  if (!arl && !ccl) return { total: loss, reconstruction: loss };
  if (!ccl) {
    const rrl = attentionReconstructionLoss(perPatch, mask, { reading: arlReading });
    return { total: tf.add(loss, rrl) as tf.Scalar, reconstruction: loss };
  }
  if (!fg || !coin) {
    throw new RangeError(
      "Cannot compute CCL: it needs the k-means lesion labels and the coin of this batch",
    );
  }
  const total = amlpLoss(perPatch, mask, fg, {
    coin,
    useRrl: config.loss.arl,
    useCcl: config.loss.ccl,
    arl: { reading: config.loss.arlReading },
    ccl: { labelOri: config.loss.cclLabel },
  }).total;
  return { total, reconstruction: loss };
}
