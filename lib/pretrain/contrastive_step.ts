/**
 * One contrastive pretraining step on one batch (`pretrain.method` simclr,
 * byol or swav): two augmented views per image, the encoder's pooled
 * bottleneck features through the method's heads, its loss, AdamW, and for
 * BYOL the EMA update of the target network. Both views of every image go
 * through the network as one batch of 2N (batch-norm statistics over both
 * views, as SimCLR's global batch norm and SwAV). Everything happens inside
 * one `tf.tidy` and nothing is read back.
 *
 * - SimCLR: `NT-Xent(z1, z2, tau)` over the 2N projections.
 * - BYOL: `byol(p1, z2') + byol(p2, z1')`, p the online predictions, z' the
 *   target's projections, computed before and outside the gradient tape (the
 *   target never enters it and its variables are not trainable); then
 *   `target = d * target + (1 - d) * online` with d rising from
 *   `pretrain.byol.emaStart` to `emaEnd` on a cosine over the run's steps.
 * - SwAV: prototypes normalised to unit length first, scores = cosines of the
 *   projections with the prototypes, codes by Sinkhorn-Knopp, swapped
 *   prediction; the prototypes get no update during the first
 *   `pretrain.swav.freezePrototypesEpochs` epochs (SwAV). With a queue
 *   (`pretrain.swav.queueLength` > 0, `state.buffers`), once it is full the
 *   codes come from Sinkhorn-Knopp over the queued projections and the batch;
 *   the batch's normalised projections then enter the queue.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { augmentViews } from "../data/augment.ts";
import {
  type ContrastiveMethod,
  predictProjection,
  projectImages,
  targetParamNames,
} from "../model/contrastive_net.ts";
import { normalizePrototypes, PROTOTYPES, prototypeScores } from "../model/prototypes.ts";
import { pushSwavQueue, queuedProjections, SWAV_QUEUE } from "../model/swav_queue.ts";
import { l2Normalize } from "../model/l2_normalize.ts";
import { emaDecay, emaUpdate } from "../model/ema.ts";
import { adamWStep } from "../optim/adamw.ts";
import { deriveSeed } from "../random.ts";
import { ntXentLoss } from "../loss/nt_xent.ts";
import { byolLoss } from "../loss/byol_loss.ts";
import { swavLoss } from "../loss/swav_loss.ts";
import type { PretrainState, StepPlace } from "./train_step.ts";
import type { UNet } from "../model/unet.ts";
import type { MimNet } from "../model/mim_net.ts";

/**
 * Trains on one batch with the configured contrastive method.
 *
 * @param state The run state; for BYOL `teacher` is the target network.
 * @param images `[N, H, W, C]` batch (not disposed), N >= 2.
 * @param place Epoch, step and learning rate.
 * @returns `[loss]`: one term, no reconstruction (the MIM step returns
 *   `[total, reconstruction]`). The caller disposes it.
 * @throws {RangeError} If the method is `mim`, or BYOL runs without a target.
 */
export function contrastiveStep(
  state: PretrainState,
  images: tf.Tensor4D,
  place: StepPlace,
): tf.Tensor1D {
  const { config, ctx, optimizer } = state;
  const net = encoderNet(state.net);
  const teacher = state.teacher ? encoderNet(state.teacher) : null;
  const method = config.pretrain.method;
  if (method === "mim") {
    throw new RangeError('Cannot run a contrastive step: pretrain.method is "mim"');
  }
  if (method === "byol" && !teacher) {
    throw new RangeError('Cannot train: pretrain.method "byol" needs a target network');
  }
  const { epoch, step, steps } = place;
  const n = images.shape[0];
  return tf.tidy(() => {
    const views = augmentViews(
      ctx,
      images,
      config.augment,
      deriveSeed(config.run.seed, `views:${epoch}:${step}`),
    );
    if (method === "swav") normalizePrototypes(net.params);
    // BYOL's target projections: outside the tape, a constant for the loss
    const target = method === "byol" && teacher ? projectImages(teacher, views) : null;
    const frozen = method === "swav" && epoch < config.pretrain.swav.freezePrototypesEpochs;
    const variables = [...net.params]
      .filter(([name]) => !(frozen && name === PROTOTYPES))
      .map(([, v]) => v);
    let projections: tf.Tensor2D | undefined; // SwAV: the batch's, for the queue
    const { value, grads } = tf.variableGrads(() => {
      const z = projectImages(net, views);
      if (method === "swav") projections = tf.keep(l2Normalize(z)); // disposed below
      return contrastiveLoss(method, state, net, z, target, n);
    }, variables);
    adamWStep(net.params, grads, optimizer, place.lr, config.optim);
    const queue = state.buffers?.get(SWAV_QUEUE);
    if (queue && projections) {
      pushSwavQueue(queue, first(projections, n), second(projections, n));
    }
    projections?.dispose();
    if (method === "byol" && teacher) {
      const { emaStart: start, emaEnd: end } = config.pretrain.byol;
      const decay = emaDecay(optimizer.step, config.train.epochs * steps, { start, end });
      const names = targetParamNames(net);
      emaUpdate(
        names.map((name) => teacher.params.get(name) as tf.Variable),
        names.map((name) => net.params.get(name) as tf.Variable),
        decay,
      );
    }
    return tf.reshape(value, [1]) as tf.Tensor1D;
  });
}

/**
 * The method's loss on the projections `z` `[2N, D]` of the 2N views (views 1
 * of every image, then views 2).
 */
function contrastiveLoss(
  method: ContrastiveMethod,
  { config, optimizer, buffers }: PretrainState,
  net: UNet,
  z: tf.Tensor2D,
  target: tf.Tensor2D | null,
  n: number,
): tf.Scalar {
  if (method === "simclr") {
    return ntXentLoss(first(z, n), second(z, n), config.pretrain.simclr.temperature);
  }
  if (method === "byol") {
    const p = predictProjection(net, z);
    const t = target as tf.Tensor2D;
    return tf.add(
      byolLoss(first(p, n), second(t, n)),
      byolLoss(second(p, n), first(t, n)),
    ) as tf.Scalar;
  }
  const { temperature, epsilon, sinkhornIterations: iterations, queueLength } =
    config.pretrain.swav;
  const scores = prototypeScores(net.params, z);
  // the queue is full after queueLength / N steps (it takes N rows per step)
  const queue = buffers?.get(SWAV_QUEUE);
  const queued = queue && optimizer.step * n >= queueLength
    ? [0, 1].map((v) => prototypeScores(net.params, queuedProjections(queue, v as 0 | 1)))
    : undefined;
  return swavLoss(first(scores, n), second(scores, n), {
    temperature,
    epsilon,
    iterations,
    ...(queued ? { queued: queued as [tf.Tensor2D, tf.Tensor2D] } : {}),
  }).loss;
}

/** Rows 0..N-1: the first views. */
function first(t: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.slice(t, [0, 0], [n, -1]);
}

/** Rows N..2N-1: the second views. */
function second(t: tf.Tensor2D, n: number): tf.Tensor2D {
  return tf.slice(t, [n, 0], [n, -1]);
}

/** The U-Net (encoder) of a contrastive run; a ViT is refused. */
function encoderNet(net: MimNet): UNet {
  if (net.arch !== "unet") {
    throw new RangeError(
      `Cannot run a contrastive step: the network is a ${net.arch}; SimCLR, BYOL and SwAV train the U-Net encoder`,
    );
  }
  return net;
}
