/**
 * Puts per-slice predictions back together per case (AMLP sec. 4.6: metrics
 * per 3D scan): slices of a 3D case (slice cache of a volume) are placed at
 * their z index in a `[size, size, totalSlices]` volume on the cache grid.
 * Evaluation passes every z slice and asks for `wholeVolumes`; validation
 * during fine-tuning passes the selected slices only, and the z planes not
 * passed are zero in both ground truth and prediction. A 2D image (phantom,
 * BUSI) is its own case.
 *
 * Layout: x fastest, `dims = [X, Y, Z] = [size, size, Z]`; slice pixel
 * (row r, column c) is `x = c, y = r`. This is the metrics' convention.
 *
 * @module
 */

import type { SliceDataset } from "../data/dataset.ts";
import type { CacheCase, SliceCacheManifest } from "../data/slice_cache.ts";

/** One evaluated case on the cache grid. */
export interface CaseVolume {
  readonly caseId: string;
  /** `[X, Y]` (2D) or `[X, Y, Z]` (3D). */
  readonly dims: readonly number[];
  /** Voxel size in mm, same order as `dims`. */
  readonly spacing: readonly number[];
  /** Ground-truth labels. */
  readonly gt: Uint8Array;
  /** Predicted labels. */
  readonly pred: Uint8Array;
  /** First image channel, same layout. */
  readonly image: Float32Array;
  /** The cache's entry for this case, when the data is a slice cache. */
  readonly cacheCase?: CacheCase;
}

/**
 * Groups slices by case and stacks 3D cases by z.
 *
 * @param dataset The slices (with `manifest` for a slice cache).
 * @param indices The slices that were predicted.
 * @param predictions `[indices.length, size, size]` labels in the order of `indices`.
 * @param options `wholeVolumes`: require every z slice of each 3D case (evaluation).
 * @returns One volume per case, in order of first appearance.
 * @throws {RangeError} If a slice's z index is outside its case, or two slices share
 *   one, or (`wholeVolumes`) a 3D case misses a slice.
 */
export function stackCases(
  dataset: SliceDataset & { readonly manifest?: SliceCacheManifest },
  indices: readonly number[],
  predictions: Uint8Array,
  options: { readonly wholeVolumes?: boolean } = {},
): CaseVolume[] {
  const size = dataset.size;
  const plane = size * size;
  const cases = new Map<string, number[]>(); // caseId -> positions in `indices`
  indices.forEach((index, pos) => {
    const id = dataset.get(index).caseId;
    const list = cases.get(id) ?? [];
    list.push(pos);
    cases.set(id, list);
  });
  const entries = new Map((dataset.manifest?.cases ?? []).map((c) => [c.caseId, c]));
  const out: CaseVolume[] = [];
  for (const [caseId, positions] of cases) {
    const entry = entries.get(caseId);
    const is3d = entry?.grid.kind === "volume";
    const depth = is3d ? entry.totalSlices : 1;
    if (!is3d && positions.length > 1) {
      throw new RangeError(
        `Cannot stack case "${caseId}": ${positions.length} slices but it is not a volume`,
      );
    }
    const gt = new Uint8Array(plane * depth);
    const pred = new Uint8Array(plane * depth);
    const image = new Float32Array(plane * depth);
    const seen = new Set<number>();
    for (const pos of positions) {
      const slice = dataset.get(indices[pos] as number);
      const z = is3d ? slice.sliceIndex : 0;
      if (!Number.isInteger(z) || z < 0 || z >= depth || seen.has(z)) {
        throw new RangeError(
          `Cannot stack case "${caseId}": slice z ${z} is outside [0, ${depth}) or repeated`,
        );
      }
      seen.add(z);
      if (slice.label) gt.set(slice.label, z * plane);
      pred.set(predictions.subarray(pos * plane, (pos + 1) * plane), z * plane);
      for (let i = 0; i < plane; i++) {
        image[z * plane + i] = slice.image[i * dataset.channels] as number;
      }
    }
    if (options.wholeVolumes && seen.size < depth) {
      throw new RangeError(
        `Cannot stack case "${caseId}" whole: ${seen.size} of its ${depth} slices were predicted; 3D metrics need every slice (open the cache with slices: "all")`,
      );
    }
    out.push({
      caseId,
      dims: is3d ? [size, size, depth] : [size, size],
      spacing: caseSpacing(entry, size, is3d),
      gt,
      pred,
      image,
      ...(entry ? { cacheCase: entry } : {}),
    });
  }
  return out;
}

/** mm per cache-grid voxel: resampled spacing (3D), source spacing times resize factor (2D), else 1. */
function caseSpacing(entry: CacheCase | undefined, size: number, is3d: boolean): number[] {
  if (!entry) return is3d ? [1, 1, 1] : [1, 1];
  const g = entry.grid;
  const sp = (i: number) => (g.sourceSpacing[i] ?? 1);
  if (g.kind === "volume") return [0, 1, 2].map((i) => sp(i) * (g.scale[i] ?? 1));
  const [w = size, h = size] = g.resizedFrom;
  return [sp(0) * w / size, sp(1) * h / size];
}
