/**
 * The random part of contrastive augmentation: for every view of every image,
 * one row of 12 numbers that `augment_views.wgsl` (or its TS twin) turns into
 * the view. Drawn on the CPU from a seed (a few numbers per view), so the same
 * seed gives the same views on every backend.
 *
 * What a view is, for grayscale medical images (SimCLR's recipe without the
 * colour parts, plus the intensity changes of nnU-Net on z-scored data):
 * - random resized crop: area fraction in `[cropMinScale, 1]`, aspect ratio
 *   log-uniform in `[1 / cropMaxRatio, cropMaxRatio]`, position uniform, resized
 *   back to H x W (bilinear);
 * - flips: horizontal and vertical, each with its probability;
 * - rotation: uniform in `[-rotateDegrees, rotateDegrees]` about the crop centre
 *   (positions outside the image repeat the edge pixels);
 * - intensity jitter with probability `jitterProbability`: gamma log-uniform in
 *   `[1 / gamma, gamma]` on the image's [min, max] range, contrast factor in
 *   `[1 - contrast, 1 + contrast]` around the image mean, brightness shift in
 *   `[-brightness, brightness]` (z-score units: standard deviations);
 * - Gaussian blur with probability `blurProbability`, sigma in `[0.1, blurSigma]` pixels;
 * - Gaussian noise with probability `noiseProbability`, std in `[0, noiseStd]`.
 *
 * Every view draws the same count of numbers whatever its probabilities, from
 * its own stream (`deriveSeed(seed, "view:k:n")`), so changing one setting or
 * the batch size changes no other view's draws.
 *
 * @module
 */

import { deriveSeed, makeRng } from "../random.ts";
import { VIEW_PARAMS } from "../kernels/augment_views.ts";
import type { AugmentSection } from "../config/contrastive_config.ts";

/** The augmentation settings: the pretraining config's `augment` section. */
export type AugmentOptions = AugmentSection;

/** Image batch geometry for {@linkcode drawViewParams}. */
export interface ViewShape {
  /** N, the source images. */
  readonly batch: number;
  /** Views per image (2 for SimCLR, BYOL and SwAV without multi-crop). */
  readonly views: number;
  readonly height: number;
  readonly width: number;
}

/**
 * Draws the parameter rows of `views * batch` views; row `k * N + n` is view k of image n.
 *
 * @param options The augmentation settings.
 * @param shape Batch, views per image and image size.
 * @param seed The step's seed.
 * @returns `[views * N, 12]` rows: affine map (6), gamma, contrast, brightness,
 *   blur sigma, noise std, 0.
 * @example
 * ```ts
 * import { drawViewParams } from "./augment_params.ts";
 * const options = {
 *   cropMinScale: 0.4, cropMaxRatio: 4 / 3, flipHorizontal: 0.5, flipVertical: 0,
 *   rotateDegrees: 15, jitterProbability: 0.8, brightness: 0.2, contrast: 0.2, gamma: 1.5,
 *   blurProbability: 0.5, blurSigma: 1, noiseProbability: 0.5, noiseStd: 0.1,
 * };
 * const shape = { batch: 4, views: 2, height: 64, width: 64 };
 * const a = drawViewParams(options, shape, 7), b = drawViewParams(options, shape, 7);
 * if (a.join() !== b.join()) throw new Error("same seed, same views");
 * ```
 */
export function drawViewParams(
  options: AugmentOptions,
  shape: ViewShape,
  seed: number,
): Float32Array {
  const { batch, views, height, width } = shape;
  const out = new Float32Array(views * batch * VIEW_PARAMS);
  for (let k = 0; k < views; k++) {
    for (let n = 0; n < batch; n++) {
      const rng = makeRng(deriveSeed(seed, `view:${k}:${n}`));
      const u = () => rng.next();
      const between = (lo: number, hi: number) => lo + (hi - lo) * u();
      // 15 draws per view, whatever the settings
      const scale = between(options.cropMinScale, 1);
      const logRatio = between(-Math.log(options.cropMaxRatio), Math.log(options.cropMaxRatio));
      const cw = Math.min(width, width * Math.sqrt(scale * Math.exp(logRatio)));
      const ch = Math.min(height, height * Math.sqrt(scale / Math.exp(logRatio)));
      const cx = cw / 2 + u() * (width - cw);
      const cy = ch / 2 + u() * (height - ch);
      const fu = u() < options.flipHorizontal ? -1 : 1;
      const fv = u() < options.flipVertical ? -1 : 1;
      const angle = between(-options.rotateDegrees, options.rotateDegrees) * Math.PI / 180;
      const jitter = u() < options.jitterProbability;
      const gamma = Math.exp(between(-Math.log(options.gamma), Math.log(options.gamma)));
      const contrast = between(1 - options.contrast, 1 + options.contrast);
      const brightness = between(-options.brightness, options.brightness);
      const blur = u() < options.blurProbability;
      const sigma = between(0.1, Math.max(0.1, options.blurSigma));
      const noise = u() < options.noiseProbability;
      const noiseStd = between(0, options.noiseStd);
      // output pixel centre o -> source: centre + R(angle) * (flip * (o - size / 2) * crop / size)
      const cos = Math.cos(angle), sin = Math.sin(angle);
      const a00 = cos * cw * fu / width, a01 = -sin * ch * fv / height;
      const a10 = sin * cw * fu / width, a11 = cos * ch * fv / height;
      const row = [
        a00,
        a01,
        cx - a00 * width / 2 - a01 * height / 2,
        a10,
        a11,
        cy - a10 * width / 2 - a11 * height / 2,
        jitter ? gamma : 1,
        jitter ? contrast : 1,
        jitter ? brightness : 0,
        blur && options.blurSigma > 0 ? sigma : 0,
        noise ? noiseStd : 0,
        0,
      ];
      out.set(row, (k * batch + n) * VIEW_PARAMS);
    }
  }
  return out;
}
