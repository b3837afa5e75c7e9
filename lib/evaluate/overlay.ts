/**
 * Overlay pictures for a quick look at predictions: the image in gray (1st-99th
 * percentile window), the ground-truth outline in green, the prediction's
 * outline in red (drawn last, so red wins where they coincide).
 *
 * @module
 */

/**
 * Renders one 2D overlay as 8-bit RGB.
 *
 * @param image `[H, W]` intensities, row-major.
 * @param masks `gt` and `pred` label maps (`[H, W]`, non-zero = foreground), `width`, `height`.
 * @returns `width * height * 3` RGB bytes.
 * @example
 * ```ts
 * import { renderOverlay } from "./overlay.ts";
 * const rgb = renderOverlay(new Float32Array(9), {
 *   gt: Uint8Array.of(0, 0, 0, 0, 1, 0, 0, 0, 0), pred: new Uint8Array(9), width: 3, height: 3 });
 * if (rgb[4 * 3 + 1] !== 255) throw new Error("gt outline is not green");
 * ```
 */
export function renderOverlay(
  image: Float32Array,
  masks: {
    readonly gt: Uint8Array;
    readonly pred: Uint8Array;
    readonly width: number;
    readonly height: number;
  },
): Uint8Array {
  const { gt, pred, width, height } = masks;
  const n = width * height;
  const sorted = Float32Array.from(image.subarray(0, n)).sort();
  const lo = sorted[Math.floor(0.01 * (n - 1))] ?? 0;
  const hi = sorted[Math.floor(0.99 * (n - 1))] ?? 1;
  const rgb = new Uint8Array(n * 3);
  for (let i = 0; i < n; i++) {
    const g = Math.max(
      0,
      Math.min(255, Math.round((255 * ((image[i] as number) - lo)) / (hi - lo || 1))),
    );
    rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = g;
  }
  const paint = (mask: Uint8Array, color: readonly [number, number, number]) => {
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        if (!isEdge(mask, x, y, width, height)) continue;
        rgb.set(color, 3 * (y * width + x));
      }
    }
  };
  paint(gt, [0, 255, 0]);
  paint(pred, [255, 0, 0]);
  return rgb;
}

/** Foreground pixel with a 4-neighbour outside the mask or the image. */
function isEdge(mask: Uint8Array, x: number, y: number, w: number, h: number): boolean {
  if (!mask[y * w + x]) return false;
  if (x === 0 || y === 0 || x === w - 1 || y === h - 1) return true;
  return !mask[y * w + x - 1] || !mask[y * w + x + 1] || !mask[(y - 1) * w + x] ||
    !mask[(y + 1) * w + x];
}
