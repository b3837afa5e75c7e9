/**
 * Clipping of intensities to their [1, 99] percentiles (AMLP sec. 4.3 step i).
 *
 * @module
 */

/**
 * Percentiles of `values` with numpy's default linear interpolation between
 * order statistics (`rank = p / 100 * (n - 1)`).
 *
 * @param values The sample (not modified).
 * @param ps Percentiles in [0, 100].
 * @returns One value per percentile; `NaN`s when `values` is empty.
 * @throws {RangeError} If a percentile is outside [0, 100].
 * @example
 * ```ts
 * import { percentiles } from "./percentile_clip.ts";
 * const [p50] = percentiles(new Float32Array([1, 2, 3, 4]), [50]);
 * if (p50 !== 2.5) throw new Error("bad median");
 * ```
 */
export function percentiles(values: Float32Array, ps: readonly number[]): number[] {
  for (const p of ps) {
    if (!(p >= 0 && p <= 100)) {
      throw new RangeError(`Cannot compute percentile ${p}: it is outside [0, 100]`);
    }
  }
  if (values.length === 0) return ps.map(() => NaN);
  const sorted = Float32Array.from(values).sort();
  return ps.map((p) => {
    const rank = (p / 100) * (sorted.length - 1);
    const lo = Math.floor(rank), hi = Math.min(sorted.length - 1, lo + 1);
    const a = sorted[lo] as number, b = sorted[hi] as number;
    return a + (b - a) * (rank - lo);
  });
}

/**
 * Clips `data` in place to the `[low, high]` percentiles of the voxels where
 * `mask` is 1 (all voxels when `mask` is null).
 *
 * @param data Intensities, modified in place.
 * @param options `low`/`high` percentiles (AMLP: 1 and 99) and the `mask`.
 * @returns The clip bounds `[lo, hi]` used (`NaN`s, and no change, when the mask is empty).
 */
export function clipToPercentiles(
  data: Float32Array,
  options: { readonly low: number; readonly high: number; readonly mask: Uint8Array | null },
): [number, number] {
  const { mask } = options;
  let sample = data;
  if (mask) {
    let n = 0;
    for (let i = 0; i < mask.length; i++) n += mask[i] as number;
    sample = new Float32Array(n);
    for (let i = 0, j = 0; i < data.length; i++) if (mask[i]) sample[j++] = data[i] as number;
  }
  const [lo = NaN, hi = NaN] = percentiles(sample, [options.low, options.high]);
  if (Number.isNaN(lo) || Number.isNaN(hi)) return [lo, hi];
  for (let i = 0; i < data.length; i++) {
    const v = data[i] as number;
    if (v < lo) data[i] = lo;
    else if (v > hi) data[i] = hi;
  }
  return [lo, hi];
}
