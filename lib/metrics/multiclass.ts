import {
  type CaseMetrics,
  type CaseMetricsOptions,
  computeCaseMetrics,
  computeCaseMetricsAsync,
} from "./case_metrics.ts";
import type { DistanceTransform } from "./hd95.ts";
import { checkPair } from "../volume.ts";

/**
 * One evaluated region of a label map. Give exactly one of:
 * - `labels`: the region is every voxel whose label is in the list (BraTS tumour core = [1, 4]);
 * - `minLabel`: the region is every voxel with label >= minLabel (whole foreground = 1).
 */
export interface RegionDefinition {
  /** Name used in reports. */
  readonly name: string;
  /** Labels that belong to the region. */
  readonly labels?: readonly number[];
  /** Lowest label that belongs to the region. */
  readonly minLabel?: number;
}

/** Medical Segmentation Decathlon Task04: 1 = anterior, 2 = posterior hippocampus. */
export const HIPPOCAMPUS_REGIONS: readonly RegionDefinition[] = [
  { name: "anterior", labels: [1] },
  { name: "posterior", labels: [2] },
];

/** BraTS evaluation regions on the 0/1/2/4 label map: whole tumour, tumour core, enhancing tumour. */
export const BRATS_REGIONS: readonly RegionDefinition[] = [
  { name: "WT", labels: [1, 2, 4] },
  { name: "TC", labels: [1, 4] },
  { name: "ET", labels: [4] },
];

/** Every non-zero label as one region (BraTS `GT_W` whole-tumour masks, BUSI lesions). */
export const FOREGROUND_REGION: readonly RegionDefinition[] = [{ name: "foreground", minLabel: 1 }];

/** Per-region metrics of one scan and their unweighted mean over regions. */
export interface MulticlassMetrics {
  /** One entry per region, in the order given. */
  readonly regions: ReadonlyArray<CaseMetrics & { readonly name: string }>;
  /** Mean over regions of each metric (sentinel HD95 values included, as counted by `branch`). */
  readonly mean: Omit<CaseMetrics, "branch">;
}

/** Options for {@linkcode computeMulticlassMetrics}. */
export interface MulticlassOptions extends CaseMetricsOptions {
  /** Regions to evaluate (required). */
  readonly regions: readonly RegionDefinition[];
  /** Voxel size in mm per axis (default 1 mm). */
  readonly spacing?: readonly number[];
}

/**
 * Binary mask of a region: 1 where the label is in `region.labels` (or >= `minLabel`).
 * Labels are compared after `Math.round`, so float-typed label maps (some NIfTI files) work.
 *
 * @param labels label map.
 * @param region the region definition.
 * @returns a new 0/1 mask.
 * @throws {TypeError} unless exactly one of `labels` and `minLabel` is given.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { regionMask } from "./multiclass.ts";
 * assert.deepEqual([...regionMask([0, 1, 2, 4], { name: "TC", labels: [1, 4] })], [0, 1, 0, 1]);
 * ```
 */
export function regionMask(labels: ArrayLike<number>, region: RegionDefinition): Uint8Array {
  const hasList = region.labels !== undefined;
  const hasMin = region.minLabel !== undefined;
  if (hasList === hasMin) {
    throw new TypeError(
      `Cannot build region "${region.name}": give exactly one of labels and minLabel`,
    );
  }
  const out = new Uint8Array(labels.length);
  if (region.labels !== undefined) {
    const set = new Set(region.labels);
    for (let i = 0; i < labels.length; i++) out[i] = set.has(Math.round(labels[i]!)) ? 1 : 0;
  } else {
    const min = region.minLabel!;
    for (let i = 0; i < labels.length; i++) out[i] = Math.round(labels[i]!) >= min ? 1 : 0;
  }
  return out;
}

/**
 * Per-region DSC/Sen/PPV/bIoU/HD95 of two label maps, plus the mean over regions.
 *
 * @param gt ground-truth label map, layout `x + X * (y + Y * z)`.
 * @param pred predicted label map, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options regions, spacing, bIoU mode.
 * @returns per-region metrics (each with its empty-mask branch) and their mean.
 * @throws {RangeError} if shapes disagree or `regions` is empty.
 * @throws {TypeError} if a region definition is malformed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { computeMulticlassMetrics, HIPPOCAMPUS_REGIONS } from "./multiclass.ts";
 * const gt = Uint8Array.of(1, 1, 2, 2);
 * const m = computeMulticlassMetrics(gt, gt, [4, 1], { regions: HIPPOCAMPUS_REGIONS });
 * assert.equal(m.mean.dsc, 1);
 * assert.equal(m.regions[1]?.name, "posterior");
 * ```
 */
export function computeMulticlassMetrics(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  dims: readonly number[],
  options: MulticlassOptions,
): MulticlassMetrics {
  const { regions, spacing, ...caseOptions } = checkRegions(gt, pred, dims, options);
  return withMean(regions.map((region) => ({
    name: region.name,
    ...computeCaseMetrics(
      regionMask(gt, region),
      regionMask(pred, region),
      dims,
      spacing,
      caseOptions,
    ),
  })));
}

/**
 * {@linkcode computeMulticlassMetrics} with HD95's distance transforms computed by
 * `options.edt` (e.g. `edtGpu`).
 *
 * @param gt ground-truth label map, layout `x + X * (y + Y * z)`.
 * @param pred predicted label map, same size.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options regions, spacing, bIoU mode and the distance transform.
 * @returns per-region metrics (each with its empty-mask branch) and their mean.
 * @throws {RangeError} if shapes disagree or `regions` is empty.
 * @throws {TypeError} if a region definition is malformed.
 */
export async function computeMulticlassMetricsAsync(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  dims: readonly number[],
  options: MulticlassOptions & { readonly edt: DistanceTransform },
): Promise<MulticlassMetrics> {
  const { regions, spacing, ...caseOptions } = checkRegions(gt, pred, dims, options);
  const results = [];
  for (const region of regions) {
    results.push({
      name: region.name,
      ...await computeCaseMetricsAsync(
        regionMask(gt, region),
        regionMask(pred, region),
        dims,
        spacing,
        caseOptions,
      ),
    });
  }
  return withMean(results);
}

function checkRegions<T extends MulticlassOptions>(
  gt: ArrayLike<number>,
  pred: ArrayLike<number>,
  dims: readonly number[],
  options: T,
): T {
  checkPair(gt, pred, dims, "compute multiclass metrics");
  if (options.regions.length === 0) {
    throw new RangeError("Cannot compute multiclass metrics: regions is empty");
  }
  return options;
}

/** The per-region results and their unweighted mean. */
function withMean(results: MulticlassMetrics["regions"]): MulticlassMetrics {
  const avg = (key: "dsc" | "sen" | "ppv" | "biou" | "hd95"): number =>
    results.reduce((s, r) => s + r[key], 0) / results.length;
  return {
    regions: results,
    mean: {
      dsc: avg("dsc"),
      sen: avg("sen"),
      ppv: avg("ppv"),
      biou: avg("biou"),
      hd95: avg("hd95"),
    },
  };
}
