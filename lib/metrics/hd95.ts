// References:
// - medpy.metric.binary.hd95 / __surface_distances (surface = mask XOR its erosion by the
//   connectivity-1 structure, distances via an EDT of the other surface's complement).
//   https://github.com/loli/medpy/blob/master/medpy/metric/binary.py
// - AMLP paper, sec. 4.6, eq. 13.

import { edt, type EdtOptions } from "../kernels/edt.ts";
import { type EmptyBranch, emptyBranch, imageDiagonalMm } from "./empty_policy.ts";
import { erode } from "./erode.ts";
import { percentile } from "./percentile.ts";
import { checkPair, resolveSpacing } from "../volume.ts";

/** Options for {@linkcode hd95}. */
export interface Hd95Options {
  /** Voxel size in mm per axis, same order as `dims` (default 1 for every axis). */
  readonly spacing?: readonly number[];
  /** Percentile of each directed distance set (default 95). */
  readonly percentile?: number;
}

/**
 * A distance transform with the contract of `edt()` (mm to the nearest zero voxel),
 * computed wherever it likes: `edtGpu` on the GPU, or `edt` wrapped in a promise.
 */
export type DistanceTransform = (
  mask: Uint8Array,
  dims: readonly number[],
  options: EdtOptions,
) => Promise<Float64Array>;

/** Options for {@linkcode hd95Async}. */
export interface Hd95AsyncOptions extends Hd95Options {
  /** The distance transform (e.g. `edtGpu`). */
  readonly edt: DistanceTransform;
}

/** Result of {@linkcode hd95}. */
export interface Hd95Result {
  /** max of the two directed percentiles in mm; 0 if both empty, image diagonal if one is. */
  readonly hd95: number;
  /** Percentile of prediction-surface to ground-truth-surface distances (mm); equals `hd95` unless both present. */
  readonly predToGt: number;
  /** Percentile of ground-truth-surface to prediction-surface distances (mm); equals `hd95` unless both present. */
  readonly gtToPred: number;
  /** Empty-mask branch; see `EmptyBranch`. */
  readonly branch: EmptyBranch;
}

/**
 * Surface voxels of a mask: the mask minus its one-pass erosion by the face-connected
 * (cross) element, zero padded so voxels on the image border are surface (as medpy/MONAI).
 *
 * @param mask 0/1 mask, layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @returns a new 0/1 mask.
 * @throws {RangeError} if the mask does not match `dims`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { surfaceMask } from "./hd95.ts";
 * const s = surfaceMask(new Uint8Array(9).fill(1), [3, 3]);
 * assert.deepEqual([...s], [1, 1, 1, 1, 0, 1, 1, 1, 1]);
 * ```
 */
export function surfaceMask(mask: Uint8Array, dims: readonly number[]): Uint8Array {
  const eroded = erode(mask, dims, { passes: 1, structure: "cross" });
  const out = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] !== 0 && eroded[i] === 0 ? 1 : 0;
  return out;
}

/** The mask whose EDT is the distance (mm) to the nearest voxel of `surface`. */
function offSurface(surface: Uint8Array): Uint8Array {
  const out = new Uint8Array(surface.length);
  for (let i = 0; i < out.length; i++) out[i] = surface[i] === 0 ? 1 : 0;
  return out;
}

/** The distance map's values on the surface voxels of `from`. */
function onSurface(fromSurface: Uint8Array, dist: Float64Array): Float64Array {
  const out: number[] = [];
  for (let i = 0; i < fromSurface.length; i++) if (fromSurface[i]) out.push(dist[i]!);
  return Float64Array.from(out);
}

/** Both surfaces and the settings, or the result when a mask is empty (no EDT needed). */
type Hd95Plan =
  | { readonly result: Hd95Result }
  | {
    readonly gs: Uint8Array;
    readonly ps: Uint8Array;
    readonly spacing: number[];
    readonly q: number;
  };

