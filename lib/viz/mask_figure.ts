/**
 * A row of mask panels for one image, each under a two-line title (label and
 * caption, e.g. a strategy and its masked-lesion share), on a dark background:
 * the figure `tasks/draw_masks.ts` writes per image.
 *
 * @module
 */

import type { Image2D } from "../io/png.ts";
import { drawText, FONT_HEIGHT, textWidth } from "./_pixel_font.ts";
import { drawMaskPanel, grayWindow } from "./draw_mask_panel.ts";

/** Figure background. */
export const FIGURE_BACKGROUND: readonly [number, number, number] = [24, 24, 24];

/** One panel of a figure. */
export interface FigurePanel {
  /** First title line, e.g. `MPS`. */
  readonly label: string;
  /** Second title line, e.g. `hit 0.25` (default empty). */
  readonly caption?: string;
  /** `[L]` mask, 1 = removed; `null` for the plain image. */
  readonly mask: Float32Array | null;
}

/** Options of {@linkcode drawMaskFigure}. */
export interface MaskFigureOptions {
  readonly width: number;
  readonly height: number;
  readonly patchSize: number;
  /** `[H, W]` lesion mask drawn as an outline on every panel, or `null`. */
  readonly lesion: Uint8Array | null;
  readonly panels: readonly FigurePanel[];
  /** Integer enlargement of every panel (default 2). */
  readonly scale?: number;
}

/**
 * Where panel `k` of a figure lies, for callers and tests: its top-left corner
 * in figure pixels.
 *
 * @param k Panel index.
 * @param options `width`, `height` and `scale` as given to {@linkcode drawMaskFigure}.
 * @returns `x`, `y` of the panel's top-left pixel.
 * @example
 * ```ts
 * import { panelOrigin } from "./mask_figure.ts";
 * const a = panelOrigin(0, { width: 8, height: 8, scale: 1 });
 * const b = panelOrigin(1, { width: 8, height: 8, scale: 1 });
 * if (b.x - a.x <= 8 || a.y !== b.y) throw new Error("panels side by side with a gap");
 * ```
 */
export function panelOrigin(
  k: number,
  options: { readonly width: number; readonly height: number; readonly scale?: number },
): { x: number; y: number } {
  const s = options.scale ?? 2;
  const { gap, titleHeight } = layout(s);
  return { x: gap + k * (options.width * s + gap), y: titleHeight };
}

/**
 * Draws the panels side by side; every panel uses the same gray window (that
 * of the image) so they differ only in what is tinted.
 *
 * @param image `[H, W]` intensities.
 * @param options Sizes, lesion, panels, scale.
 * @returns An RGB image.
 * @throws {RangeError} If there are no panels or a size disagrees (from `drawMaskPanel`).
 * @example
 * ```ts
 * import { drawMaskFigure } from "./mask_figure.ts";
 * const fig = drawMaskFigure(new Float32Array(16), {
 *   width: 4, height: 4, patchSize: 2, lesion: null,
 *   panels: [{ label: "image", mask: null }, { label: "mps", mask: new Float32Array(4) }],
 * });
 * if (fig.channels !== 3 || fig.width <= 16) throw new Error("two enlarged panels");
 * ```
 */
export function drawMaskFigure(
  image: Float32Array,
  options: MaskFigureOptions,
): Image2D<Uint8Array> {
  const { width, height, patchSize, lesion, panels } = options;
  const scale = options.scale ?? 2;
  if (panels.length === 0) throw new RangeError("Cannot draw mask figure: no panels");
  const { gap, titleHeight, font } = layout(scale);
  const pw = width * scale, ph = height * scale;
  const W = gap + panels.length * (pw + gap);
  const H = titleHeight + ph + gap;
  const rgb = new Uint8Array(W * H * 3);
  for (let i = 0; i < W * H; i++) rgb.set(FIGURE_BACKGROUND, 3 * i);
  const window = grayWindow(image);
  panels.forEach((panel, k) => {
    const p = drawMaskPanel(image, {
      width,
      height,
      patchSize,
      mask: panel.mask,
      lesion,
      window,
      scale,
    });
    const { x, y } = panelOrigin(k, { width, height, scale });
    for (let r = 0; r < ph; r++) {
      rgb.set(p.data.subarray(r * pw * 3, (r + 1) * pw * 3), ((y + r) * W + x) * 3);
    }
    const white = [235, 235, 235] as const;
    const fits = (t: string) => t.slice(0, Math.floor(pw / textWidth("x", font)));
    const target = { data: rgb, width: W };
    drawText(target, fits(panel.label), { x, y: gap, scale: font, color: white });
    const below = gap + (FONT_HEIGHT + 2) * font;
    drawText(target, fits(panel.caption ?? ""), { x, y: below, scale: font, color: white });
  });
  return { width: W, height: H, channels: 3, data: rgb };
}

/** Gap between panels, title strip height and font scale for an enlargement. */
function layout(scale: number): { gap: number; titleHeight: number; font: number } {
  const font = Math.max(1, scale);
  const gap = 2 * font;
  return { gap, titleHeight: gap + 2 * (FONT_HEIGHT + 2) * font, font };
}
