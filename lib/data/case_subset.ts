/**
 * A view of a dataset without some cases (patients), e.g. pretraining data
 * without the validation and test patients of the fine-tuning split.
 *
 * @module
 */

import type { SliceDataset } from "./dataset.ts";

/**
 * The slices of `dataset` whose case is not in `exclude`, in their order.
 *
 * @param dataset The source (not copied: slices are read through).
 * @param exclude Case ids to leave out.
 * @returns The view, and how many cases it keeps and leaves out.
 * @example
 * ```ts
 * import { withoutCases } from "./case_subset.ts";
 * const ds = { size: 1, channels: 1, length: 3,
 *   get: (i: number) => ({ image: Float32Array.of(i), label: null, caseId: `c${i}`, sliceIndex: 0 }) };
 * const view = withoutCases(ds, new Set(["c1"]));
 * if (view.dataset.length !== 2 || view.dataset.get(1).caseId !== "c2") throw new Error();
 * ```
 */
export function withoutCases(
  dataset: SliceDataset,
  exclude: ReadonlySet<string>,
): { dataset: SliceDataset; keptCases: number; leftOutCases: number } {
  const keep: number[] = [];
  const kept = new Set<string>();
  const leftOut = new Set<string>();
  for (let i = 0; i < dataset.length; i++) {
    const id = dataset.get(i).caseId;
    if (exclude.has(id)) leftOut.add(id);
    else {
      keep.push(i);
      kept.add(id);
    }
  }
  return {
    dataset: {
      size: dataset.size,
      channels: dataset.channels,
      length: keep.length,
      get(index: number) {
        const at = keep[index];
        if (at === undefined) {
          throw new RangeError(`Cannot get slice ${index}: index is outside [0, ${keep.length})`);
        }
        return dataset.get(at);
      },
    },
    keptCases: kept.size,
    leftOutCases: leftOut.size,
  };
}
