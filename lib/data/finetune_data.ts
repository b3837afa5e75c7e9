/**
 * The data of a fine-tuning run: the labelled dataset `config.data` names,
 * its patient-level splits (8:1:1, nested label fractions) and the slice
 * indices of each part. Training uses only the label fraction's patients;
 * validation the val split; evaluation the test split.
 *
 * Training and validation read the slices the cache's mode selected (in
 * `finetune` mode: slices containing the object); the test part holds every
 * slice of each test patient (`evalOnly` ones included), so that 3D metrics
 * cover the whole volume and false positives on slices without the object count.
 *
 * @module
 */

import type { SliceDataset } from "./dataset.ts";
import type { SliceCacheManifest } from "./slice_cache.ts";
import { makeSplits, type Splits } from "./splits.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { openDataset } from "./open_dataset.ts";

/** A dataset that may carry a slice-cache manifest (3D grid information). */
export type SegDataset = SliceDataset & { readonly manifest?: SliceCacheManifest };

/** The opened data of a run. */
export interface FinetuneData {
  readonly dataset: SegDataset;
  readonly splits: Splits;
  /** Slice indices of the label fraction's patients. */
  readonly train: number[];
  readonly val: number[];
  /** Every slice of the test patients, `evalOnly` ones included. */
  readonly test: number[];
}

/**
 * The percent key of a label fraction in `Splits.labelFractions` (0.1 -> "10").
 *
 * @param fraction A label fraction.
 * @returns Its key.
 */
export function fractionKey(fraction: number): string {
  return String(Math.round(fraction * 100));
}

/**
 * Opens the data and splits it (or reuses `splits`, e.g. a run's `splits.json`).
 *
 * @param config The fine-tuning config.
 * @param options A dataset to use instead of opening one, and saved splits.
 * @returns Dataset, splits and slice indices per part.
 * @throws {RangeError} If the dataset has no labelled slices or a part is empty.
 */
export async function openFinetuneData(
  config: FinetuneConfig,
  options: { readonly dataset?: SegDataset; readonly splits?: Splits } = {},
): Promise<FinetuneData> {
  const dataset = options.dataset ?? await openDataset(config, { slices: "all" });
  const byCase = new Map<string, number[]>(); // selected labelled slices: train and val
  const wholeCase = new Map<string, number[]>(); // every labelled slice: test
  for (let i = 0; i < dataset.length; i++) {
    const slice = dataset.get(i);
    if (slice.label === null) continue;
    if (!slice.evalOnly) append(byCase, slice.caseId, i);
    append(wholeCase, slice.caseId, i);
  }
  if (byCase.size === 0) {
    throw new RangeError("Cannot fine-tune: the dataset has no labelled slices");
  }
  const splits = options.splits ?? makeSplits([...byCase.keys()], { seed: config.data.splitSeed });
  const key = fractionKey(config.data.labelFraction);
  const labelled = splits.labelFractions[key];
  if (!labelled) {
    throw new RangeError(`Cannot fine-tune: the splits have no label fraction "${key}"%`);
  }
  const indices = (ids: readonly string[], from = byCase) =>
    ids.flatMap((id) => from.get(id) ?? []);
  const data = {
    dataset,
    splits,
    train: indices(labelled),
    val: indices(splits.val),
    test: indices(splits.test, wholeCase),
  };
  for (const part of ["train", "val", "test"] as const) {
    if (data[part].length === 0) {
      throw new RangeError(
        `Cannot fine-tune: the ${part} part is empty (${byCase.size} labelled patients)`,
      );
    }
  }
  return data;
}

function append(map: Map<string, number[]>, key: string, value: number): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
