/**
 * A segmentation overlay made readable: enlarged (nearest neighbour) to about
 * 256 px, with a legend strip under it saying which colour is which: green =
 * ground-truth outline, red = prediction outline (red is drawn last, so it
 * wins where both outlines fall on the same pixel).
 *
 * @module
 */

import type { Image2D } from "../io/png.ts";
import { drawText, FONT_HEIGHT, textWidth } from "./_pixel_font.ts";
import { paste, scaleFor, upscale } from "./_upscale.ts";

/** Outline colour of the ground truth. */
export const GT_COLOR: readonly [number, number, number] = [0, 255, 0];
/** Outline colour of the prediction. */
export const PRED_COLOR: readonly [number, number, number] = [255, 0, 0];

/**
 * Enlarges an overlay and adds the legend.
 *
 * @param overlay The RGB overlay at its own size (`renderOverlay`'s output).
 * @param options Its `width` and `height`, the wanted size (default 256 px).
 * @returns The figure.
 * @example
 * ```ts
 * import { overlayFigure } from "./overlay_figure.ts";
 * const fig = overlayFigure(new Uint8Array(64 * 64 * 3), { width: 64, height: 64 });
 * if (fig.width !== 256 || fig.height <= 256) throw new Error(`${fig.width}x${fig.height}`);
 * ```
 */
export function overlayFigure(
  overlay: Uint8Array,
  options: { readonly width: number; readonly height: number; readonly target?: number },
): Image2D<Uint8Array> {
  const { width, height } = options;
  const big = upscale(
    { width, height, channels: 3, data: overlay },
    scaleFor(Math.max(width, height), options.target ?? 256),
  );
  const font = 2;
  const line = (FONT_HEIGHT + 3) * font;
  const entries = [["GROUND TRUTH", GT_COLOR], ["PREDICTION", PRED_COLOR]] as const;
  const swatch = FONT_HEIGHT * font;
  const needed = Math.max(...entries.map(([t]) => swatch + 2 * font + textWidth(t, font))) + 4;
  const W = Math.max(big.width, needed);
  const H = big.height + 4 + entries.length * line;
  const data = new Uint8Array(W * H * 3).fill(255);
  paste({ data, width: W }, big, 0, 0);
  entries.forEach(([text, color], k) => {
    const y = big.height + 4 + k * line;
    for (let r = 0; r < swatch; r++) {
      for (let c = 0; c < swatch; c++) data.set(color, ((y + r) * W + 2 + c) * 3);
    }
    drawText({ data, width: W }, text, {
      x: 2 + swatch + 2 * font,
      y,
      scale: font,
      color: [0, 0, 0],
    });
  });
  return { width: W, height: H, channels: 3, data };
}
