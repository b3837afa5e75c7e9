// Shape and spacing checks shared by the metric modules (private: never re-exported).
//
// Convention for every file in lib/metrics/: a volume is a flat array with
// `dims = [X, Y]` or `[X, Y, Z]`, x varying fastest, so voxel (x, y, z) lives at
// `x + X * (y + Y * z)`. This is NIfTI's on-disk order; a row-major H x W image
// buffer (PNG) is the same thing with `dims = [W, H]`. `spacing` is in mm, in the
// same axis order as `dims`.

/** Number of voxels for `dims`, after checking it is [X, Y] or [X, Y, Z] of positive integers. */
export function voxelCount(dims: readonly number[], what: string): number {
  if (dims.length !== 2 && dims.length !== 3) {
    throw new TypeError(
      `Cannot ${what}: dims must have 2 or 3 entries ([X, Y] or [X, Y, Z]), got [${dims}]`,
    );
  }
  let n = 1;
  for (const d of dims) {
    if (!Number.isInteger(d) || d < 1) {
      throw new RangeError(`Cannot ${what}: dims must be positive integers, got [${dims}]`);
    }
    n *= d;
  }
  return n;
}

/** Throws unless `array.length` equals the voxel count of `dims`. */
export function checkLength(
  array: ArrayLike<number>,
  dims: readonly number[],
  what: string,
  name: string,
): void {
  const n = voxelCount(dims, what);
  if (array.length !== n) {
    throw new RangeError(
      `Cannot ${what}: ${name} has ${array.length} voxels but dims [${dims}] need ${n}`,
    );
  }
}

/** Throws unless both masks match `dims` (and hence each other). */
export function checkPair(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  dims: readonly number[],
  what: string,
): void {
  if (gt.length !== pred.length) {
    throw new RangeError(
      `Cannot ${what}: prediction has ${pred.length} voxels but ground truth has ${gt.length}`,
    );
  }
  checkLength(gt, dims, what, "ground truth");
}

/** Spacing in mm per axis; defaults to 1 mm isotropic. Throws on a wrong length or non-positive value. */
export function resolveSpacing(
  spacing: readonly number[] | undefined,
  dims: readonly number[],
  what: string,
): number[] {
  if (spacing === undefined) return dims.map(() => 1);
  if (spacing.length !== dims.length) {
    throw new TypeError(
      `Cannot ${what}: spacing [${spacing}] has ${spacing.length} entries but dims [${dims}] has ${dims.length}`,
    );
  }
  for (const s of spacing) {
    if (!Number.isFinite(s) || s <= 0) {
      throw new RangeError(`Cannot ${what}: spacing must be positive and finite, got [${spacing}]`);
    }
  }
  return [...spacing];
}

/** [X, Y, Z] with Z = 1 for 2D, plus the number of real axes. */
export function dims3(dims: readonly number[]): { x: number; y: number; z: number; ndim: number } {
  return { x: dims[0] ?? 1, y: dims[1] ?? 1, z: dims[2] ?? 1, ndim: dims.length };
}
