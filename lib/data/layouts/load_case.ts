/**
 * Reads the files of a {@linkcode CaseRef} into a {@linkcode SourceCase} and
 * checks that they fit together.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import { readNifti } from "../../io/nifti_read.ts";
import { readPngImage, readPngMask } from "../../io/png.ts";
import type { CaseRef, SourceCase } from "./case_ref.ts";

const IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

/** Limits and tolerances of {@linkcode loadCase}; each defaults to no limit. */
export interface LoadCaseOptions {
  /** Most voxels per NIfTI file (the preprocess setting `maxVoxels`). */
  readonly maxVoxels?: number;
  /** Most pixels per PNG image (`maxPixels`). */
  readonly maxPixels?: number;
  /** Label values must be integers in [0, labelClasses - 1] (`labelClasses`; at most 256). */
  readonly labelClasses?: number;
  /** Largest difference, in mm, between the affines of a case's files (`geometryTolerance`). */
  readonly geometryTolerance?: number;
}

/**
 * Loads one case. Images become float32 channels; label files are merged
 * into one uint8 map (several files are OR-ed into {0, 1}, as BUSI masks are;
 * a single file keeps its class values).
 *
 * @param ref The case's files.
 * @param options Limits and tolerances.
 * @returns The case on its source grid.
 * @throws {InputFileError} With a one-line message naming the file, if a file
 *   is missing or unreadable, above a size limit, shapes or affines differ
 *   between a case's files, an image has NaN or infinite voxels, or a label
 *   value is not an integer in [0, labelClasses - 1].
 */
export async function loadCase(ref: CaseRef, options: LoadCaseOptions = {}): Promise<SourceCase> {
  if (ref.unreadable) throw new InputFileError("case", ref.unreadable.path, ref.unreadable.reason);
  const first = ref.missing[0];
  if (first !== undefined) {
    const name = first.split("/").pop();
    throw new InputFileError(
      "case",
      first,
      `file is missing (case "${ref.caseId}" needs "${name}")`,
    );
  }
  return ref.format === "png" ? await loadPngCase(ref, options) : await loadNiftiCase(ref, options);
}

async function loadPngCase(ref: CaseRef, options: LoadCaseOptions): Promise<SourceCase> {
  const imagePath = ref.images[0];
  if (imagePath === undefined || ref.images.length !== 1) {
    throw new RangeError(
      `Cannot load case "${ref.caseId}": a PNG case has exactly one image, got ${ref.images.length}`,
    );
  }
  const limit = { maxPixels: options.maxPixels ?? Infinity };
  const image = await readPngImage(imagePath, limit);
  let label: Uint8Array | null = null;
  for (const path of ref.labels) {
    const mask = await readPngMask(path, limit);
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new InputFileError(
        "mask",
        path,
        `size ${mask.width}x${mask.height} does not match its image ${image.width}x${image.height}`,
      );
    }
    label ??= new Uint8Array(mask.data.length);
    for (let i = 0; i < label.length; i++) {
      label[i] = (label[i] as number) | (mask.data[i] as number);
    }
  }
  return {
    caseId: ref.caseId,
    channels: [image.data],
    label,
    dims: [image.width, image.height, 1],
    spacing: [1, 1, 1],
    affine: IDENTITY,
    is2d: true,
    sources: [...ref.images, ...ref.labels],
  };
}

