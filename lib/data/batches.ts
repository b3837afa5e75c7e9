/**
 * The batch order of an epoch, shared by pretraining and fine-tuning.
 *
 * @module
 */

import { deriveSeed, makeRng, shuffle } from "../random.ts";

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
