/**
 * Patient-level train/val/test splits and nested label fractions, saved as
 * JSON so that every run of an experiment sees the same patients.
 *
 * Splits are by `caseId` (patient), so no patient's slices are in two splits.
 * Label fractions (AMLP: 5% and 10% labels; also 50% and 100%) are prefixes
 * of one seeded shuffle of the training patients, hence nested: 5% ⊂ 10% ⊂ 50% ⊂ 100%.
 *
 * @module
 */

import { deriveSeed, makeRng, shuffle } from "../random.ts";

/** Splits of a dataset's patients. */
export interface Splits {
  readonly seed: number;
  /** `[train, val, test]` weights, e.g. `[8, 1, 1]`. */
  readonly ratios: readonly [number, number, number];
  readonly train: readonly string[];
  readonly val: readonly string[];
  readonly test: readonly string[];
  /** Percent of training patients (as a string key, e.g. `"5"`) -> those patients. */
  readonly labelFractions: Readonly<Record<string, readonly string[]>>;
}

/** Options of {@linkcode makeSplits}. */
export interface SplitOptions {
  readonly seed: number;
  /** Default `[8, 1, 1]`. */
  readonly ratios?: readonly [number, number, number];
  /** Percentages of training patients with labels; default `[5, 10, 50, 100]`. */
  readonly labelPercents?: readonly number[];
}

/**
 * Splits patients into train/val/test and nested labeled subsets.
 *
 * Sizes: `val = round(n * v / sum)` and `test = round(n * t / sum)`, each at
 * least 1 when `n >= 3` and its weight is positive; train gets the rest. A label
 * fraction `p` holds `max(1, round(p / 100 * train))` patients.
 *
 * @param caseIds Patient ids (duplicates are merged; order does not matter).
 * @param options Seed, ratios and label percentages.
 * @returns The splits, each list in shuffled order.
 * @throws {RangeError} If there are no patients, a ratio is negative or all are 0,
 *   or a percentage is outside (0, 100].
 * @example
 * ```ts
 * import { makeSplits } from "./splits.ts";
 * const ids = Array.from({ length: 20 }, (_, i) => `case_${i}`);
 * const s = makeSplits(ids, { seed: 1 });
 * if (s.train.length !== 16 || s.val.length !== 2 || s.test.length !== 2) throw new Error("bad sizes");
 * ```
 */
export function makeSplits(caseIds: readonly string[], options: SplitOptions): Splits {
  const ratios = options.ratios ?? [8, 1, 1];
  const percents = options.labelPercents ?? [5, 10, 50, 100];
  const ids = [...new Set(caseIds)].sort();
  if (ids.length === 0) throw new RangeError("Cannot split patients: the list is empty");
  const total = ratios[0] + ratios[1] + ratios[2];
  if (ratios.some((r) => !(r >= 0)) || !(total > 0)) {
    throw new RangeError(
      `Cannot split patients: ratios [${ratios.join(", ")}] must be >= 0 and not all 0`,
    );
  }
  for (const p of percents) {
    if (!(p > 0 && p <= 100)) {
      throw new RangeError(`Cannot make label fraction ${p}%: it is outside (0, 100]`);
    }
  }
  const n = ids.length;
  const size = (
    w: number,
  ) => (w > 0
    ? (n >= 3 ? Math.max(1, Math.round((n * w) / total)) : Math.round((n * w) / total))
    : 0);
  const nVal = size(ratios[1]);
  const nTest = Math.min(n - nVal, size(ratios[2]));
  shuffle(ids, makeRng(deriveSeed(options.seed, "splits")));
  const test = ids.slice(0, nTest);
  const val = ids.slice(nTest, nTest + nVal);
  const train = ids.slice(nTest + nVal);
  const order = shuffle([...train], makeRng(deriveSeed(options.seed, "label-fractions")));
  const labelFractions: Record<string, string[]> = {};
  for (const p of [...percents].sort((a, b) => a - b)) {
    const k = train.length === 0
      ? 0
      : Math.min(train.length, Math.max(1, Math.round((p / 100) * train.length)));
    labelFractions[String(p)] = order.slice(0, k);
  }
  return { seed: options.seed, ratios: [...ratios], train, val, test, labelFractions };
}

/**
 * Writes splits as pretty JSON, atomically (temp file + rename).
 *
 * @param path Destination `.json`.
 * @param splits The splits.
 * @returns Nothing; resolves when the file is in place.
 */
export async function saveSplits(path: string, splits: Splits): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(splits, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * Reads splits written by {@linkcode saveSplits}.
 *
 * @param path The `.json` file.
 * @returns The splits.
 * @throws {TypeError} If the file does not hold train/val/test lists.
 */
export async function loadSplits(path: string): Promise<Splits> {
  const value = JSON.parse(await Deno.readTextFile(path)) as Partial<Splits>;
  for (const key of ["train", "val", "test"] as const) {
    if (!Array.isArray(value[key])) {
      throw new TypeError(`Cannot load splits "${path}": "${key}" is not a list`);
    }
  }
  return value as Splits;
}
