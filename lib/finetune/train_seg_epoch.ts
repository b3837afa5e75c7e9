/**
 * One epoch of fine-tuning: for every batch of labelled training slices,
 * forward, segmentation loss, AdamW step at the fractional epoch's learning
 * rate (warmup + cosine).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { gatherBatch, type SliceDataset } from "../data/dataset.ts";
import { segForward, type SegNet } from "../model/seg_net.ts";
import { type AdamWState, adamWStep } from "../optim/adamw.ts";
import { cosineWithWarmup } from "../optim/lr_schedule.ts";
import { epochBatches } from "../data/batches.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { segmentationLoss } from "../loss/seg_loss.ts";
import { LossQueue } from "../run/read_loss.ts";

/** Averages over one epoch. */
export interface SegEpochStats {
  readonly epoch: number;
  readonly loss: number;
  readonly lr: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
  /** Optimizer steps (batches) this epoch. */
  readonly steps: number;
}

/**
 * Trains one epoch on the slices `train`.
 *
 * @param state Config, network and optimizer (updated).
 * @param data The dataset, the training slice indices and the 0-based epoch.
 * @returns The epoch's mean loss, last lr and throughput.
 * @throws {RangeError} If the loss becomes non-finite, or a label is >= the class count.
 */
export async function trainSegEpoch(
  state: {
    readonly config: FinetuneConfig;
    readonly net: SegNet;
    readonly optimizer: AdamWState;
    /** Per-parameter lr factors (`transfer_lr.ts`); absent = 1 for all. */
    readonly lrScales?: ReadonlyMap<string, number>;
  },
  data: {
    readonly dataset: SliceDataset;
    readonly train: readonly number[];
    readonly epoch: number;
  },
): Promise<SegEpochStats> {
  const { config, net, optimizer } = state;
  const { dataset, train, epoch } = data;
  const batches = epochBatches(
    train.length,
    config.train.batchSize,
    config.run.seed,
    epoch,
    config.train.dropLast,
  )
    .map((b) => b.map((i) => train[i] as number));
  const variables = [...net.params.values()];
  const schedule = { ...config.optim, epochs: config.train.epochs };
  const size = dataset.size;
  const classes = Math.max(2, config.model.numClasses);
  const start = performance.now();
  let lossSum = 0;
  let lr = 0;
  let images = 0;
  const queue = new LossQueue(config.train.lossEvery, ([value]) => lossSum += value!);
  for (const [step, indices] of batches.entries()) {
    lr = cosineWithWarmup(epoch + step / batches.length, schedule);
    const { images: x, labels } = gatherBatch(dataset, indices);
    if (config.loss.kind === "dice_ce") {
      const bad = labels.find((v) => v >= classes);
      if (bad !== undefined) {
        throw new RangeError(
          `Cannot train: label ${bad} is not below model.numClasses ${config.model.numClasses}`,
        );
      }
    }
    const loss = tf.tidy(() => {
      const xs = tf.tensor4d(x, [indices.length, size, size, dataset.channels]);
      const ys = tf.tensor3d(Int32Array.from(labels), [indices.length, size, size], "int32");
      const { value, grads } = tf.variableGrads(
        () => segmentationLoss(segForward(net, xs), ys, config.loss),
        variables,
      );
      adamWStep(net.params, grads, optimizer, lr, config.optim, state.lrScales);
      return value;
    });
    images += indices.length;
    await queue.push(loss, { epoch, step });
  }
  await queue.flush();
  const seconds = (performance.now() - start) / 1000;
  return {
    epoch,
    loss: lossSum / batches.length,
    lr,
    seconds,
    imagesPerSecond: images / seconds,
    steps: batches.length,
  };
}
