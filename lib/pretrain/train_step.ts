/**
 * One MIM pretraining step on one batch: mask, reconstruct, loss on the removed
 * patches (plus CRCL or HPM's ranking loss when configured), AdamW, and the
 * EMA teacher update under hard patches mining. The network is the U-Net
 * (fed the zero-filled image) or the ViT masked autoencoder (its encoder fed
 * the kept tokens only), `lib/model/mim_net.ts`. Everything happens inside one
 * `tf.tidy` and nothing is read back: the caller gets the losses as a tensor
 * and decides when to read them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Config, patchCount } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { randomScoresOp } from "../kernels/random_scores.ts";
import { mimForward, mimInput, type MimNet, predictAllPatchLosses } from "../model/mim_net.ts";
import { emaDecay, emaUpdate, runLengthDecay } from "../model/ema.ts";
import { type AdamWState, adamWStep } from "../optim/adamw.ts";
import { deriveSeed } from "../random.ts";
import { makeMask, maskPlan } from "../masking/make_mask.ts";
import { removeCount } from "../masking/mask_count.ts";
import { pretrainLoss } from "../loss/total_loss.ts";

/** Everything a pretraining run carries from step to step. */
export interface PretrainState {
  readonly config: Config;
  readonly ctx: KernelContext;
  readonly net: MimNet;
  readonly optimizer: AdamWState;
  /**
   * HPM's EMA teacher (same architecture as `net`) or BYOL's target network
   * (its encoder and projector); null for the other methods.
   */
  readonly teacher: MimNet | null;
  /**
   * Untrained state a method carries from step to step (SwAV's queue), by
   * name; saved as `buffers/<name>` in checkpoints and restored on resume.
   */
  readonly buffers?: ReadonlyMap<string, tf.Variable>;
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
    const [batch] = images.shape;
    const patchSize = config.mask.patchSize;
    const patches = patchCount(config);
    const progress = (epoch + step / steps) / config.train.epochs;
    const plan = maskPlan(config);
    if (plan.teacher && !teacher) {
      throw new RangeError("Cannot train: hard patches mining needs an EMA teacher");
    }
    const { mask, fg } = makeMask(ctx, config, images, {
      epoch,
      seed: deriveSeed(config.run.seed, `mask:${epoch}:${step}`),
      // the teacher scores every patch of the unmasked image
      predictedLoss: plan.teacher && teacher
        ? predictAllPatchLosses(teacher, ctx, images, patchSize)
        : undefined,
      progress,
    });
    const input = mimInput(net, ctx, images, mask, {
      patchSize,
      fill: config.mask.fill,
      keep: patches - removeCount(config, patches, epoch),
    });
    // CCL's random label choice where k-means and ARL disagree
    const coin = config.loss.ccl
      ? randomScoresOp(
        ctx,
        { batch, patches },
        deriveSeed(config.run.seed, `coin:${epoch}:${step}`),
      )
      : null;
    let reconstruction: tf.Scalar | undefined;
    const { value, grads } = tf.variableGrads(() => {
      const { pred, predictedLoss } = mimForward(net, ctx, input, {
        patchSize,
        predictLoss: plan.teacher,
      });
      const loss = pretrainLoss(ctx, config, {
        pred,
        target: images,
        mask,
        fg,
        coin,
        predictedLoss,
      });
      reconstruction = tf.keep(loss.reconstruction); // kept past variableGrads' scope, disposed below
      return loss.total;
    }, variables);
    adamWStep(net.params, grads, optimizer, place.lr, config.optim);
    if (teacher) {
      const hpm = config.mask.hpm, total = config.train.epochs * steps;
      const decay = hpm.emaSchedule === "fixed"
        ? emaDecay(optimizer.step, total, { start: hpm.emaStart, end: hpm.emaEnd })
        : runLengthDecay(optimizer.step, total, {
          lagStart: hpm.emaLagStart,
          lagEnd: hpm.emaLagEnd,
        });
      emaUpdate([...teacher.params.values()], [...net.params.values()], decay);
    }
    const losses = tf.stack([value, reconstruction!]) as tf.Tensor1D;
    reconstruction!.dispose();
    return losses;
  });
}
