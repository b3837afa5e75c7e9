/**
 * One MIM pretraining step on one batch: mask, reconstruct, loss on the removed
 * patches (plus CRCL or HPM's ranking loss when configured), AdamW, and the
 * EMA teacher update under hard patches mining. Everything happens inside one
 * `tf.tidy` and nothing is read back: the caller gets the losses as a tensor
 * and decides when to read them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/config.ts";
import type { KernelContext } from "../ops/kernel_context.ts";
import { applyMaskOp, randomScoresOp } from "../ops/mask_ops.ts";
import { type UNet, unetFeatures, unetHead } from "../model/unet.ts";
import { predictPatchLoss } from "../model/loss_predictor.ts";
import { emaDecay, emaUpdate } from "../model/ema.ts";
import { type AdamWState, adamWStep } from "../optim/adamw.ts";
import { deriveSeed } from "../random.ts";
import { makeMask, removeCount } from "./make_mask.ts";
import { maskedReconstructionLoss } from "./masked_loss.ts";
import { amlpLoss } from "../loss/ccl.ts";
import { rankingLoss } from "../loss/ranking_loss.ts";

/** Everything a pretraining run carries from step to step. */
export interface PretrainState {
  readonly config: Config;
  readonly ctx: KernelContext;
  readonly net: UNet;
  readonly optimizer: AdamWState;
  /** HPM's EMA teacher (same architecture as `net`); null for the other methods. */
  readonly teacher: UNet | null;
}

/** Where a step is in the run. */
export interface StepPlace {
  /** 0-based epoch. */
  readonly epoch: number;
  /** 0-based step within the epoch. */
  readonly step: number;
  /** Steps per epoch. */
  readonly steps: number;
  /** The learning rate of this step. */
  readonly lr: number;
}

/**
 * Trains on one batch.
 *
 * @param state The run state (parameters, optimizer and teacher are updated).
 * @param images `[N, H, W, C]` batch (not disposed).
 * @param place Epoch, step and learning rate.
 * @returns `[total, reconstruction]`: the trained loss and its reconstruction
 *   term on the removed patches (equal for plain MIM; the total adds CRCL or
 *   HPM's ranking loss). The caller disposes it.
 */
export function trainStep(
  state: PretrainState,
  images: tf.Tensor4D,
  place: StepPlace,
): tf.Tensor1D {
  const { config, ctx, net, optimizer, teacher } = state;
  const { epoch, step, steps } = place;
  const variables = [...net.params.values()];
  return tf.tidy(() => {
    const [batch, height, width] = images.shape;
    const patchSize = config.mask.patchSize;
    const patches = (height / patchSize) * (width / patchSize);
    const progress = (epoch + step / steps) / config.train.epochs;
    const hpm = config.mask.method === "hpm";
    if (hpm && !teacher) throw new RangeError('Cannot train: mask.method "hpm" needs a teacher');
    const { mask, fg } = makeMask(ctx, config, images, {
      removeCount: removeCount(config, patches, epoch),
      seed: deriveSeed(config.run.seed, `mask:${epoch}:${step}`),
      // the teacher scores every patch of the unmasked image
      predictedLoss: hpm && teacher
        ? predictPatchLoss(teacher, unetFeatures(teacher, images), patchSize)
        : undefined,
      progress,
    });
    const masked = applyMaskOp(ctx, images, mask, config.mask);
    const crcl = config.loss.arl || config.loss.ccl;
    // CCL's random label choice where k-means and ARL disagree
    const coin = crcl
      ? randomScoresOp(
        ctx,
        { batch, patches },
        deriveSeed(config.run.seed, `coin:${epoch}:${step}`),
      )
      : null;
    let reconstruction: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const features = unetFeatures(net, masked);
      const pred = unetHead(net, "head", features);
      const { loss, perPatch } = maskedReconstructionLoss(ctx, pred, images, mask, config.mask);
      reconstruction = tf.keep(loss); // kept past variableGrads' scope, disposed below
      if (hpm) {
        // HPM: L = L_rec + lambda * ranking BCE of the predicted loss (targets detached inside)
        const predicted = predictPatchLoss(net, features, patchSize);
        const ranking = rankingLoss(predicted, perPatch, mask);
        return tf.add(loss, tf.mul(ranking, config.mask.hpm.predictorWeight)) as tf.Scalar;
      }
      if (!crcl || !fg || !coin) return loss;
      // AMLP eq. 8: L_all = L_pred + L_rrl + L_ccl (readings: see lib/loss/arl.ts, ccl.ts)
      return amlpLoss(perPatch, mask, fg, {
        coin,
        useRrl: config.loss.arl,
        useCcl: config.loss.ccl,
        arl: { reading: config.loss.arlReading },
        ccl: { labelOri: config.loss.cclLabel },
      }).total;
    }, variables);
    adamWStep(net.params, grads, optimizer, place.lr, config.optim);
    if (teacher) {
      const { emaStart: start, emaEnd: end } = config.mask.hpm;
      const decay = emaDecay(optimizer.step, config.train.epochs * steps, { start, end });
      emaUpdate([...teacher.params.values()], [...net.params.values()], decay);
    }
    const losses = tf.stack([value, reconstruction!]) as tf.Tensor1D;
    reconstruction!.dispose();
    return losses;
  });
}
