import type { CaseMetrics } from "./case_metrics.ts";
import { EMPTY_BRANCHES, type EmptyBranch } from "./empty_policy.ts";

/** Mean, standard deviation and range of one metric over cases. */
export interface MetricStats {
  readonly mean: number;
  /** Standard deviation with the chosen `ddof` (default 0, numpy's `np.std`). */
  readonly std: number;
  readonly min: number;
  readonly max: number;
  /** Number of cases the stats are over. */
  readonly n: number;
}

/** Per-metric stats over all cases plus how many cases hit each empty-mask branch. */
export interface MetricsSummary {
  /** Number of cases. */
  readonly n: number;
  readonly dsc: MetricStats;
  readonly sen: MetricStats;
  readonly ppv: MetricStats;
  readonly biou: MetricStats;
  /** Over every case, sentinel values (one side empty) included. */
  readonly hd95: MetricStats;
  /** Over cases whose HD95 was not the one-side-empty sentinel; null if there are none. */
  readonly hd95NoSentinel: MetricStats | null;
  /** Count of cases per branch; sums to `n`. */
  readonly branches: Readonly<Record<EmptyBranch, number>>;
}

/** Options for {@linkcode summarizeCases}. */
export interface SummaryOptions {
  /** Delta degrees of freedom of the std: 0 (default, population, as `np.std`) or 1 (sample). */
  readonly ddof?: 0 | 1;
}

function stats(values: readonly number[], ddof: number): MetricStats {
  const n = values.length;
  const mean = values.reduce((s, v) => s + v, 0) / n;
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return {
    mean,
    std: n - ddof > 0 ? Math.sqrt(ss / (n - ddof)) : 0,
    min: Math.min(...values),
    max: Math.max(...values),
    n,
  };
}

/**
 * Averages per-scan metrics into one summary (AMLP sec. 4.6: compute per 3D scan, then
 * average). Every case is included in every mean; the branch counts and
 * `hd95NoSentinel` show how much the empty-mask policy contributed. With `ddof: 1`
 * and a single case, std is reported as 0.
 *
 * @param cases per-case metrics, e.g. from `computeCaseMetrics`.
 * @param options standard-deviation convention.
 * @returns the summary.
 * @throws {RangeError} if `cases` is empty.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { summarizeCases } from "./summary.ts";
 * const s = summarizeCases([
 *   { dsc: 1, sen: 1, ppv: 1, biou: 1, hd95: 0, branch: "both_present" },
 *   { dsc: 0.5, sen: 1, ppv: 0.25, biou: 0, hd95: 10, branch: "gt_empty" },
 * ]);
 * assert.equal(s.dsc.mean, 0.75);
 * assert.equal(s.dsc.std, 0.25);
 * assert.equal(s.branches.gt_empty, 1);
 * assert.equal(s.hd95NoSentinel?.mean, 0);
 * ```
 */
export function summarizeCases(
  cases: readonly CaseMetrics[],
  options: SummaryOptions = {},
): MetricsSummary {
  if (cases.length === 0) throw new RangeError("Cannot summarize metrics: no cases");
  const ddof = options.ddof ?? 0;
  const branches = Object.fromEntries(EMPTY_BRANCHES.map((b) => [b, 0])) as Record<
    EmptyBranch,
    number
  >;
  for (const c of cases) branches[c.branch]++;
  const col = (key: "dsc" | "sen" | "ppv" | "biou" | "hd95"): number[] => cases.map((c) => c[key]);
  const measured = cases
    .filter((c) => c.branch === "both_present" || c.branch === "both_empty")
    .map((c) => c.hd95);
  return {
    n: cases.length,
    dsc: stats(col("dsc"), ddof),
    sen: stats(col("sen"), ddof),
    ppv: stats(col("ppv"), ddof),
    biou: stats(col("biou"), ddof),
    hd95: stats(col("hd95"), ddof),
    hd95NoSentinel: measured.length > 0 ? stats(measured, ddof) : null,
    branches,
  };
}
