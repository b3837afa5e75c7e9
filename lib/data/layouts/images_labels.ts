/**
 * The `images/` + `labels/` layout of the Medical Segmentation Decathlon and
 * nnU-Net: `images/<case>.nii.gz` with `labels/<case>.nii.gz`. nnU-Net's
 * channel files `images/<case>_0000.nii.gz`, `<case>_0001.nii.gz`, ... are
 * grouped into one multi-channel case; an MSD 4D image gives one channel per
 * volume along its 4th axis (see `load_case.ts`).
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import type { CaseRef } from "./case_ref.ts";
import { isNiftiName, join, listDir } from "./_files.ts";

/** Options of {@linkcode listImagesLabels}. */
export interface ImagesLabelsOptions {
  /** Image folder name under the root; default `"images"` (nnU-Net: `imagesTr`). */
  readonly imagesDir?: string;
  /** Label folder name under the root; default `"labels"`; `null` for no labels. */
  readonly labelsDir?: string | null;
}

const CHANNEL = /^(.*)_(\d{4})(\.nii(?:\.gz)?)$/i;

/**
 * Lists the cases of an `images/` + `labels/` dataset.
 *
 * @param root Folder holding `images/` and `labels/`.
 * @param options Folder names.
 * @returns One ref per case, natural name order; a case whose label is absent
 *   has it in `missing`.
 * @throws {InputFileError} If `images/` is missing or holds no NIfTI file.
 */
export async function listImagesLabels(
  root: string,
  options: ImagesLabelsOptions = {},
): Promise<CaseRef[]> {
  const imagesDir = join(root, options.imagesDir ?? "images");
  const labelsDirName = options.labelsDir === undefined ? "labels" : options.labelsDir;
  const names = (await listDir(imagesDir, "images folder"))
    .filter((e) => isNiftiName(e.name)) // a folder or broken symlink so named: reading says why
    .map((e) => e.name);
  if (names.length === 0) {
    throw new InputFileError("images folder", imagesDir, "no .nii or .nii.gz files found");
  }
  const labelNames = labelsDirName === null ? new Set<string>() : new Set(
    (await listDir(join(root, labelsDirName), "labels folder")).map((e) => e.name),
  );
  // case name -> channel files (sorted by channel suffix)
  const groups = new Map<string, { ext: string; files: [number, string][] }>();
  for (const name of names) {
    const m = CHANNEL.exec(name);
    const key = m ? `${m[1]}` : name.replace(/\.nii(\.gz)?$/i, "");
    const ext = m ? (m[3] ?? ".nii.gz") : (/\.nii\.gz$/i.test(name) ? ".nii.gz" : ".nii");
    const group = groups.get(key) ?? { ext, files: [] };
    group.files.push([m ? Number(m[2]) : 0, join(imagesDir, name)]);
    groups.set(key, group);
  }
  const refs: CaseRef[] = [];
  for (const [caseId, { ext, files }] of groups) {
    files.sort((a, b) => a[0] - b[0]);
    const labelName = `${caseId}${ext}`;
    const labels = labelsDirName === null ? [] : [join(join(root, labelsDirName), labelName)];
    refs.push({
      caseId,
      format: "nifti",
      images: files.map(([, path]) => path),
      labels,
      missing: labelsDirName !== null && !labelNames.has(labelName) ? labels : [],
    });
  }
  return refs;
}
