// References:
// - medpy.metric.binary.hd95 / __surface_distances (surface = mask XOR its erosion by the
//   connectivity-1 structure, distances via an EDT of the other surface's complement).
//   https://github.com/loli/medpy/blob/master/medpy/metric/binary.py
// - AMLP paper, sec. 4.6, eq. 13.

import { edt } from "./edt.ts";
import { type EmptyBranch, emptyBranch, imageDiagonalMm } from "./empty_policy.ts";
import { erode } from "./erode.ts";
import { percentile } from "./percentile.ts";
import { checkPair, resolveSpacing } from "./_shape.ts";

/** Options for {@linkcode hd95}. */
export interface Hd95Options {
  /** Voxel size in mm per axis, same order as `dims` (default 1 for every axis). */
  readonly spacing?: readonly number[];
  /** Percentile of each directed distance set (default 95). */
  readonly percentile?: number;
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

/** Distances (mm) from each surface voxel of `from` to the nearest surface voxel of `to`. */
function directedDistances(
  fromSurface: Uint8Array,
  toSurface: Uint8Array,
  dims: readonly number[],
  spacing: readonly number[],
): Float64Array {
  // EDT of "not on the target surface" = distance to the nearest target surface voxel.
  const notTo = new Uint8Array(toSurface.length);
  for (let i = 0; i < notTo.length; i++) notTo[i] = toSurface[i] === 0 ? 1 : 0;
  const dist = edt(notTo, dims, { spacing });
  const out: number[] = [];
  for (let i = 0; i < fromSurface.length; i++) if (fromSurface[i]) out.push(dist[i]!);
  return Float64Array.from(out);
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
  checkPair(gt, pred, dims, "compute HD95");
  const spacing = resolveSpacing(options.spacing, dims, "compute HD95");
  const q = options.percentile ?? 95;
  const branch = emptyBranch(gt, pred);
  // 1) both empty: perfect agreement
  if (branch === "both_empty") return { hd95: 0, predToGt: 0, gtToPred: 0, branch };
  // 2) one side empty: sentinel
  if (branch !== "both_present") {
    const d = imageDiagonalMm(dims, spacing);
    return { hd95: d, predToGt: d, gtToPred: d, branch };
  }
  // 3) both present: measured
  const gs = surfaceMask(gt, dims);
  const ps = surfaceMask(pred, dims);
  const predToGt = percentile(directedDistances(ps, gs, dims, spacing), q);
  const gtToPred = percentile(directedDistances(gs, ps, dims, spacing), q);
  return { hd95: Math.max(predToGt, gtToPred), predToGt, gtToPred, branch };
}