async function loadNiftiCase(ref: CaseRef, options: LoadCaseOptions): Promise<SourceCase> {
  const read = { maxVoxels: options.maxVoxels ?? Infinity };
  const tolerance = options.geometryTolerance ?? Infinity;
  const classes = Math.min(256, options.labelClasses ?? 256);
  const channels: Float32Array[] = [];
  let dims: [number, number, number] | null = null;
  let spacing: [number, number, number] = [1, 1, 1];
  let affine: readonly (readonly number[])[] = IDENTITY;
  let dimsFrom = "";
  for (const path of ref.images) {
    const vol = await readNifti(path, read);
    const [nx = 1, ny = 1, nz = 1, nt = 1, ...rest] = vol.dims;
    if (rest.some((d) => d !== 1)) {
      throw new InputFileError(
        "NIfTI",
        path,
        `has ${vol.dims.length} dimensions [${vol.dims.join(", ")}]; at most 4 are supported`,
      );
    }
    if (dims === null) {
      dims = [nx, ny, nz];
      spacing = [vol.spacing[0] ?? 1, vol.spacing[1] ?? 1, vol.spacing[2] ?? 1];
      affine = vol.affine;
      dimsFrom = path;
    } else if (dims[0] !== nx || dims[1] !== ny || dims[2] !== nz) {
      throw new InputFileError(
        "NIfTI",
        path,
        `shape [${nx}, ${ny}, ${nz}] does not match "${dimsFrom}" [${dims.join(", ")}]`,
      );
    } else {
      checkAffine("NIfTI", path, vol.affine, { affine, from: dimsFrom, tolerance });
    }
    const n = nx * ny * nz;
    let bad = 0;
    for (let i = 0; i < vol.data.length; i++) if (!Number.isFinite(vol.data[i])) bad++;
    if (bad > 0) throw new InputFileError("NIfTI", path, `has ${bad} NaN or infinite voxels`);
    // A 4D image (MSD) gives one channel per volume.
    for (let t = 0; t < nt; t++) channels.push(vol.data.subarray(t * n, (t + 1) * n));
  }
  if (dims === null) throw new RangeError(`Cannot load case "${ref.caseId}": it has no image file`);
  let label: Uint8Array | null = null;
  for (const path of ref.labels) {
    const vol = await readNifti(path, read);
    const [nx = 1, ny = 1, nz = 1] = vol.dims;
    const count = vol.dims.reduce((p, d) => p * d, 1);
    if (dims[0] !== nx || dims[1] !== ny || dims[2] !== nz || count !== nx * ny * nz) {
      throw new InputFileError(
        "label",
        path,
        `shape [${vol.dims.join(", ")}] does not match image "${dimsFrom}" [${dims.join(", ")}]`,
      );
    }
    checkAffine("label", path, vol.affine, { affine, from: dimsFrom, tolerance });
    const values = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const v = vol.data[i] as number;
      if (!(Number.isInteger(v) && v >= 0 && v < classes)) {
        throw new InputFileError(
          "label",
          path,
          `voxel ${i} is ${v}, not an integer class in [0, ${classes - 1}] (the labelClasses ` +
            `setting is ${classes})`,
        );
      }
      values[i] = v;
    }
    if (label === null) label = values;
    else for (let i = 0; i < count; i++) label[i] = (label[i] as number) || values[i] ? 1 : 0;
  }
  return {
    caseId: ref.caseId,
    channels,
    label,
    dims,
    spacing,
    affine,
    is2d: false,
    sources: [...ref.images, ...ref.labels],
  };
}

/** Refuses a file whose affine differs from the case's first image by more than `tolerance` mm. */
function checkAffine(
  what: string,
  path: string,
  affine: readonly (readonly number[])[],
  reference: {
    readonly affine: readonly (readonly number[])[];
    readonly from: string;
    readonly tolerance: number;
  },
): void {
  let worst = 0;
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 4; j++) {
      worst = Math.max(worst, Math.abs((affine[i]?.[j] ?? 0) - (reference.affine[i]?.[j] ?? 0)));
    }
  }
  if (worst > reference.tolerance) {
    const show = (a: readonly (readonly number[])[]) =>
      `[${a.slice(0, 3).map((r) => `[${r.map((v) => +v.toPrecision(6)).join(", ")}]`).join(", ")}]`;
    throw new InputFileError(
      what,
      path,
      `affine ${show(affine)} differs from "${reference.from}" ${show(reference.affine)} by ` +
        `${+worst.toPrecision(3)} mm, more than geometryTolerance ${reference.tolerance}`,
    );
  }
}
