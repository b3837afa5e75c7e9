/**
 * Two (or more) augmented views of every image of a batch, for contrastive
 * pretraining: the per-view parameters drawn on the CPU from the step's seed
 * (`augment_params.ts`), the pixels made by `augment_views.wgsl` on the
 * shared GPU device or by its TS twin. Same seed, same views, on either path.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../random.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { augmentViewsOp } from "../kernels/augment_views.ts";
import { type AugmentOptions, drawViewParams } from "./augment_params.ts";

/**
 * Makes `views` augmented views of every image.
 *
 * @param ctx Where the kernel runs.
 * @param images `[N, H, W, C]` batch (not disposed).
 * @param options The augmentation settings.
 * @param seed The step's seed (parameters and noise derive from it).
 * @param views Views per image (default 2).
 * @returns `[views * N, H, W, C]`: view 1 of every image, then view 2, ...
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { augmentViews } from "./augment.ts";
 * import { DEFAULT_AUGMENT } from "../config/contrastive_config.ts";
 * await tf.setBackend("cpu");
 * const x = tf.randomNormal([2, 16, 16, 1]) as tf.Tensor4D;
 * const v = augmentViews({ mode: "cpu" }, x, DEFAULT_AUGMENT, 1);
 * if (v.shape[0] !== 4) throw new Error("two views per image");
 * ```
 */
export function augmentViews(
  ctx: KernelContext,
  images: tf.Tensor4D,
  options: AugmentOptions,
  seed: number,
  views = 2,
): tf.Tensor4D {
  const [batch, height, width] = images.shape;
  const params = drawViewParams(
    options,
    { batch, views, height, width },
    deriveSeed(seed, "views"),
  );
  return augmentViewsOp(ctx, images, params, deriveSeed(seed, "noise"));
}
