import { boundaryIou, type BoundaryIouMode } from "./boundary_iou.ts";
import type { EmptyBranch } from "./empty_policy.ts";
import { type DistanceTransform, hd95, hd95Async } from "./hd95.ts";
import { overlapMetrics } from "./overlap.ts";
import { resolveSpacing } from "../volume.ts";

/** The five AMLP metrics of one scan (or one region of one scan) plus the empty-mask branch. */
export interface CaseMetrics {
  /** Dice, AMLP eq. 10 (eps = 1e-4). */
  readonly dsc: number;
  /** Sensitivity, AMLP eq. 11 (eps = 1e-4). */
  readonly sen: number;
  /** Precision (TP + eps) / (TP + FP + eps). */
  readonly ppv: number;
  /** Boundary IoU (Cheng et al. 2021). */
  readonly biou: number;
  /** 95th-percentile Hausdorff distance in mm. */
  readonly hd95: number;
  /** Which side is empty; see `EmptyBranch` for the value each metric takes. */
  readonly branch: EmptyBranch;
}

/** Options for {@linkcode computeCaseMetrics}. */
export interface CaseMetricsOptions {
  /** bIoU treatment of 3D volumes (default `"slices"`); see `BoundaryIouMode`. */
  readonly biouMode?: BoundaryIouMode;
  /** bIoU boundary width as a fraction of the image diagonal (default 0.02). */
  readonly dilationRatio?: number;
}

/**
 * DSC, Sen, PPV, bIoU and HD95 of one binary (ground truth, prediction) pair, computed
 * on the whole 2D image or 3D scan (AMLP sec. 4.6 computes per 3D scan, then averages).
 * The empty-mask policy is the one described on `EmptyBranch`; no case is dropped.
 *
 * The argument list follows issue #5 (`gt, pred, dims, spacing`) rather than the
 * two-positional-plus-options rule, so that call sites read like the issue.
 *
 * @param gt ground-truth mask, non-zero = foreground, layout `x + X * (y + Y * z)`.
 * @param pred predicted mask, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param spacing voxel size in mm per axis, same order as `dims` (default 1 mm).
 * @param options bIoU mode and boundary width.
 * @returns the five metrics and the branch.
 * @throws {RangeError} if shapes disagree or spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeCaseMetrics } from "./case_metrics.ts";
 * const gt = new Uint8Array(16).fill(1);
 * const m = computeCaseMetrics(gt, gt, [4, 4], [1, 1]);
 * assert.equal(m.dsc, 1);
 * assert.equal(m.hd95, 0);
 * assert.equal(m.branch, "both_present");
 * ```
 */
export function computeCaseMetrics(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  spacing?: readonly number[],
  options: CaseMetricsOptions = {},
): CaseMetrics {
  const sp = resolveSpacing(spacing, dims, "compute case metrics");
  const m = overlapAndBoundary(gt, pred, dims, options);
  return { ...m, hd95: hd95(gt, pred, dims, { spacing: sp }).hd95 };
}

/**
 * {@linkcode computeCaseMetrics} with HD95's distance transforms computed by
 * `options.edt` (e.g. `edtGpu`); every other metric is computed the same way.
 *
 * @param gt ground-truth mask, non-zero = foreground, layout `x + X * (y + Y * z)`.
 * @param pred predicted mask, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param spacing voxel size in mm per axis, same order as `dims` (default 1 mm).
 * @param options bIoU mode and boundary width, and the distance transform.
 * @returns the five metrics and the branch.
 * @throws {RangeError} if shapes disagree or spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 */
export async function computeCaseMetricsAsync(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  spacing: readonly number[] | undefined,
  options: CaseMetricsOptions & { readonly edt: DistanceTransform },
): Promise<CaseMetrics> {
  const sp = resolveSpacing(spacing, dims, "compute case metrics");
  const m = overlapAndBoundary(gt, pred, dims, options);
  return { ...m, hd95: (await hd95Async(gt, pred, dims, { spacing: sp, edt: options.edt })).hd95 };
}

/** Every metric but HD95. */
function overlapAndBoundary(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  options: CaseMetricsOptions,
): Omit<CaseMetrics, "hd95"> {
  const o = overlapMetrics(gt, pred, dims);
  const b = boundaryIou(gt, pred, dims, {
    ...(options.biouMode !== undefined ? { mode: options.biouMode } : {}),
    ...(options.dilationRatio !== undefined ? { dilationRatio: options.dilationRatio } : {}),
  });
  return { dsc: o.dsc, sen: o.sen, ppv: o.ppv, biou: b.biou, branch: o.branch };
}
