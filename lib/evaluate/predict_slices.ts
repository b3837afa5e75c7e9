/**
 * Inference over dataset slices: the network's label map for each.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { gatherBatch, type SliceDataset } from "../data/dataset.ts";
import { segForward, type SegNet } from "../model/seg_net.ts";
import { logitsToLabels } from "../loss/seg_loss.ts";

/**
 * Predicts label maps for `indices`, in batches.
 *
 * @param net The segmentation network.
 * @param dataset The slices.
 * @param options The slice `indices` and the `batchSize`.
 * @returns `[indices.length, size, size]` labels, row-major per slice.
 */
export async function predictSlices(
  net: SegNet,
  dataset: SliceDataset,
  options: { readonly indices: readonly number[]; readonly batchSize: number },
): Promise<Uint8Array> {
  const { indices, batchSize } = options;
  const size = dataset.size;
  const out = new Uint8Array(indices.length * size * size);
  for (let at = 0; at < indices.length; at += batchSize) {
    const part = indices.slice(at, at + batchSize);
    const { images } = gatherBatch(dataset, part);
    const labels = tf.tidy(() =>
      logitsToLabels(
        segForward(net, tf.tensor4d(images, [part.length, size, size, dataset.channels])),
      )
    );
    const values = await labels.data();
    labels.dispose();
    out.set(Uint8Array.from(values as Int32Array), at * size * size);
  }
  return out;
}
