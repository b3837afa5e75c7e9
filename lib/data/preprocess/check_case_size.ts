/**
 * The memory guard of preprocessing on the resampled grid: a case whose
 * resampled volume (or its stack of `size x size` slices) would hold more
 * than `maxVoxels` values per channel is refused before anything is
 * resampled. The source files were checked against the same limit from their
 * headers, before decoding (`readNifti`'s `maxVoxels`).
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import type { SourceCase } from "../layouts/case_ref.ts";
import { resampledGrid } from "./resample.ts";

/**
 * Checks a 3D case's resampled size against `maxVoxels` (2D images are resized
 * to `size x size`, which the config bounds).
 *
 * @param source The case on its source grid.
 * @param settings Target `spacing`, slice `size`, and `maxVoxels`.
 * @throws {InputFileError} Naming the first image, the grids and the setting.
 * @example
 * ```ts
 * import { checkCaseSize } from "./check_case_size.ts";
 * const source = {
 *   caseId: "a", channels: [new Float32Array(8)], label: null, dims: [2, 2, 2] as const,
 *   spacing: [1, 1, 1] as const, affine: [], is2d: false, sources: ["a.nii"],
 * };
 * checkCaseSize(source, { spacing: [1, 1, 1], size: 2, maxVoxels: 8 }); // fits
 * ```
 */
export function checkCaseSize(
  source: SourceCase,
  settings: {
    readonly spacing: readonly number[];
    readonly size: number;
    readonly maxVoxels: number;
  },
): void {
  if (source.is2d) return;
  const { dims } = resampledGrid({
    dims: source.dims,
    spacing: source.spacing,
    target: settings.spacing,
  });
  const volume = dims[0] * dims[1] * dims[2];
  const slices = dims[2] * settings.size * settings.size;
  const count = Math.max(volume, slices);
  if (count <= settings.maxVoxels) return;
  const what = volume >= slices
    ? `resampled to [${dims.join(", ")}]`
    : `cut into ${dims[2]} slices of ${settings.size} x ${settings.size}`;
  throw new InputFileError(
    "NIfTI",
    source.sources[0] ?? source.caseId,
    `pixdim [${source.spacing.join(", ")}] mm with dim [${source.dims.join(", ")}] ${what} ` +
      `at [${settings.spacing.join(", ")}] mm is ${count} voxels, more than maxVoxels ` +
      `${settings.maxVoxels} (the maxVoxels setting)`,
  );
}
