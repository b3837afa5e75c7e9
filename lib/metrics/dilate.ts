import { morph, type Structure } from "./_morphology.ts";
import { checkLength } from "../volume.ts";

/** Options for {@linkcode dilate}. */
export interface DilateOptions {
  /** Number of dilation passes (default 1). 0 returns a 0/1 copy. */
  readonly passes?: number;
  /** `"full"` 3x3 / 3x3x3 (default) or `"cross"` (face-connected). */
  readonly structure?: Structure;
}

/**
 * Binary dilation of a mask; nothing grows in from outside the volume (same as
 * `scipy.ndimage.binary_dilation(..., iterations=passes)`).
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
 * import { dilate } from "./dilate.ts";
 * const m = new Uint8Array(25);
 * m[12] = 1; // centre of 5x5
 * assert.equal(dilate(m, [5, 5], { structure: "cross" }).reduce((a, b) => a + b, 0), 5);
 * ```
 */
export function dilate(
  mask: Uint8Array,
  dims: readonly number[],
  options: DilateOptions = {},
): Uint8Array {
  const passes = options.passes ?? 1;
  checkLength(mask, dims, "dilate mask", "mask");
  if (!Number.isInteger(passes) || passes < 0) {
    throw new RangeError(
      `Cannot dilate mask: passes must be a non-negative integer, got ${passes}`,
    );
  }
  return morph(mask, dims, passes, options.structure ?? "full", false);
}
