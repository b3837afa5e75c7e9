/**
 * One epoch of MIM pretraining (MAE's engine_pretrain.train_one_epoch): for
 * every batch, mask, reconstruct, take the loss on removed patches, and step
 * AdamW with the learning rate of the fractional epoch.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { gatherBatch, type SliceDataset } from "../data/dataset.ts";
import { cosineWithWarmup } from "../optim/lr_schedule.ts";
import { epochBatches } from "../data/batches.ts";
import { type LossPlace, LossQueue } from "../run/read_loss.ts";
import { type PretrainState, trainStep } from "./train_step.ts";
import { contrastiveStep } from "./contrastive_step.ts";

export type { PretrainState };

/** What one step reports to the progress display. */
export interface StepReport {
  readonly epoch: number;
  readonly step: number;
  readonly steps: number;
  readonly loss: number;
  /** The reconstruction term of `loss` (equal to it for plain MIM; null for the contrastive methods). */
  readonly reconstruction: number | null;
  readonly lr: number;
  readonly images: number;
}

/** Averages over an epoch. */
export interface EpochStats {
  readonly epoch: number;
  /** The trained loss (with CRCL or HPM's ranking term when configured). */
  readonly loss: number;
  /**
   * Its reconstruction term on the removed patches: comparable across MIM
   * methods; null for the contrastive ones, which reconstruct nothing.
   */
  readonly reconstruction: number | null;
  readonly lr: number;
  readonly seconds: number;
  readonly imagesPerSecond: number;
}

/**
 * Trains one epoch. Losses stay on the device and are read back together
 * every `train.lossEvery` steps (and at the end of the epoch), so the device
 * never waits for the host in between.
 *
 * @param state The run state (parameters and optimizer are updated).
 * @param dataset The training slices.
 * @param epoch 0-based epoch index.
 * @param onStep Called for each step once its loss is read (progress display).
 * @returns The epoch's mean loss, last lr and throughput.
 * @throws {RangeError} If the loss becomes non-finite.
 */
export async function trainOneEpoch(
  state: PretrainState,
  dataset: SliceDataset,
  epoch: number,
  onStep?: (report: StepReport) => void,
): Promise<EpochStats> {
  const { config } = state;
  const batches = epochBatches(dataset.length, config.train.batchSize, config.run.seed, epoch);
  const schedule = { ...config.optim, epochs: config.train.epochs };
  const start = performance.now();
  const steps = batches.length;
  let lossSum = 0;
  let reconstructionSum = 0;
  let lr = 0;
  let images = 0;
  const queue = new LossQueue<LossPlace & { lr: number; images: number }>(
    config.train.lossEvery,
    ([loss, reconstruction], p) => {
      lossSum += loss!;
      reconstructionSum += reconstruction ?? NaN;
      onStep?.({
        epoch,
        step: p.step,
        steps,
        loss: loss!,
        reconstruction: reconstruction ?? null,
        lr: p.lr,
        images: p.images,
      });
    },
  );
  for (const [step, indices] of batches.entries()) {
    lr = cosineWithWarmup(epoch + step / steps, schedule);
    const { images: values } = gatherBatch(dataset, indices);
    const x = tf.tensor4d(values, [indices.length, dataset.size, dataset.size, dataset.channels]);
    const train = config.pretrain.method === "mim" ? trainStep : contrastiveStep;
    const loss = train(state, x, { epoch, step, steps, lr });
    x.dispose();
    images += indices.length;
    await queue.push(loss, { epoch, step, lr, images });
  }
  await queue.flush();
  const seconds = (performance.now() - start) / 1000;
  return {
    epoch,
    loss: lossSum / steps,
    reconstruction: Number.isNaN(reconstructionSum) ? null : reconstructionSum / steps,
    lr,
    seconds,
    imagesPerSecond: images / seconds,
  };
}
