/**
 * `dataset.json`, the description beside an `images/` + `labels/` dataset, in
 * its two common forms:
 *
 * - Medical Segmentation Decathlon (MSD, nnU-Net v1): `modality` (`{"0":
 *   "FLAIR", ...}`, the volumes along a 4D image's 4th axis), `labels`
 *   (`{"0": "background", "1": "edema", ...}`), `training` (`[{"image":
 *   "./imagesTr/x.nii.gz", "label": "./labelsTr/x.nii.gz"}, ...]`)
 * - nnU-Net v2: `channel_names` (`{"0": "T2", "1": "ADC"}`, the files
 *   `<case>_0000`, `<case>_0001`, ...), `labels` (`{"background": 0, "PZ": 1}`;
 *   a region is a list of values), `file_ending` (`".nii.gz"`)
 *
 * Both become one {@linkcode DatasetDescription}: channel names in channel
 * order, label names by value, the file ending, and the MSD training pairs.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import { join } from "./_files.ts";

/** The file name looked for at a dataset's root. */
export const DATASET_JSON = "dataset.json";

/** A label (one value) or an nnU-Net v2 region (several values). */
export interface LabelName {
  readonly name: string;
  readonly values: readonly number[];
}

/** What medmim takes from a `dataset.json`. */
export interface DatasetDescription {
  /** The file read. */
  readonly path: string;
  /** `msd` (v1: `modality`, value -> name labels) or `nnunet-v2` (`channel_names`, name -> value). */
  readonly format: "msd" | "nnunet-v2";
  /** The dataset's `name`, or "". */
  readonly name: string;
  /** Channel names in channel order (index 0 first). */
  readonly channels: readonly string[];
  /** Labels and regions, by increasing first value. */
  readonly labels: readonly LabelName[];
  /** Image and label file ending, e.g. `.nii.gz`. */
  readonly fileEnding: string;
  /** MSD's training pairs, paths relative to the dataset root; empty for nnU-Net v2. */
  readonly training: readonly { readonly image: string; readonly label: string }[];
}

/**
 * Reads `<root>/dataset.json` when it exists.
 *
 * @param root The dataset folder.
 * @returns The description, or null when there is no `dataset.json`.
 * @throws {InputFileError} If the file is not JSON or lacks what its form needs
 *   (the key named).
 * @example
 * ```ts ignore
 * import { readDatasetJson } from "./dataset_json.ts";
 * const d = await readDatasetJson("../shared/data/Task04_Hippocampus");
 * console.log(d?.labels.map((l) => `${l.values} ${l.name}`));
 * ```
 */
export async function readDatasetJson(root: string): Promise<DatasetDescription | null> {
  const path = join(root, DATASET_JSON);
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputFileError("dataset.json", path, `is not JSON (${(error as Error).message})`);
  }
  return parseDatasetJson(value, path);
}

/**
 * Interprets a parsed `dataset.json`.
 *
 * @param value The parsed JSON.
 * @param path For messages.
 * @returns The description.
 * @throws {InputFileError} Naming the key that is missing or malformed.
 * @example
 * ```ts
 * import { parseDatasetJson } from "./dataset_json.ts";
 * const d = parseDatasetJson(
 *   { channel_names: { "0": "T2" }, labels: { background: 0, PZ: 1 }, file_ending: ".nii.gz" },
 *   "dataset.json",
 * );
 * if (d.labels[1]?.name !== "PZ" || d.channels[0] !== "T2") throw new Error();
 * ```
 */
export function parseDatasetJson(value: unknown, path: string): DatasetDescription {
  const bad = (key: string, why: string) =>
    new InputFileError("dataset.json", path, `"${key}" ${why}`);
  if (!isRecord(value)) throw new InputFileError("dataset.json", path, "is not a JSON object");
  const v2 = "channel_names" in value;
  const channelKey = v2 ? "channel_names" : "modality";
  const channels = byIndex(value[channelKey], channelKey, bad);
  if (!isRecord(value.labels)) throw bad("labels", "is missing or not an object");
  const labels: LabelName[] = [];
  for (const [key, entry] of Object.entries(value.labels)) {
    // v2: name -> value (or list of values); MSD: value -> name
    const [name, raw] = v2 ? [key, entry] : [entry, Number(key)];
    const values = Array.isArray(raw) ? raw : [raw];
    if (
      typeof name !== "string" || values.length === 0 ||
      !values.every((x) => Number.isInteger(x) && x >= 0 && x <= 255)
    ) {
      throw bad("labels", `entry ${JSON.stringify(key)}: ${JSON.stringify(entry)} is not a label`);
    }
    labels.push({ name, values: values as number[] });
  }
  labels.sort((a, b) => a.values[0]! - b.values[0]!);
  const ending = value.file_ending ?? ".nii.gz";
  if (typeof ending !== "string" || !ending.startsWith(".")) {
    throw bad("file_ending", `is ${JSON.stringify(ending)}, not a file ending such as ".nii.gz"`);
  }
  const training: { image: string; label: string }[] = [];
  if (!v2 && value.training !== undefined) {
    if (!Array.isArray(value.training)) throw bad("training", "is not a list");
    for (const [i, pair] of value.training.entries()) {
      if (!isRecord(pair) || typeof pair.image !== "string" || typeof pair.label !== "string") {
        throw bad("training", `item ${i} has no "image" and "label" paths`);
      }
      training.push({ image: relative(pair.image), label: relative(pair.label) });
    }
  }
  return {
    path,
    format: v2 ? "nnunet-v2" : "msd",
    name: typeof value.name === "string" ? value.name : "",
    channels,
    labels,
    fileEnding: ending,
    training,
  };
}

/**
 * The name of class `value` (a label with exactly that one value).
 *
 * @param description A description, or null.
 * @param value A class value.
 * @returns Its name, or undefined.
 */
export function labelName(
  description: Pick<DatasetDescription, "labels"> | null | undefined,
  value: number,
): string | undefined {
  return description?.labels.find((l) => l.values.length === 1 && l.values[0] === value)?.name;
}

/**
 * What a slice cache's manifest keeps of a description (`settings.dataset`):
 * all but the training list.
 *
 * @param description The description.
 * @returns The description without `training`.
 */
export function datasetSummary(
  description: DatasetDescription,
): Omit<DatasetDescription, "training"> {
  const { training: _training, ...rest } = description;
  return rest;
}

/** `{"0": a, "1": b}` -> `[a, b]`, requiring the indices 0..n-1. */
function byIndex(
  value: unknown,
  key: string,
  bad: (key: string, why: string) => InputFileError,
): string[] {
  if (!isRecord(value)) throw bad(key, "is missing or not an object");
  const out: string[] = [];
  const entries = Object.entries(value);
  for (let i = 0; i < entries.length; i++) {
    const name = value[String(i)];
    if (typeof name !== "string") {
      throw bad(key, `has no channel "${i}" (keys must be 0..${entries.length - 1})`);
    }
    out.push(name);
  }
  if (out.length === 0) throw bad(key, "is empty");
  return out;
}

function relative(path: string): string {
  return path.replace(/^\.\//, "");
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
