/**
 * The picture at the end of a pretraining run: one row per image with the
 * input, the masked input and the reconstruction, side by side.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { imageTokens, tokensToImages } from "../model/vit.ts";

/**
 * Renders `[N, H, W, C]` triples (first channel) into one 8-bit gray grid.
 * Each row uses the input's 1st-99th intensity range for all three tiles, so
 * they are comparable.
 *
 * @param columns The images to show per row (e.g. input, masked, reconstruction).
 * @param shape Batch, side and channels of every array.
 * @returns Gray pixels and the grid's size.
 */
export function renderGrid(
  columns: readonly Float32Array[],
  shape: { readonly batch: number; readonly size: number; readonly channels: number },
): { data: Uint8Array; width: number; height: number } {
  const { batch, size, channels } = shape;
  const gap = 2;
  const width = columns.length * size + (columns.length + 1) * gap;
  const height = batch * size + (batch + 1) * gap;
  const data = new Uint8Array(width * height).fill(255);
  for (let n = 0; n < batch; n++) {
    const [lo, hi] = window(columns[0] as Float32Array, n, size, channels);
    columns.forEach((images, col) => {
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const v = images[((n * size + y) * size + x) * channels] as number;
          const g = Math.round((255 * (v - lo)) / (hi - lo || 1));
          const row = gap + n * (size + gap) + y;
          const column = gap + col * (size + gap) + x;
          data[row * width + column] = Math.max(0, Math.min(255, g));
        }
      }
    });
  }
  return { data, width, height };
}

function window(images: Float32Array, n: number, size: number, channels: number): [number, number] {
  const values: number[] = [];
  for (let i = 0; i < size * size; i++) {
    values.push(images[(n * size * size + i) * channels] as number);
  }
  values.sort((a, b) => a - b);
  return [
    values[Math.floor(0.01 * (values.length - 1))] as number,
    values[Math.floor(0.99 * (values.length - 1))] as number,
  ];
}

/**
 * What a ViT masked autoencoder's reconstruction looks like as images, as MAE
 * shows it ("reconstruction + visible"): removed patches from the decoder,
 * kept patches from the input. With `normPix` the decoder predicts each patch
 * normalised by its own mean and unbiased std, so those are put back first.
 *
 * @param pred `[N, L, P*P*C]` decoder output.
 * @param images `[N, H, W, C]` the input.
 * @param mask `[N, L]`, 1 = removed.
 * @param options Patch size and normPix.
 * @returns `[N, H, W, C]`.
 */
export function tokenReconstruction(
  pred: tf.Tensor3D,
  images: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: { readonly patchSize: number; readonly normPixLoss: boolean },
): tf.Tensor4D {
  return tf.tidy(() => {
    const target = imageTokens(images, options.patchSize);
    const [n, l, d] = target.shape;
    let values: tf.Tensor = pred;
    if (options.normPixLoss) {
      const mean = tf.mean(target, -1, true);
      const variance = tf.div(
        tf.sum(tf.square(tf.sub(target, mean)), -1, true),
        Math.max(d, 2) - 1,
      );
      values = tf.add(tf.mul(pred, tf.sqrt(tf.add(variance, 1e-6))), mean);
    }
    const m = tf.reshape(mask, [n, l, 1]);
    const mixed = tf.add(tf.mul(values, m), tf.mul(target, tf.sub(1, m))) as tf.Tensor3D;
    return tokensToImages(mixed, images.shape, options.patchSize);
  });
}
