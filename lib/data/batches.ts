/**
 * The batch order of an epoch, shared by pretraining and fine-tuning.
 *
 * @module
 */

import { deriveSeed, makeRng, shuffle } from "../random.ts";

/**
 * The batches of one epoch: a seeded shuffle, cut into batches of
 * `batchSize`; the last partial batch dropped (as MAE's drop_last) when
 * `dropLast`, unless the dataset is smaller than one batch, else kept as a
 * smaller batch (PyTorch's default: every image once an epoch).
 *
 * @param length Dataset size.
 * @param batchSize Batch size.
 * @param seed Run seed.
 * @param epoch 0-based epoch.
 * @param dropLast Drop the last partial batch (default true).
 * @returns Lists of dataset indices.
 */
export function epochBatches(
  length: number,
  batchSize: number,
  seed: number,
  epoch: number,
  dropLast = true,
): number[][] {
  const order = shuffle(
    Array.from({ length }, (_, i) => i),
    makeRng(deriveSeed(seed, `epoch:${epoch}`)),
  );
  const batches: number[][] = [];
  for (let i = 0; i + batchSize <= length; i += batchSize) {
    batches.push(order.slice(i, i + batchSize));
  }
  const rest = length % batchSize;
  if (batches.length === 0) batches.push(order);
  else if (!dropLast && rest > 0) batches.push(order.slice(length - rest));
  return batches;
}
