/**
 * Centre crop / zero pad of 2D slices to `d x d` (AMLP sec. 4.3 step ii:
 * d = 144 for Hecktor CT/PET, 160 for BraTS MRI).
 *
 * @module
 */

/**
 * The offset of a centred window of `d` pixels on an axis of `n` pixels:
 * output pixel `o` takes input pixel `o + offset`. Positive: crop; negative: pad
 * (`-offset` zeros before, the rest after).
 *
 * @param n Input length.
 * @param d Output length.
 * @returns `floor((n - d) / 2)`.
 */
export function centerOffset(n: number, d: number): number {
  return Math.floor((n - d) / 2);
}

/**
 * Cuts or pads a row-major `[h, w]` slice into `[d, d]` around its centre.
 *
 * @param slice `h * w` values, row-major (row = y, column = x).
 * @param size `w`, `h` of the input and the output side `d`.
 * @returns `d * d` values (zeros where padded) and the `[ox, oy]` offsets:
 *   output `(row r, column c)` is input `(y = r + oy, x = c + ox)`.
 * @example
 * ```ts
 * import { centerCropPad } from "./crop_pad.ts";
 * const { data } = centerCropPad(new Float32Array([1, 2, 3, 4]), { w: 2, h: 2, d: 4 });
 * if (data[5] !== 1 || data[0] !== 0) throw new Error("bad pad");
 * ```
 */
export function centerCropPad<T extends Float32Array | Uint8Array>(
  slice: T,
  size: { readonly w: number; readonly h: number; readonly d: number },
): { data: T; offset: [number, number] } {
  const { w, h, d } = size;
  const ox = centerOffset(w, d), oy = centerOffset(h, d);
  const out = (slice instanceof Uint8Array ? new Uint8Array(d * d) : new Float32Array(d * d)) as T;
  const c0 = Math.max(0, -ox), c1 = Math.min(d, w - ox);
  for (let r = Math.max(0, -oy); r < Math.min(d, h - oy); r++) {
    const src = (r + oy) * w + ox;
    out.set(slice.subarray(src + c0, src + c1), r * d + c0);
  }
  return { data: out, offset: [ox, oy] };
}