function planHd95(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  options: Hd95Options,
): Hd95Plan {
  checkPair(gt, pred, dims, "compute HD95");
  const spacing = resolveSpacing(options.spacing, dims, "compute HD95");
  const q = options.percentile ?? 95;
  const branch = emptyBranch(gt, pred);
  // 1) both empty: perfect agreement
  if (branch === "both_empty") return { result: { hd95: 0, predToGt: 0, gtToPred: 0, branch } };
  // 2) one side empty: sentinel
  if (branch !== "both_present") {
    const d = imageDiagonalMm(dims, spacing);
    return { result: { hd95: d, predToGt: d, gtToPred: d, branch } };
  }
  // 3) both present: measured from the two surfaces
  return { gs: surfaceMask(gt, dims), ps: surfaceMask(pred, dims), spacing, q };
}

/** 3) from the distance maps to the ground-truth surface and to the predicted surface. */
function finishHd95(
  plan: { readonly gs: Uint8Array; readonly ps: Uint8Array; readonly q: number },
  toGt: Float64Array,
  toPred: Float64Array,
): Hd95Result {
  const predToGt = percentile(onSurface(plan.ps, toGt), plan.q);
  const gtToPred = percentile(onSurface(plan.gs, toPred), plan.q);
  return { hd95: Math.max(predToGt, gtToPred), predToGt, gtToPred, branch: "both_present" };
}

/**
 * 95th-percentile Hausdorff distance in mm (AMLP eq. 13, medpy's definition): the larger
 * of the two directed 95th percentiles of surface-to-surface distances, with the
 * percentile as numpy's default (see `percentile`) and anisotropic spacing honoured.
 *
 * Empty masks: both empty gives 0; exactly one empty gives `imageDiagonalMm(dims, spacing)`,
 * a finite worst-case sentinel that is larger than any measurable HD95 on this grid
 * (NaN would poison averages, dropping the case would hide it). `branch` says which applied.
 *
 * @param gt ground-truth 0/1 mask.
 * @param pred predicted 0/1 mask, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options spacing in mm and the percentile.
 * @returns HD95 with both directed values and the empty-mask branch.
 * @throws {RangeError} if the masks do not match each other or `dims`, or spacing is invalid.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hd95 } from "./hd95.ts";
 * const gt = Uint8Array.of(1, 0, 0, 0, 0);
 * const pred = Uint8Array.of(0, 0, 0, 1, 0);
 * assert.equal(hd95(gt, pred, [5, 1], { spacing: [2, 1] }).hd95, 6);
 * ```
 */
export function hd95(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  options: Hd95Options = {},
): Hd95Result {
  const plan = planHd95(gt, pred, dims, options);
  if ("result" in plan) return plan.result;
  const { spacing } = plan;
  return finishHd95(
    plan,
    edt(offSurface(plan.gs), dims, { spacing }),
    edt(offSurface(plan.ps), dims, { spacing }),
  );
}

/**
 * {@linkcode hd95} with the distance transforms computed by `options.edt`, e.g. on the
 * GPU with `edtGpu`. Same definition, empty-mask policy and errors; the result
 * differs from `hd95()` only by the precision of `options.edt`.
 *
 * @param gt ground-truth 0/1 mask.
 * @param pred predicted 0/1 mask, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options spacing in mm, the percentile and the distance transform.
 * @returns HD95 with both directed values and the empty-mask branch.
 * @throws {RangeError} if the masks do not match each other or `dims`, or spacing is invalid.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { edt } from "../kernels/edt.ts";
 * import { hd95Async } from "./hd95.ts";
 * const gt = Uint8Array.of(1, 0, 0, 0, 0);
 * const pred = Uint8Array.of(0, 0, 0, 1, 0);
 * const r = await hd95Async(gt, pred, [5, 1], {
 *   spacing: [2, 1],
 *   edt: (mask, dims, options) => Promise.resolve(edt(mask, dims, options)),
 * });
 * assert.equal(r.hd95, 6);
 * ```
 */
export async function hd95Async(
  gt: Uint8Array,
  pred: Uint8Array,
  dims: readonly number[],
  options: Hd95AsyncOptions,
): Promise<Hd95Result> {
  const plan = planHd95(gt, pred, dims, options);
  if ("result" in plan) return plan.result;
  const { spacing } = plan;
  const toGt = await options.edt(offSurface(plan.gs), dims, { spacing });
  const toPred = await options.edt(offSurface(plan.ps), dims, { spacing });
  return finishHd95(plan, toGt, toPred);
}
