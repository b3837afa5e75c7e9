/**
 * What a dataset layout yields: a reference to one case's files, cheap to list,
 * and the case loaded into memory by {@linkcode loadCase} (`load_case.ts`).
 *
 * @module
 */

/** One case's files, not yet read. */
export interface CaseRef {
  /** Patient / scan / image id, unique within the dataset (used for splits). */
  readonly caseId: string;
  /** `"nifti"` for 3D volumes, `"png"` for 2D images. */
  readonly format: "nifti" | "png";
  /**
   * One file per channel (modality), in channel order. A single 4D NIfTI file
   * contributes one channel per volume along its 4th axis.
   */
  readonly images: readonly string[];
  /**
   * Label files, OR-ed / merged into one label map (BUSI has several masks per
   * image); empty when the case has no annotation.
   */
  readonly labels: readonly string[];
  /** Files that were expected but not found; loading such a case fails. */
  readonly missing: readonly string[];
  /** A listed entry that cannot be read (a dangling symlink or a loop); loading fails. */
  readonly unreadable?: { readonly path: string; readonly reason: string };
}

/** A case in memory, on its source grid. */
export interface SourceCase {
  readonly caseId: string;
  /** One array per channel, each `nx * ny * nz` values, x fastest (2D: row-major, nz 1). */
  readonly channels: readonly Float32Array[];
  /** `nx * ny * nz` class values, or `null`. */
  readonly label: Uint8Array | null;
  /** `[nx, ny, nz]`; for 2D images `[width, height, 1]`. */
  readonly dims: readonly [number, number, number];
  /** mm per voxel along x, y, z (2D: `[1, 1, 1]`, pixels). */
  readonly spacing: readonly [number, number, number];
  /** 4x4 voxel-to-world matrix of the first image (2D: identity). */
  readonly affine: readonly (readonly number[])[];
  /** True for 2D images (resized, not resampled). */
  readonly is2d: boolean;
  /** Every file read, images first. */
  readonly sources: readonly string[];
}
