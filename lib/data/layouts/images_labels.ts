/**
 * The `images/` + `labels/` layout of the Medical Segmentation Decathlon and
 * nnU-Net: `images/<case>.nii.gz` with `labels/<case>.nii.gz`. nnU-Net's
 * channel files `images/<case>_0000.nii.gz`, `<case>_0001.nii.gz`, ... are
 * grouped into one multi-channel case; an MSD 4D image gives one channel per
 * volume along its 4th axis (see `load_case.ts`). With a `dataset.json`
 * (`dataset_json.ts`): MSD's `training` list names the cases, nnU-Net v2's
 * `file_ending` and `channel_names` say which files are images and which
 * channel files each case needs.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import type { CaseRef } from "./case_ref.ts";
import type { DatasetDescription } from "./dataset_json.ts";
import { isNiftiName, join, listDir } from "./_files.ts";

/** Options of {@linkcode listImagesLabels}. */
export interface ImagesLabelsOptions {
  /** Image folder name under the root; default `"images"` (nnU-Net: `imagesTr`). */
  readonly imagesDir?: string;
  /** Label folder name under the root; default `"labels"`; `null` for no labels. */
  readonly labelsDir?: string | null;
  /** The dataset's `dataset.json`, when it has one. */
  readonly description?: DatasetDescription | null;
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
  const described = options.description ?? null;
  if (described && !/^\.nii(\.gz)?$/i.test(described.fileEnding)) {
    throw new InputFileError(
      "dataset.json",
      described.path,
      `"file_ending" "${described.fileEnding}" is not NIfTI (.nii or .nii.gz)`,
    );
  }
  if (described && described.training.length > 0) {
    return await trainingCases(root, described, labelsDirName !== null);
  }
  const ending = described?.fileEnding;
  const names = (await listDir(imagesDir, "images folder"))
    // a folder or broken symlink so named stays: reading it says why
    .filter((e) => isNiftiName(e.name) && (!ending || e.name.endsWith(ending)))
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
    const missing = labelsDirName !== null && !labelNames.has(labelName) ? labels : [];
    // nnU-Net v2: every channel of channel_names, as <case>_0000, <case>_0001, ...
    const channels = described?.format === "nnunet-v2" ? described.channels.length : 0;
    const absent = Array.from({ length: channels }, (_, c) => c)
      .filter((c) => !files.some(([k]) => k === c))
      .map((c) => join(imagesDir, `${caseId}_${String(c).padStart(4, "0")}${ext}`));
    refs.push({
      caseId,
      format: "nifti",
      images: files.map(([, path]) => path),
      labels,
      missing: [...absent, ...missing],
    });
  }
  return refs;
}

/** MSD: the cases of `dataset.json`'s `training` list, in its order. */
async function trainingCases(
  root: string,
  described: DatasetDescription,
  withLabels: boolean,
): Promise<CaseRef[]> {
  const exists = (path: string) => Deno.stat(path).then((s) => s.isFile, () => false);
  const refs: CaseRef[] = [];
  for (const pair of described.training) {
    const image = join(root, pair.image);
    const labels = withLabels ? [join(root, pair.label)] : [];
    const missing = [];
    for (const path of [image, ...labels]) if (!(await exists(path))) missing.push(path);
    const name = pair.image.split("/").pop() ?? pair.image;
    const caseId = name.endsWith(described.fileEnding)
      ? name.slice(0, -described.fileEnding.length)
      : name;
    refs.push({ caseId, format: "nifti", images: [image], labels, missing });
  }
  return refs;
}
