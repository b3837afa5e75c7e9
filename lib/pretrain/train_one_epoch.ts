/**
 * One epoch of MIM pretraining (MAE's engine_pretrain.train_one_epoch): for
 * every batch, mask, reconstruct, take the loss on removed patches, and step
 * AdamW with the learning rate of the fractional epoch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/config.ts";
import { gatherBatch, type SliceDataset } from "../data/dataset.ts";
import type { KernelContext } from "../ops/kernel_context.ts";
import { applyMaskOp } from "../ops/mask_ops.ts";
import { type UNet, unetForward } from "../model/unet.ts";
import { type AdamWState, adamWStep } from "../optim/adamw.ts";
import { cosineWithWarmup } from "../optim/lr_schedule.ts";
import { deriveSeed, makeRng, shuffle } from "../random.ts";
import { makeMask, removeCount } from "./make_mask.ts";
import { maskedReconstructionLoss } from "./masked_loss.ts";
import { amlpLoss } from "../loss/ccl.ts";
import { randomScoresOp } from "../ops/mask_ops.ts";
import { readFiniteLoss } from "../read_loss.ts";

/** Everything a pretraining run carries from step to step. */
export interface PretrainState {
  readonly config: Config;
  readonly ctx: KernelContext;
  readonly net: UNet;
  readonly optimizer: AdamWState;
}

/** What one step reports to the progress display. */
export interface StepReport {
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  readonly lr: number;
  readonly images: number;
}

/** Averages over an epoch. */
export interface EpochStats {
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

/**
 * The batches of one epoch: a seeded shuffle, last partial batch dropped (as
 * MAE's drop_last) unless the dataset is smaller than one batch.
 *
 * @param length Dataset size.
 * @param batchSize Batch size.
 * @param seed Run seed.
 * @param epoch 0-based epoch.
 * @returns Lists of dataset indices.
 */
export function epochBatches(
  length: number,
  batchSize: number,
  seed: number,
  epoch: number,
): number[][] {
  const order = shuffle(
    Array.from({ length }, (_, i) => i),
    makeRng(deriveSeed(seed, `epoch:${epoch}`)),
  );
  const batches: number[][] = [];
  for (let i = 0; i + batchSize <= length; i += batchSize) {
    batches.push(order.slice(i, i + batchSize));
  }
  if (batches.length === 0) batches.push(order);
  return batches;
}

/**
 * Trains one epoch.
 *
 * @param state The run state (parameters and optimizer are updated).
 * @param dataset The training slices.
 * @param epoch 0-based epoch index.
 * @param onStep Called after each step (progress display).
 * @returns The epoch's mean loss, last lr and throughput.
 * @throws {RangeError} If the loss becomes non-finite.
 */
export async function trainOneEpoch(
  state: PretrainState,
  dataset: SliceDataset,
  epoch: number,
  onStep?: (report: StepReport) => void,
): Promise<EpochStats> {
  const { config, ctx, net, optimizer } = state;
  const batches = epochBatches(dataset.length, config.train.batchSize, config.run.seed, epoch);
  const variables = [...net.params.values()];
  const schedule = { ...config.optim, epochs: config.train.epochs };
  const start = performance.now();
  let lossSum = 0;
  let lr = 0;
  let images = 0;
  for (const [step, indices] of batches.entries()) {
    lr = cosineWithWarmup(epoch + step / batches.length, schedule);
    const { images: values } = gatherBatch(dataset, indices);
    const size = dataset.size;
    const loss = tf.tidy(() => {
      const x = tf.tensor4d(values, [indices.length, size, size, dataset.channels]);
      const patches = (size / config.mask.patchSize) ** 2;
      const { mask, fg } = makeMask(ctx, config, x, {
        removeCount: removeCount(config, patches, epoch),
        seed: deriveSeed(config.run.seed, `mask:${epoch}:${step}`),
      });
      const masked = applyMaskOp(ctx, x, mask, config.mask);
      const crcl = config.loss.arl || config.loss.ccl;
      // CCL's random label choice where k-means and ARL disagree
      const coin = crcl
        ? randomScoresOp(
          ctx,
          { batch: indices.length, patches },
          deriveSeed(config.run.seed, `coin:${epoch}:${step}`),
        )
        : null;
      const { value, grads } = tf.variableGrads(() => {
        const pred = unetForward(net, masked);
        const { loss, perPatch } = maskedReconstructionLoss(ctx, pred, x, mask, config.mask);
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
      adamWStep(net.params, grads, optimizer, lr, config.optim);
      return value;
    });
    const lossValue = await readFiniteLoss(loss, { epoch, step });
    lossSum += lossValue;
    images += indices.length;
    onStep?.({ epoch, step, steps: batches.length, loss: lossValue, lr, images });
  }
  const seconds = (performance.now() - start) / 1000;
  return {
    epoch,
    loss: lossSum / batches.length,
    lr,
    seconds,
    imagesPerSecond: images / seconds,
  };
}
