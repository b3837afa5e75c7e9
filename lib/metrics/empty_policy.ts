/**
 * Which side of a (ground truth, prediction) pair is empty. Every metric result carries
 * one so a report can count how many cases hit each branch; no case is ever dropped.
 *
 * - `"both_empty"`: DSC = Sen = PPV = eps / eps = 1 (what AMLP eq. 10-11 give),
 *   bIoU = 1 (empty union: perfect agreement), HD95 = 0.
 * - `"gt_empty"`: DSC = eps / (P + eps), Sen = eps / eps = 1 (no false negatives),
 *   PPV = eps / (FP + eps), bIoU = 0, HD95 = the sentinel {@linkcode imageDiagonalMm}.
 * - `"pred_empty"`: DSC = eps / (T + eps), Sen = eps / (FN + eps), PPV = eps / eps = 1,
 *   bIoU = 0, HD95 = the sentinel {@linkcode imageDiagonalMm}.
 * - `"both_present"`: every metric is measured.
 */
export type EmptyBranch = "both_empty" | "gt_empty" | "pred_empty" | "both_present";

/** All four branches, in report order. */
export const EMPTY_BRANCHES: readonly EmptyBranch[] = [
  "both_present",
  "both_empty",
  "gt_empty",
  "pred_empty",
];

/**
 * Classifies a pair by emptiness (any non-zero voxel is foreground).
 *
 * @param gt ground-truth mask.
 * @param pred predicted mask.
 * @returns the branch of the empty-mask policy this pair falls in.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { emptyBranch } from "./empty_policy.ts";
 * assert.equal(emptyBranch(new Uint8Array(4), Uint8Array.of(0, 1, 0, 0)), "gt_empty");
 * ```
 */
export function emptyBranch(gt: ArrayLike<number>, pred: ArrayLike<number>): EmptyBranch {
  const g = hasForeground(gt);
  const p = hasForeground(pred);
  if (g && p) return "both_present";
  if (!g && !p) return "both_empty";
  return g ? "pred_empty" : "gt_empty";
}

function hasForeground(mask: ArrayLike<number>): boolean {
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) return true;
  return false;
}

/**
 * Diagonal of the image extent in mm, `sqrt(sum((dims[i] * spacing[i])^2))`: the HD95
 * reported when exactly one side is empty. Why this value: a surface distance is
 * undefined there, but NaN would poison means and dropping the case would hide a
 * failure. The diagonal is finite, it is the worst score the grid allows, and it is
 * strictly larger than any distance between two voxel centres
 * (`sqrt(sum(((dims[i] - 1) * spacing[i])^2))`), so sentinel values can always be told
 * apart from measured ones; the `branch` field counts them as well.
 *
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param spacing mm per axis, same order as `dims`.
 * @returns the diagonal in mm.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { imageDiagonalMm } from "./empty_policy.ts";
 * assert.equal(imageDiagonalMm([3, 4], [1, 1]), 5);
 * ```
 */
export function imageDiagonalMm(dims: readonly number[], spacing: readonly number[]): number {
  let s = 0;
  for (let i = 0; i < dims.length; i++) {
    const len = dims[i]! * (spacing[i] ?? 1);
    s += len * len;
  }
  return Math.sqrt(s);
}
