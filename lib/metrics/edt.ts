// References:
// - P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms of Sampled Functions",
//   Theory of Computing 8 (2012) 415-428. https://doi.org/10.4086/toc.2012.v008a019
//   (1D lower envelope of parabolas, applied once per axis; here with grid step = spacing).

import { checkLength, dims3, resolveSpacing } from "./_shape.ts";

/** Options for {@linkcode edt} and {@linkcode squaredEdt}. */
export interface EdtOptions {
  /** Voxel size in mm per axis, same order as `dims` (default 1 for every axis). */
  readonly spacing?: readonly number[];
}

/**
 * Squared distances of one line, in place: `f[q] <- min_r ((q - r) * step)^2 + f[r]`.
 * `f[r] = Infinity` marks "no site"; a line without sites stays Infinity.
 * `v`, `z`, `out` are scratch buffers of length >= n (z: n + 1).
 */
function envelope1d(
  f: Float64Array,
  n: number,
  step: number,
  v: Int32Array,
  z: Float64Array,
  out: Float64Array,
): void {
  let k = -1;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    const pq = q * step;
    if (k < 0) {
      k = 0;
      v[0] = q;
      z[0] = -Infinity;
      z[1] = Infinity;
      continue;
    }
    // Pop parabolas hidden by the new one; z[0] = -Infinity stops the loop at k = 0.
    let s: number;
    for (;;) {
      const r = v[k]!;
      const pr = r * step;
      s = (fq + pq * pq - (f[r]! + pr * pr)) / (2 * (pq - pr));
      if (s <= z[k]!) k--;
      else break;
    }
    k++;
    v[k] = q;
    z[k] = s;
    z[k + 1] = Infinity;
  }
  if (k < 0) return;
  let j = 0;
  for (let q = 0; q < n; q++) {
    const p = q * step;
    while (z[j + 1]! < p) j++;
    const r = v[j]!;
    const d = p - r * step;
    out[q] = d * d + f[r]!;
  }
  for (let q = 0; q < n; q++) f[q] = out[q]!;
}

/**
 * Exact squared Euclidean distance (mm^2) from every voxel to the nearest zero voxel of
 * `mask` (0 on zero voxels), separable over axes with anisotropic spacing.
 * If `mask` has no zero voxel at all, every entry is `Infinity`.
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm.
 * @returns a new Float64Array of squared distances.
 * @throws {RangeError} if the mask does not match `dims` or a spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { squaredEdt } from "./edt.ts";
 * const d2 = squaredEdt(Uint8Array.of(0, 1, 1, 1), [4, 1], { spacing: [2, 1] });
 * assert.deepEqual([...d2], [0, 4, 16, 36]);
 * ```
 */
export function squaredEdt(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtOptions = {},
): Float64Array {
  checkLength(mask, dims, "compute distance transform", "mask");
  const spacing = resolveSpacing(options.spacing, dims, "compute distance transform");
  const { x, y, z, ndim } = dims3(dims);
  const sizes = [x, y, z];
  const strides = [1, x, x * y];
  const d2 = new Float64Array(mask.length);
  for (let i = 0; i < mask.length; i++) d2[i] = mask[i] === 0 ? 0 : Infinity;
  const maxLen = Math.max(x, y, z);
  const line = new Float64Array(maxLen);
  const out = new Float64Array(maxLen);
  const v = new Int32Array(maxLen);
  const zs = new Float64Array(maxLen + 1);
  for (let a = 0; a < ndim; a++) {
    const n = sizes[a]!;
    const stride = strides[a]!;
    const step = spacing[a]!;
    // Every line along axis a starts at an index whose coordinate on a is 0.
    for (let start = 0; start < d2.length; start++) {
      if (Math.floor(start / stride) % n !== 0) continue;
      for (let q = 0; q < n; q++) line[q] = d2[start + q * stride]!;
      envelope1d(line, n, step, v, zs, out);
      for (let q = 0; q < n; q++) d2[start + q * stride] = line[q]!;
    }
  }
  return d2;
}

/**
 * Exact Euclidean distance transform in mm: for every non-zero voxel, the distance to
 * the nearest zero voxel; 0 on zero voxels. Same contract as
 * `scipy.ndimage.distance_transform_edt(mask, sampling=spacing)` with the array indexed
 * `[x, y, z]`, except that a mask without any zero voxel gives `Infinity` everywhere.
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm.
 * @returns a new Float64Array of distances in mm.
 * @throws {RangeError} if the mask does not match `dims` or a spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { edt } from "./edt.ts";
 * const d = edt(Uint8Array.of(0, 1, 1, 1), [2, 2], { spacing: [3, 4] });
 * assert.deepEqual([...d], [0, 3, 4, 5]);
 * ```
 */
export function edt(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtOptions = {},
): Float64Array {
  const d = squaredEdt(mask, dims, options);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]!);
  return d;
}
