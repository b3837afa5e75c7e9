/**
 * The q-th percentile exactly as numpy's default `np.percentile(values, q)`
 * (method "linear", numpy >= 1.22): sort ascending into `v[0..n-1]`, take the virtual
 * index `h = (n - 1) * (q / 100)`, `i = floor(h)`, `g = h - i`, `j = min(i + 1, n - 1)`,
 * and return `v[i] + (v[j] - v[i]) * g`, or `v[j] - (v[j] - v[i]) * (1 - g)` when
 * `g >= 0.5` (numpy's `_lerp`, which picks the form that is exact at the nearer end).
 *
 * @param values finite numbers (not modified).
 * @param q percentile in [0, 100].
 * @returns the interpolated percentile.
 * @throws {RangeError} if `values` is empty, `q` is outside [0, 100], or a value is NaN.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { percentile } from "./percentile.ts";
 * assert.equal(percentile([1, 2, 3, 4], 50), 2.5);
 * assert.equal(percentile([0, 10], 95), 9.5);
 * ```
 */
export function percentile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) {
    throw new RangeError("Cannot compute percentile: no values");
  }
  if (!(q >= 0 && q <= 100)) {
    throw new RangeError(`Cannot compute percentile: q must be in [0, 100], got ${q}`);
  }
  const v = Float64Array.from(values);
  for (const x of v) {
    if (Number.isNaN(x)) throw new RangeError("Cannot compute percentile: values contain NaN");
  }
  v.sort();
  const n = v.length;
  const h = (n - 1) * (q / 100);
  const i = Math.floor(h);
  const j = Math.min(i + 1, n - 1);
  const g = h - i;
  const a = v[i]!;
  const b = v[j]!;
  const diff = b - a;
  return g >= 0.5 ? b - diff * (1 - g) : a + diff * g;
}
