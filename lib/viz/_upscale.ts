/**
 * Nearest-neighbour enlargement of an 8-bit image and pasting into a larger
 * one: the building blocks of the readable figures (preview, overlays).
 *
 * @module
 */

import type { Image2D } from "../io/png.ts";

/**
 * Enlarges by an integer factor (each pixel becomes a `scale x scale` block).
 *
 * @param image Gray or RGB bytes.
 * @param scale A positive integer.
 * @returns The enlarged image.
 * @throws {RangeError} If `scale` is not a positive integer.
 */
export function upscale(image: Image2D<Uint8Array>, scale: number): Image2D<Uint8Array> {
  if (!Number.isInteger(scale) || scale < 1) {
    throw new RangeError(`Cannot upscale image: scale ${scale} is not a positive integer`);
  }
  if (scale === 1) return image;
  const { width, height, channels, data } = image;
  const W = width * scale, H = height * scale;
  const out = new Uint8Array(W * H * channels);
  for (let y = 0; y < H; y++) {
    const src = Math.floor(y / scale) * width;
    for (let x = 0; x < W; x++) {
      const s = (src + Math.floor(x / scale)) * channels;
      for (let c = 0; c < channels; c++) out[(y * W + x) * channels + c] = data[s + c] as number;
    }
  }
  return { width: W, height: H, channels, data: out };
}

/**
 * The integer factor that brings the longer side to at least `target` px
 * (at most `max`).
 *
 * @param side The longer side.
 * @param target Wanted size in px.
 * @param max Largest factor.
 * @returns The factor (>= 1).
 */
export function scaleFor(side: number, target: number, max = 8): number {
  return Math.max(1, Math.min(max, Math.ceil(target / Math.max(1, side))));
}

/**
 * Copies an RGB image into a larger RGB canvas at (x, y).
 *
 * @param canvas Target bytes `[H, W, 3]` and its width.
 * @param image An RGB image (gray is expanded).
 * @param x Left column.
 * @param y Top row.
 */
export function paste(
  canvas: { readonly data: Uint8Array; readonly width: number },
  image: Image2D<Uint8Array>,
  x: number,
  y: number,
): void {
  for (let r = 0; r < image.height; r++) {
    for (let c = 0; c < image.width; c++) {
      const s = (r * image.width + c) * image.channels;
      const d = ((y + r) * canvas.width + x + c) * 3;
      if (image.channels === 3) canvas.data.set(image.data.subarray(s, s + 3), d);
      else canvas.data.fill(image.data[s] as number, d, d + 3);
    }
  }
}
