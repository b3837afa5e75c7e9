/**
 * The case-folder layout (BraTS style): one folder per patient holding one file
 * per modality and one label file, with the same file names in every folder,
 * e.g. `case_0/FLAIR.nii.gz`, `case_0/GT_W.nii.gz`. `caseId` is the folder name.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import type { CaseRef } from "./case_ref.ts";
import { brokenCase, join, listDir } from "./_files.ts";

/** Options of {@linkcode listCaseFolders}. */
export interface CaseFolderOptions {
  /** File names of the modalities, one channel each, e.g. `["FLAIR.nii.gz"]`. */
  readonly modalities: readonly string[];
  /** File name of the label, e.g. `"GT_W.nii.gz"`; `null` for unlabeled data. */
  readonly label: string | null;
}

/**
 * Lists the case folders under `root`. A folder missing a file is still listed,
 * with the file in `missing`, so that preprocessing reports that case alone.
 *
 * @param root Folder of case folders.
 * @param options Modality and label file names.
 * @returns One ref per sub-folder, natural name order.
 * @throws {RangeError} If `modalities` is empty.
 * @throws {InputFileError} If `root` is missing or holds no sub-folder.
 */
export async function listCaseFolders(
  root: string,
  options: CaseFolderOptions,
): Promise<CaseRef[]> {
  if (options.modalities.length === 0) {
    throw new RangeError(
      "Cannot list case folders: modalities is empty; name at least one file, e.g. FLAIR.nii.gz",
    );
  }
  const refs: CaseRef[] = [];
  for (const entry of await listDir(root, "case folder root")) {
    if (entry.name.startsWith(".")) continue;
    if (entry.broken) {
      refs.push(brokenCase(entry.name, join(root, entry.name), entry.broken, "nifti"));
    }
    if (!entry.isDirectory) continue;
    const dir = join(root, entry.name);
    const present = new Set((await listDir(dir, "case folder")).map((e) => e.name));
    const wanted = [...options.modalities, ...(options.label === null ? [] : [options.label])];
    refs.push({
      caseId: entry.name,
      format: "nifti",
      images: options.modalities.map((m) => join(dir, m)),
      labels: options.label === null ? [] : [join(dir, options.label)],
      missing: wanted.filter((name) => !present.has(name)).map((name) => join(dir, name)),
    });
  }
  if (refs.length === 0) {
    throw new InputFileError("case folder root", root, "no case sub-folders found");
  }
  return refs;
}
