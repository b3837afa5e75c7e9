// References:
// - B. Cheng, R. Girshick, P. Dollar, A. C. Berg, A. Kirillov, "Boundary IoU: Improving
//   Object-Centric Image Segmentation Evaluation", CVPR 2021. https://arxiv.org/abs/2103.16562
// - AMLP paper, sec. 4.6, eq. 12.

import { type EmptyBranch, emptyBranch } from "./empty_policy.ts";
import { erode } from "./erode.ts";
import { checkPair, dims3 } from "../volume.ts";

/**
 * How a 3D volume is treated (2D inputs ignore this):
 * - `"slices"` (default): every z slice is a 2D image with Cheng et al.'s 3x3 erosion and
 *   d from the slice diagonal; intersections and unions are summed over slices, then divided.
 * - `"volume"`: one 3x3x3 erosion over the volume with d from the 3D voxel diagonal.
 */
export type BoundaryIouMode = "slices" | "volume";

/** Options for {@linkcode boundaryIou}. */
export interface BoundaryIouOptions {
  /** Boundary width as a fraction of the image diagonal (default 0.02, as Cheng et al.). */
  readonly dilationRatio?: number;
  /** `"slices"` (default) or `"volume"`; see {@linkcode BoundaryIouMode}. */
  readonly mode?: BoundaryIouMode;
}

/** Result of {@linkcode boundaryIou}. */
export interface BoundaryIouResult {
  /** |Gb ∩ Pb| / |Gb ∪ Pb|; 1 when both masks are empty, 0 when exactly one is. */
  readonly biou: number;
  /** |Gb ∩ Pb| in voxels (summed over slices in `"slices"` mode). */
  readonly intersection: number;
  /** |Gb ∪ Pb| in voxels (summed over slices in `"slices"` mode). */
  readonly union: number;
  /** Erosion passes d used for the boundary band. */
  readonly passes: number;
  /** Empty-mask branch; see `EmptyBranch`. */
  readonly branch: EmptyBranch;
}

/**
 * Rounds half to even, like Python's `round()`, which Cheng et al.'s reference code
 * uses for d; JavaScript's `Math.round` would round 2.5 up to 3.
 */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const diff = v - f;
  if (diff > 0.5) return f + 1;
  if (diff < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * Boundary width d in voxels: `max(1, round(ratio * sqrt(sum(dims^2))))`, with Python's
 * half-to-even rounding as in Cheng et al.'s code. It is in voxels, not mm, by definition.
 *
 * @param dims the image (or slice) dims the diagonal is taken over.
 * @param dilationRatio fraction of the diagonal (default 0.02).
 * @returns d, at least 1.
 * @throws {RangeError} if `dilationRatio` is negative or not finite.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundaryPasses } from "./boundary_iou.ts";
 * assert.equal(boundaryPasses([300, 400]), 10); // 2% of a 500-pixel diagonal
 * assert.equal(boundaryPasses([10, 10]), 1);
 * ```
 */
export function boundaryPasses(dims: readonly number[], dilationRatio = 0.02): number {
  if (!Number.isFinite(dilationRatio) || dilationRatio < 0) {
    throw new RangeError(
      `Cannot compute boundary width: dilationRatio must be finite and >= 0, got ${dilationRatio}`,
    );
  }
  let s = 0;
  for (const d of dims) s += d * d;
  return Math.max(1, roundHalfEven(dilationRatio * Math.sqrt(s)));
}

/**
 * Inner boundary band of a mask: the mask minus its erosion by `passes` passes of the
 * full 3x3 (3x3x3) element, zero padded so the image border counts as boundary.
 *
 * @param mask 0/1 mask, layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param passes erosion passes d.
 * @returns a new 0/1 mask.
 * @throws {RangeError} if the mask does not match `dims`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundaryRegion } from "./boundary_iou.ts";
 * const b = boundaryRegion(new Uint8Array(25).fill(1), [5, 5], 1);
 * assert.equal(b.reduce((a, v) => a + v, 0), 16); // 5x5 minus its 3x3 core
 * ```
 */
export function boundaryRegion(
  mask: Uint8Array,
  dims: readonly number[],
  passes: number,
): Uint8Array {
  const eroded = erode(mask, dims, { passes, structure: "full" });
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 && eroded[i] === 0 ? 1 : 0;
  return out;
}

function countBands(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  passes: number,
): [number, number] {
  const gb = boundaryRegion(gt, dims, passes);
  const pb = boundaryRegion(pred, dims, passes);
  let inter = 0;
  let union = 0;
  for (let i = 0; i < gb.length; i++) {
    inter += gb[i]! & pb[i]!;
    union += gb[i]! | pb[i]!;
  }
  return [inter, union];
}

/**
 * Boundary IoU (Cheng et al., CVPR 2021): |Gb ∩ Pb| / |Gb ∪ Pb| where a mask's
 * boundary band is the mask minus its d-pass 3x3 erosion and d = round(2% of the
 * image diagonal), at least 1.
 *
 * 3D default is `"slices"`: Cheng et al. define d relative to a 2D image diagonal, the
 * downstream networks here segment 2D slices, and a 3x3x3 element on thick anisotropic
 * slices would carve d whole slices (often many mm) off the top and bottom of a
 * structure. Summing intersections and unions before dividing keeps one value per scan
 * (AMLP computes metrics per 3D scan) without letting tiny end slices dominate.
 * `"volume"` is offered for isotropic data.
 *
 * Empty masks: both empty gives 1 (empty union, perfect agreement); exactly one empty gives 0.
 *
 * @param gt ground-truth 0/1 mask.
 * @param pred predicted 0/1 mask, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options dilation ratio and 3D mode.
 * @returns bIoU with its counts, d and the empty-mask branch.
 * @throws {RangeError} if the masks do not match each other or `dims`.
 * @throws {TypeError} if `dims` does not have 2 or 3 entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { boundaryIou } from "./boundary_iou.ts";
 * const gt = new Uint8Array(25).fill(1);
 * assert.equal(boundaryIou(gt, gt, [5, 5]).biou, 1);
 * ```
 */
export function boundaryIou(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  options: BoundaryIouOptions = {},
): BoundaryIouResult {
  checkPair(gt, pred, dims, "compute boundary IoU");
  const ratio = options.dilationRatio ?? 0.02;
  const mode = options.mode ?? "slices";
  if (mode !== "slices" && mode !== "volume") {
    throw new TypeError(
      `Cannot compute boundary IoU: mode must be "slices" or "volume", got "${mode}"`,
    );
  }
  const branch = emptyBranch(gt, pred);
  const { x, y, z, ndim } = dims3(dims);
  let inter = 0;
  let union = 0;
  let passes: number;
  if (ndim === 2 || mode === "volume") {
    passes = boundaryPasses(dims, ratio);
    [inter, union] = countBands(gt, pred, dims, passes);
  } else {
    const plane = [x, y];
    const n = x * y;
    passes = boundaryPasses(plane, ratio);
    for (let k = 0; k < z; k++) {
      const [i, u] = countBands(
        gt.subarray(k * n, (k + 1) * n),
        pred.subarray(k * n, (k + 1) * n),
        plane,
        passes,
      );
      inter += i;
      union += u;
    }
  }
  const biou = union === 0 ? 1 : inter / union;
  return { biou, intersection: inter, union, passes, branch };
}
