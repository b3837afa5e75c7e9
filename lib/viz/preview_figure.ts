/**
 * The picture at the end of a pretraining run, made readable: one row per
 * image with four enlarged tiles under column titles: the input, the input
 * with its removed patches tinted (what the masking chose), the masked input
 * the network saw, and its reconstruction. All tiles of a row share the
 * input's 1st-99th percentile gray window, so they are comparable.
 *
 * @module
 */

import type { Image2D } from "../io/png.ts";
import { drawText, FONT_HEIGHT, textWidth } from "./_pixel_font.ts";
import { paste, scaleFor, upscale } from "./_upscale.ts";
import { drawMaskPanel, grayWindow } from "./draw_mask_panel.ts";

/** Column titles, left to right. */
export const PREVIEW_COLUMNS = [
  "INPUT",
  "REMOVED PATCHES",
  "MASKED INPUT",
  "RECONSTRUCTION",
] as const;

/** What {@linkcode drawPreviewFigure} draws, all `[N, size, size, channels]` (first channel shown). */
export interface PreviewImages {
  readonly input: Float32Array;
  readonly masked: Float32Array;
  readonly reconstruction: Float32Array;
  /** `[N, L]` patch masks, 1 = removed. */
  readonly mask: Float32Array;
}

/**
 * Draws the preview.
 *
 * @param images Input, masked input, reconstruction and patch masks.
 * @param shape Batch, side, channels and patch size.
 * @returns An RGB image.
 * @throws {RangeError} If an array's length does not match the shape.
 * @example
 * ```ts
 * import { drawPreviewFigure } from "./preview_figure.ts";
 * const x = new Float32Array(2 * 16 * 16);
 * const fig = drawPreviewFigure({ input: x, masked: x, reconstruction: x, mask: new Float32Array(8) },
 *   { batch: 2, size: 16, channels: 1, patchSize: 8 });
 * if (fig.channels !== 3 || fig.width < 4 * 16 * 4) throw new Error(`${fig.width}`);
 * ```
 */
export function drawPreviewFigure(
  images: PreviewImages,
  shape: {
    readonly batch: number;
    readonly size: number;
    readonly channels: number;
    readonly patchSize: number;
  },
): Image2D<Uint8Array> {
  const { batch, size, channels, patchSize } = shape;
  const pixels = size * size;
  const patches = (size / patchSize) ** 2;
  for (const key of ["input", "masked", "reconstruction"] as const) {
    if (images[key].length !== batch * pixels * channels) {
      throw new RangeError(
        `Cannot draw preview: ${key} has ${
          images[key].length
        } values, not ${batch}x${size}x${size}x${channels}`,
      );
    }
  }
  if (images.mask.length !== batch * patches) {
    throw new RangeError(
      `Cannot draw preview: mask has ${images.mask.length} values, not ${batch}x${patches}`,
    );
  }
  const { scale, tile, font, gap, titleH, colW } = layout(size);
  const W = gap + PREVIEW_COLUMNS.length * (colW + gap);
  const H = titleH + batch * (tile + gap);
  const data = new Uint8Array(W * H * 3).fill(255);
  PREVIEW_COLUMNS.forEach((title, k) => {
    drawText({ data, width: W }, title, {
      x: gap + k * (colW + gap),
      y: 2,
      scale: font,
      color: [0, 0, 0],
    });
  });
  const first = (a: Float32Array, n: number) => {
    const out = new Float32Array(pixels);
    for (let i = 0; i < pixels; i++) out[i] = a[(n * pixels + i) * channels] as number;
    return out;
  };
  for (let n = 0; n < batch; n++) {
    const input = first(images.input, n);
    const window = grayWindow(input);
    const panel = (image: Float32Array, mask: Float32Array | null) =>
      drawMaskPanel(image, { width: size, height: size, patchSize, mask, lesion: null, window });
    const tiles = [
      panel(input, null),
      panel(input, images.mask.subarray(n * patches, (n + 1) * patches)),
      panel(first(images.masked, n), null),
      panel(first(images.reconstruction, n), null),
    ];
    tiles.forEach((t, k) => {
      const at = previewTileOrigin(k, n, size);
      paste({ data, width: W }, upscale(t, scale), at.x, at.y);
    });
  }
  return { width: W, height: H, channels: 3, data };
}

/**
 * Where a tile of the preview lies.
 *
 * @param column 0 input, 1 removed patches, 2 masked input, 3 reconstruction.
 * @param row The image.
 * @param size The images' side.
 * @returns The tile's top-left pixel and its enlargement.
 * @example
 * ```ts
 * import { previewTileOrigin } from "./preview_figure.ts";
 * const a = previewTileOrigin(0, 0, 64), b = previewTileOrigin(1, 0, 64);
 * if (b.x - a.x < 64 * a.scale || a.y !== b.y) throw new Error("side by side");
 * ```
 */
export function previewTileOrigin(
  column: number,
  row: number,
  size: number,
): { x: number; y: number; scale: number } {
  const { scale, tile, gap, titleH, colW } = layout(size);
  return { x: gap + column * (colW + gap), y: titleH + row * (tile + gap), scale };
}

/** Enlargement (tiles of about 160 px, at most 6x), font, gaps and column width. */
function layout(size: number) {
  const scale = scaleFor(size, 160, 6);
  const tile = size * scale;
  const font = 2;
  const gap = 6;
  const titleH = (FONT_HEIGHT + 4) * font;
  const colW = Math.max(tile, ...PREVIEW_COLUMNS.map((t) => textWidth(t, font)));
  return { scale, tile, font, gap, titleH, colW };
}
