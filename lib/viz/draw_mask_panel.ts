/**
 * One picture of what a mask removes: the image in gray (a 1st-99th percentile
 * window), the removed patches tinted blue, the lesion outline in yellow on
 * top, optionally enlarged by an integer factor (nearest neighbour).
 *
 * @module
 */

import type { Image2D } from "../io/png.ts";
import { patchGrid } from "../patchify.ts";

/** Colour blended into removed patches. */
export const MASK_TINT: readonly [number, number, number] = [40, 110, 255];

/** Weight of {@linkcode MASK_TINT} in a removed pixel: `(1 - a) * gray + a * tint`. */
export const MASK_TINT_ALPHA = 0.5;

/** Colour of the lesion outline. */
export const LESION_OUTLINE: readonly [number, number, number] = [255, 220, 0];

/** The intensities mapped to black and white. */
export interface GrayWindow {
  readonly lo: number;
  readonly hi: number;
}

/**
 * The 1st and 99th percentiles of an image, a window robust to a few extreme
 * pixels (the same for all panels of one image).
 *
 * @param image Intensities.
 * @returns `lo` and `hi`.
 * @example
 * ```ts
 * import { grayWindow } from "./draw_mask_panel.ts";
 * const w = grayWindow(Float32Array.from({ length: 101 }, (_, i) => i));
 * if (w.lo !== 1 || w.hi !== 99) throw new Error("percentiles");
 * ```
 */
export function grayWindow(image: Float32Array): GrayWindow {
  const sorted = Float32Array.from(image).sort();
  const n = sorted.length;
  return {
    lo: sorted[Math.floor(0.01 * (n - 1))] ?? 0,
    hi: sorted[Math.floor(0.99 * (n - 1))] ?? 1,
  };
}

/** Options of {@linkcode drawMaskPanel}. */
export interface MaskPanelOptions {
  /** Image width W. */
  readonly width: number;
  /** Image height H. */
  readonly height: number;
  /** Patch side P; W and H must be multiples of it. */
  readonly patchSize: number;
  /** `[L]` mask, 1 = removed (tinted); `null` draws no patches. */
  readonly mask: Float32Array | null;
  /** `[H, W]` lesion mask (nonzero = lesion); `null` draws no outline. */
  readonly lesion: Uint8Array | null;
  /** Gray window (default {@linkcode grayWindow} of the image). */
  readonly window?: GrayWindow;
  /** Integer enlargement (default 1). */
  readonly scale?: number;
}

/**
 * Draws one panel.
 *
 * 1) gray: `255 * (v - lo) / (hi - lo)`, clamped and rounded;
 * 2) removed patches: blended with {@linkcode MASK_TINT};
 * 3) lesion outline: every lesion pixel with a 4-neighbour outside the lesion
 *    (or on the image border) becomes {@linkcode LESION_OUTLINE}.
 *
 * @param image `[H, W]` intensities, row-major.
 * @param options Sizes, mask, lesion, window, scale.
 * @returns `[H * scale, W * scale, 3]` RGB bytes.
 * @throws {RangeError} If a size disagrees or `scale` is not a positive integer.
 * @example
 * ```ts
 * import { drawMaskPanel, LESION_OUTLINE } from "./draw_mask_panel.ts";
 * const p = drawMaskPanel(new Float32Array(16), {
 *   width: 4, height: 4, patchSize: 2, mask: null, lesion: new Uint8Array(16).fill(1),
 * });
 * if (p.data[0] !== LESION_OUTLINE[0]) throw new Error("corner pixel is on the outline");
 * ```
 */
export function drawMaskPanel(image: Float32Array, options: MaskPanelOptions): Image2D<Uint8Array> {
  const { width, height, patchSize, mask, lesion } = options;
  const scale = options.scale ?? 1;
  const { gw, patches } = patchGrid({ batch: 1, height, width, channels: 1, patchSize });
  const n = width * height;
  if (image.length !== n) {
    throw new RangeError(
      `Cannot draw mask panel: image has ${image.length} values, not ${width} * ${height}`,
    );
  }
  if (mask !== null && mask.length !== patches) {
    throw new RangeError(
      `Cannot draw mask panel: mask has ${mask.length} values, not L = ${patches}`,
    );
  }
  if (lesion !== null && lesion.length !== n) {
    throw new RangeError(
      `Cannot draw mask panel: lesion has ${lesion.length} values, not ${width} * ${height}`,
    );
  }
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`Cannot draw mask panel: scale ${scale} is not a positive integer`);
  }
  const { lo, hi } = options.window ?? grayWindow(image);
  const rgb = new Uint8Array(n * 3);
  const a = MASK_TINT_ALPHA;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      const v = ((image[i] as number) - lo) / (hi - lo || 1);
      const g = Math.round(255 * Math.min(1, Math.max(0, v)));
      const l = Math.floor(y / patchSize) * gw + Math.floor(x / patchSize);
      const removed = mask !== null && (mask[l] as number) > 0.5;
      for (let c = 0; c < 3; c++) {
        rgb[3 * i + c] = removed ? Math.round((1 - a) * g + a * (MASK_TINT[c] as number)) : g;
      }
      if (lesion !== null && onOutline(lesion, x, y, width, height)) rgb.set(LESION_OUTLINE, 3 * i);
    }
  }
  return enlarge({ width, height, channels: 3, data: rgb }, scale);
}

/** Lesion pixel with a 4-neighbour outside the lesion or the image. */
function onOutline(lesion: Uint8Array, x: number, y: number, w: number, h: number): boolean {
  if (!lesion[y * w + x]) return false;
  if (x === 0 || y === 0 || x === w - 1 || y === h - 1) return true;
  return !lesion[y * w + x - 1] || !lesion[y * w + x + 1] || !lesion[(y - 1) * w + x] ||
    !lesion[(y + 1) * w + x];
}

/** Nearest-neighbour enlargement by an integer factor. */
function enlarge(image: Image2D<Uint8Array>, scale: number): Image2D<Uint8Array> {
  if (scale === 1) return image;
  const { width, height, channels, data } = image;
  const W = width * scale, H = height * scale;
  const out = new Uint8Array(W * H * channels);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      out.set(data.subarray(src, src + channels), (y * W + x) * channels);
    }
  }
  return { width: W, height: H, channels, data: out };
}
