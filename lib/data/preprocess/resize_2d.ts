/**
 * Resizing of 2D images and masks to `d x d` (for 2D datasets such as BUSI):
 * bilinear for images, nearest neighbour for masks. Pixel centres are aligned
 * (`align_corners = false`): output pixel `o` samples input `(o + 0.5) * n / m - 0.5`.
 *
 * @module
 */

/** Input and output sizes of a resize. */
export interface ResizeSize {
  readonly w: number;
  readonly h: number;
  readonly outW: number;
  readonly outH: number;
}

function sourceCoord(o: number, n: number, m: number): number {
  return Math.min(n - 1, Math.max(0, (o + 0.5) * (n / m) - 0.5));
}

/**
 * Bilinear resize of a row-major `[h, w]` float image.
 *
 * @param src `h * w` values.
 * @param size Input `w`, `h` and output `outW`, `outH`.
 * @returns `outH * outW` values.
 * @example
 * ```ts
 * import { resizeBilinear } from "./resize_2d.ts";
 * const out = resizeBilinear(new Float32Array([0, 4]), { w: 2, h: 1, outW: 4, outH: 1 });
 * if (out[0] !== 0 || out[1] !== 1 || out[3] !== 4) throw new Error("bad resize");
 * ```
 */
export function resizeBilinear(src: Float32Array, size: ResizeSize): Float32Array {
  const { w, h, outW, outH } = size;
  const out = new Float32Array(outW * outH);
  for (let r = 0; r < outH; r++) {
    const y = sourceCoord(r, h, outH),
      y0 = Math.floor(y),
      y1 = Math.min(h - 1, y0 + 1),
      wy = y - y0;
    for (let c = 0; c < outW; c++) {
      const x = sourceCoord(c, w, outW),
        x0 = Math.floor(x),
        x1 = Math.min(w - 1, x0 + 1),
        wx = x - x0;
      const top = (src[y0 * w + x0] as number) * (1 - wx) + (src[y0 * w + x1] as number) * wx;
      const bottom = (src[y1 * w + x0] as number) * (1 - wx) + (src[y1 * w + x1] as number) * wx;
      out[r * outW + c] = top * (1 - wy) + bottom * wy;
    }
  }
  return out;
}

/**
 * Nearest-neighbour resize of a row-major `[h, w]` mask.
 *
 * @param src `h * w` class values.
 * @param size Input `w`, `h` and output `outW`, `outH`.
 * @returns `outH * outW` class values.
 */
export function resizeNearest(src: Uint8Array, size: ResizeSize): Uint8Array {
  const { w, h, outW, outH } = size;
  const out = new Uint8Array(outW * outH);
  for (let r = 0; r < outH; r++) {
    const y = Math.min(h - 1, Math.floor((r + 0.5) * (h / outH)));
    for (let c = 0; c < outW; c++) {
      out[r * outW + c] =
        src[y * w + Math.min(w - 1, Math.floor((c + 0.5) * (w / outW)))] as number;
    }
  }
  return out;
}
