/**
 * For a few lesion images, what every masking strategy removes: one figure per
 * image (the plain image, then one panel per strategy, all with the lesion
 * outline) and the share of removed patches that touch the lesion per panel.
 * The body of `tasks/draw_masks.ts`.
 *
 * @module
 */

import type { LesionImage } from "../data/lesion_images.ts";
import type { Image2D } from "../io/png.ts";
import { removedPatchCount } from "../mask_ratio.ts";
import { lesionPatches, maskedLesionShare } from "../masking/mask_overlap.ts";
import { DRAWN_MASK_METHODS, type DrawnMask, methodMasks } from "../masking/method_masks.ts";
import { patchGrid } from "../patchify.ts";
import { drawMaskFigure } from "./mask_figure.ts";

/** Options of {@linkcode drawMethodMasks}. */
export interface DrawMethodMasksOptions {
  /** Image side (every image is `size x size`). */
  readonly size: number;
  /** Patch side P. */
  readonly patchSize: number;
  /** Mask ratio; `floor(L * ratio)` patches are removed. */
  readonly ratio: number;
  /** Seed of the random strategy (default 0). */
  readonly seed?: number;
  /** Strategies, in panel order (default all of `DRAWN_MASK_METHODS`). */
  readonly methods?: readonly DrawnMask[];
  /** Panel enlargement (default 2). */
  readonly scale?: number;
}

/** The figure of one image and the numbers printed beside it. */
export interface MethodMaskFigure {
  readonly caseId: string;
  readonly figure: Image2D<Uint8Array>;
  /** Share of all patches touching the lesion (random masking's expected share). */
  readonly lesionShare: number;
  /** Per strategy: its `[L]` mask and the share of removed patches touching the lesion. */
  readonly panels: readonly {
    readonly method: DrawnMask;
    readonly label: string;
    readonly mask: Float32Array;
    readonly share: number;
  }[];
}

/**
 * Masks the images with every strategy and draws one figure per image.
 *
 * @param images `size x size` lesion images (from `loadBusiLesionImages` or
 *   `phantomLesionImages`); a patch touches the lesion if its area of the
 *   source grid holds a lesion pixel.
 * @param options Size, patch size, ratio, seed, strategies, scale.
 * @returns One figure per image, in order.
 * @throws {RangeError} If an image is not `size x size` or the grid is invalid.
 * @example
 * ```ts
 * import { phantomLesionImages } from "../data/lesion_images.ts";
 * import { drawMethodMasks } from "./draw_method_masks.ts";
 * const [f] = drawMethodMasks(phantomLesionImages({ count: 1, size: 32, seed: 0 }),
 *   { size: 32, patchSize: 8, ratio: 0.25, methods: ["random", "mps"] });
 * if (f!.panels.length !== 2) throw new Error("two strategies");
 * ```
 */
export function drawMethodMasks(
  images: readonly LesionImage[],
  options: DrawMethodMasksOptions,
): MethodMaskFigure[] {
  const { size, patchSize } = options;
  const batch = images.length;
  const shape = { batch, height: size, width: size, channels: 1, patchSize };
  const { gh, gw, patches } = patchGrid(shape);
  const pixels = new Float32Array(batch * size * size);
  images.forEach((im, n) => {
    if (im.image.length !== size * size || im.lesion.length !== size * size) {
      throw new RangeError(
        `Cannot draw masks: image "${im.caseId}" has ${im.image.length} pixels and lesion ${im.lesion.length}, not ${size} * ${size}`,
      );
    }
    pixels.set(im.image, n * size * size);
  });
  const methods = options.methods ?? DRAWN_MASK_METHODS.map((m) => m.method);
  const masks = batch === 0 ? [] : methodMasks(pixels, shape, {
    count: removedPatchCount(patches, options.ratio),
    seed: options.seed ?? 0,
    methods,
  });
  return images.map((im, n) => {
    const touch = lesionPatches(im.sourceLesion, {
      width: im.sourceWidth,
      height: im.sourceHeight,
      gh,
      gw,
    });
    const panels = masks.map(({ method, mask }) => {
      const own = mask.slice(n * patches, (n + 1) * patches);
      return {
        method,
        label: DRAWN_MASK_METHODS.find((m) => m.method === method)?.label ?? method,
        mask: own,
        share: maskedLesionShare(own, touch, patches)[0] as number,
      };
    });
    const lesionShare = touch.reduce((a, b) => a + b, 0) / patches;
    const figure = drawMaskFigure(im.image, {
      width: size,
      height: size,
      patchSize,
      lesion: im.lesion,
      scale: options.scale ?? 2,
      panels: [
        { label: "image", caption: `lesion ${lesionShare.toFixed(2)}`, mask: null },
        ...panels.map((p) => ({
          label: p.label,
          caption: `hit ${p.share.toFixed(2)}`,
          mask: p.mask,
        })),
      ],
    });
    return { caseId: im.caseId, figure, lesionShare, panels };
  });
}
