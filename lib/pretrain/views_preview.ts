/**
 * The preview of a contrastive pretraining run (`pretrain.method` simclr,
 * byol, swav): per image, the input and its two augmented views, side by
 * side, so that the augmentation settings can be checked by eye. The views
 * are those of the run's `augment` settings and a fixed preview seed.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/pretrain_config.ts";
import { gatherBatch, type SliceDataset } from "../data/dataset.ts";
import { augmentViews } from "../data/augment.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { writePng } from "../io/png.ts";
import { deriveSeed } from "../random.ts";
import { renderGrid } from "./preview.ts";

/**
 * Writes `preview.png`: input, view 1 and view 2 of the first
 * `train.previewCount` images.
 *
 * @param config The run's config.
 * @param ctx Where the augmentation kernel runs.
 * @param dataset The pretraining images.
 * @param path The PNG to write.
 */
export async function writeViewsPreview(
  config: Config,
  ctx: KernelContext,
  dataset: SliceDataset,
  path: string,
): Promise<void> {
  const count = Math.min(config.train.previewCount, dataset.length);
  const { images } = gatherBatch(dataset, Array.from({ length: count }, (_, i) => i));
  const shape = { batch: count, size: dataset.size, channels: dataset.channels };
  const [first, second] = tf.tidy(() => {
    const x = tf.tensor4d(images, [count, dataset.size, dataset.size, dataset.channels]);
    const views = augmentViews(ctx, x, config.augment, deriveSeed(config.run.seed, "preview"));
    return tf.split(views, 2);
  }) as [tf.Tensor4D, tf.Tensor4D];
  const grid = renderGrid(
    [images, await first.data() as Float32Array, await second.data() as Float32Array],
    shape,
  );
  tf.dispose([first, second]);
  await writePng(path, { width: grid.width, height: grid.height, channels: 1, data: grid.data });
}
