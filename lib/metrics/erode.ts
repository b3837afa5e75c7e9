import { morph, type Structure } from "./_morphology.ts";
import { checkLength } from "../volume.ts";

export type { Structure } from "./_morphology.ts";

/** Options for {@linkcode erode}. */
export interface ErodeOptions {
  /** Number of erosion passes (default 1). 0 returns a 0/1 copy. */
  readonly passes?: number;
  /** `"full"` 3x3 / 3x3x3 (default) or `"cross"` (face-connected). */
  readonly structure?: Structure;
}

/**
 * Binary erosion of a mask, zero padded by one voxel so that a mask touching the
 * border erodes there too (same as `scipy.ndimage.binary_erosion(..., border_value=0,
 * iterations=passes)` and as OpenCV erosion of a mask padded with one zero pixel).
 *
 * @param mask 0/1 mask (any non-zero is foreground), layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options passes and structuring element.
 * @returns a new 0/1 mask of the same size.
 * @throws {RangeError} if the mask does not match `dims` or `passes` is not a non-negative integer.
 * @throws {TypeError} if `dims` does not have 2 or 3 entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { erode } from "./erode.ts";
 * const m = new Uint8Array(25).fill(1); // 5x5 all ones
 * const e = erode(m, [5, 5]);
 * assert.equal(e.reduce((a, b) => a + b, 0), 9); // 3x3 core survives
 * ```
 */
export function erode(
  mask: Uint8Array,
  dims: readonly number[],
  options: ErodeOptions = {},
): Uint8Array {
  const passes = options.passes ?? 1;
  checkLength(mask, dims, "erode mask", "mask");
  if (!Number.isInteger(passes) || passes < 0) {
    throw new RangeError(`Cannot erode mask: passes must be a non-negative integer, got ${passes}`);
  }
  return morph(mask, dims, passes, options.structure ?? "full", true);
}
