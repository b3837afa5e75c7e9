/**
 * Segmentation metrics of AMLP sec. 4.6 for binary masks and label maps in 2D and 3D:
 * DSC / Sen / PPV (eq. 10-11, eps = 1e-4), boundary IoU, HD95 in mm, with an explicit
 * empty-mask policy (`EmptyBranch`), plus the exact EDT and morphology they rest on.
 *
 * Layout everywhere: flat arrays, `dims = [X, Y]` or `[X, Y, Z]`, x fastest
 * (`x + X * (y + Y * z)`, NIfTI order; a row-major H x W image is `dims = [W, H]`),
 * `spacing` in mm in the same axis order.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeCaseMetrics, summarizeCases } from "./mod.ts";
 * const gt = new Uint8Array(64).fill(1);
 * const s = summarizeCases([computeCaseMetrics(gt, gt, [4, 4, 4], [1, 1, 3])]);
 * assert.equal(s.dsc.mean, 1);
 * assert.equal(s.branches.both_present, 1);
 * ```
 *
 * @module
 */
export * from "./boundary_iou.ts";
export * from "./case_metrics.ts";
export * from "./dilate.ts";
export * from "../kernels/edt.ts";
export * from "./empty_policy.ts";
export * from "./erode.ts";
export * from "./hd95.ts";
export * from "./multiclass.ts";
export * from "./overlap.ts";
export * from "./percentile.ts";
export * from "./select_edt.ts";
export * from "./summary.ts";
