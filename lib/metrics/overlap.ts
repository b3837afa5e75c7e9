// References:
// - AMLP paper, sec. 4.6, eq. 10-11 (DSC and Sen with eps = 1e-4); PPV uses the same form.

import { type EmptyBranch, emptyBranch } from "./empty_policy.ts";
import { checkPair } from "../volume.ts";

/** The smoothing constant of AMLP eq. 10-11. */
export const OVERLAP_EPS = 1e-4;

/** Voxel counts and overlap ratios of one (ground truth, prediction) pair. */
export interface OverlapMetrics {
  /** Voxels in both. */
  readonly tp: number;
  /** Voxels only in the prediction. */
  readonly fp: number;
  /** Voxels only in the ground truth. */
  readonly fn: number;
  /** (2 TP + eps) / (T + P + eps) with T = |GT|, P = |Pred|. */
  readonly dsc: number;
  /** (TP + eps) / (TP + FN + eps). */
  readonly sen: number;
  /** (TP + eps) / (TP + FP + eps). */
  readonly ppv: number;
  /** Empty-mask branch; see `EmptyBranch`. The formulas above apply unchanged in every branch. */
  readonly branch: EmptyBranch;
}

/**
 * DSC, sensitivity and precision with AMLP's eps = 1e-4 smoothing. Both masks empty
 * gives exactly 1 for all three (eps / eps); other branches are whatever the formulas give.
 *
 * @param gt ground-truth mask (non-zero = foreground).
 * @param pred predicted mask, same length.
 * @param dims `[X, Y]` or `[X, Y, Z]`, used only to check the lengths.
 * @returns counts, ratios and the empty-mask branch.
 * @throws {RangeError} if the masks do not match each other or `dims`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { overlapMetrics } from "./overlap.ts";
 * const m = overlapMetrics(Uint8Array.of(1, 1, 0, 0), Uint8Array.of(1, 0, 1, 0), [2, 2]);
 * assert.equal(m.tp, 1);
 * assert.equal(m.dsc, (2 + 1e-4) / (4 + 1e-4));
 * ```
 */
export function overlapMetrics(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  dims: readonly number[],
): OverlapMetrics {
  checkPair(gt, pred, dims, "compute overlap metrics");
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < gt.length; i++) {
    const g = gt[i] !== 0;
    const p = pred[i] !== 0;
    if (g && p) tp++;
    else if (p) fp++;
    else if (g) fn++;
  }
  const eps = OVERLAP_EPS;
  const t = tp + fn;
  const p = tp + fp;
  return {
    tp,
    fp,
    fn,
    dsc: (2 * tp + eps) / (t + p + eps),
    sen: (tp + eps) / (tp + fn + eps),
    ppv: (tp + eps) / (tp + fp + eps),
    branch: emptyBranch(gt, pred),
  };
}
