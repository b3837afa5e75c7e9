/**
 * Per-case metrics of stacked predictions (AMLP sec. 4.6: every metric per 3D
 * scan or 2D image, then the mean and std over cases), per region and the mean
 * over regions.
 *
 * @module
 */

import {
  type CaseMetrics,
  computeMulticlassMetricsAsync,
  cpuEdt,
  type DistanceTransform,
  type MetricsSummary,
  overlapMetrics,
  type RegionDefinition,
  regionMask,
  summarizeCases,
} from "../metrics/mod.ts";
import type { CaseVolume } from "./stack_cases.ts";

/** One CSV row: a case and a region (or `mean` over regions). */
export type CaseRow = CaseMetrics & { readonly caseId: string; readonly region: string };

/** Summaries by region name; `mean` (multi-region only) summarises the per-case means. */
export type RegionSummaries = Readonly<Record<string, MetricsSummary>>;

/**
 * Computes every metric of every case and region.
 *
 * @param cases The stacked cases.
 * @param regions The regions (one for binary segmentation).
 * @param options HD95's distance transform (default `edt()` in TS; see `selectEdt`).
 * @returns Rows: per case, one per region, plus a `mean` row when there are several
 *   (its `branch` is `both_present` when all regions are, else that of the first region
 *   that is not; branch counts are reported per region).
 */
export async function evaluateCases(
  cases: readonly CaseVolume[],
  regions: readonly RegionDefinition[],
  options: { readonly edt?: DistanceTransform } = {},
): Promise<CaseRow[]> {
  const edt = options.edt ?? cpuEdt;
  const rows: CaseRow[] = [];
  for (const c of cases) {
    const m = await computeMulticlassMetricsAsync(c.gt, c.pred, c.dims, {
      regions,
      spacing: c.spacing,
      edt,
    });
    for (const r of m.regions) {
      const { name, ...metrics } = r;
      rows.push({ caseId: c.caseId, region: name, ...metrics });
    }
    if (regions.length > 1) {
      const branch = m.regions.find((r) => r.branch !== "both_present")?.branch ?? "both_present";
      rows.push({ caseId: c.caseId, region: "mean", ...m.mean, branch });
    }
  }
  return rows;
}

/**
 * Mean/std per region over cases.
 *
 * @param rows What {@linkcode evaluateCases} returned.
 * @returns Summaries by region.
 * @throws {RangeError} If `rows` is empty.
 */
export function summarizeRows(rows: readonly CaseRow[]): RegionSummaries {
  const names = [...new Set(rows.map((r) => r.region))];
  return Object.fromEntries(
    names.map((name) => [name, summarizeCases(rows.filter((r) => r.region === name))]),
  );
}

/**
 * Mean Dice over cases (mean over regions per case): the validation score,
 * without the cost of boundary metrics.
 *
 * @param cases The stacked cases.
 * @param regions The regions.
 * @returns The mean Dice.
 */
export function meanDice(
  cases: readonly CaseVolume[],
  regions: readonly RegionDefinition[],
): number {
  let total = 0;
  for (const c of cases) {
    let sum = 0;
    for (const region of regions) {
      sum += overlapMetrics(regionMask(c.gt, region), regionMask(c.pred, region), c.dims).dsc;
    }
    total += sum / regions.length;
  }
  return total / Math.max(1, cases.length);
}
