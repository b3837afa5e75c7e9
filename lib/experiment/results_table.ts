/**
 * The grid's results in the papers' shape (MPS-AMS Table 1, AMLP Table 3):
 * rows = pretraining rows, columns = label fraction x metric (DSC, PPV, Sen,
 * bIoU, HD95), each entry the mean +- sample standard deviation over seeds of
 * the cells' test means, the best entry per column in bold, and the number of
 * seeds per row and fraction. Written as markdown, CSV and JSON.
 *
 * @module
 */

import type { MetricsSummary } from "../metrics/mod.ts";

/** The table's metrics, in the papers' order. */
export const TABLE_METRICS = [
  { key: "dsc", label: "DSC", unit: "%", higherIsBetter: true },
  { key: "ppv", label: "PPV", unit: "%", higherIsBetter: true },
  { key: "sen", label: "Sen", unit: "%", higherIsBetter: true },
  { key: "biou", label: "bIoU", unit: "%", higherIsBetter: true },
  { key: "hd95", label: "HD95", unit: "mm", higherIsBetter: false },
] as const;

/** A metric key of the table. */
export type TableMetric = (typeof TABLE_METRICS)[number]["key"];

/** One finished cell's result. */
export interface CellResult {
  readonly row: string;
  readonly fraction: number;
  readonly seed: number;
  readonly summary: MetricsSummary;
}

/** One table entry: the per-seed values and their statistics. */
export interface TableEntry {
  /** Test means of the finished seeds, in seed order. */
  readonly values: readonly number[];
  readonly seeds: readonly number[];
  readonly n: number;
  /** Null when n = 0. */
  readonly mean: number | null;
  /** Sample standard deviation (n - 1); null when n < 2. */
  readonly std: number | null;
  /** Best of its column (ties all bold). */
  readonly best: boolean;
}

/** The whole table. */
export interface ResultsTable {
  readonly rows: readonly string[];
  readonly fractions: readonly number[];
  readonly metrics: readonly TableMetric[];
  /** `entries[row][fractionKey][metric]`, fraction key as `"10"` (percent). */
  readonly entries: Readonly<
    Record<string, Readonly<Record<string, Readonly<Record<TableMetric, TableEntry>>>>>
  >;
}

/**
 * The percent key of a fraction (`0.05` -> `"5"`).
 *
 * @param fraction A label fraction.
 * @returns Its key.
 */
export function percentKey(fraction: number): string {
  return String(Math.round(1000 * fraction) / 10);
}

/**
 * Builds the table from the finished cells.
 *
 * @param rows Row names in table order.
 * @param fractions Label fractions in column order.
 * @param results Finished cells (any subset of the grid).
 * @returns The table; rows and fractions without results have n = 0.
 * @example
 * ```ts
 * import { buildResultsTable } from "./results_table.ts";
 * const s = (d: number) => ({ n: 1, dsc: { mean: d }, ppv: { mean: d }, sen: { mean: d },
 *   biou: { mean: d }, hd95: { mean: 1 - d } }) as never;
 * const t = buildResultsTable(["a", "b"], [0.1], [
 *   { row: "a", fraction: 0.1, seed: 0, summary: s(0.5) },
 *   { row: "a", fraction: 0.1, seed: 1, summary: s(0.7) },
 *   { row: "b", fraction: 0.1, seed: 0, summary: s(0.4) }]);
 * const a = t.entries.a!["10"]!.dsc;
 * if (a.mean !== 0.6 || Math.abs(a.std! - Math.SQRT1_2 * 0.2) > 1e-12 || !a.best) throw new Error();
 * ```
 */
export function buildResultsTable(
  rows: readonly string[],
  fractions: readonly number[],
  results: readonly CellResult[],
): ResultsTable {
  const metrics = TABLE_METRICS.map((m) => m.key);
  const entries: Record<string, Record<string, Record<TableMetric, TableEntry>>> = {};
  for (const row of rows) {
    entries[row] = {};
    for (const fraction of fractions) {
      const cells = results.filter((r) => r.row === row && r.fraction === fraction)
        .sort((a, b) => a.seed - b.seed);
      const byMetric = {} as Record<TableMetric, TableEntry>;
      for (const m of metrics) {
        const values = cells.map((c) => c.summary[m].mean);
        byMetric[m] = { values, seeds: cells.map((c) => c.seed), ...stats(values), best: false };
      }
      entries[row]![percentKey(fraction)] = byMetric;
    }
  }
  for (const fraction of fractions) {
    for (const m of TABLE_METRICS) {
      const means = rows.map((r) => entries[r]![percentKey(fraction)]![m.key].mean)
        .filter((v): v is number => v !== null);
      if (means.length === 0) continue;
      const best = m.higherIsBetter ? Math.max(...means) : Math.min(...means);
      for (const r of rows) {
        const e = entries[r]![percentKey(fraction)]![m.key];
        if (e.mean === best) entries[r]![percentKey(fraction)]![m.key] = { ...e, best: true };
      }
    }
  }
  return { rows, fractions, metrics, entries };
}

function stats(values: readonly number[]): { n: number; mean: number | null; std: number | null } {
  const n = values.length;
  if (n === 0) return { n, mean: null, std: null };
  const mean = values.reduce((s, v) => s + v, 0) / n;
  if (n < 2) return { n, mean, std: null };
  const ss = values.reduce((s, v) => s + (v - mean) ** 2, 0);
  return { n, mean, std: Math.sqrt(ss / (n - 1)) };
}

/**
 * An entry as text: percent with 2 decimals (DSC, PPV, Sen, bIoU) or mm (HD95),
 * `mean ± std`, `mean ± –` with one seed, `–` with none.
 *
 * @param entry The entry.
 * @param metric Its metric.
 * @returns The text, without bold.
 */
export function formatEntry(entry: TableEntry, metric: TableMetric): string {
  if (entry.mean === null) return "–";
  const scale = metric === "hd95" ? 1 : 100;
  const std = entry.std === null ? "–" : (scale * entry.std).toFixed(2);
  return `${(scale * entry.mean).toFixed(2)} ± ${std}`;
}

/** Column headings: `5%: DSC (%)`. */
function heading(fraction: number, metric: (typeof TABLE_METRICS)[number]): string {
  return `${percentKey(fraction)}%: ${metric.label} (${metric.unit})`;
}

/**
 * The table as markdown: one line per row; per fraction an `n` column (seeds
 * done) and the five metrics; the best entry of each column in bold.
 *
 * @param table The table.
 * @returns Markdown text.
 */
export function tableMarkdown(table: ResultsTable): string {
  const head = ["method"];
  for (const f of table.fractions) {
    head.push(`${percentKey(f)}%: n`, ...TABLE_METRICS.map((m) => heading(f, m)));
  }
  const lines = [
    `| ${head.join(" | ")} |`,
    `|${head.map((_, i) => (i === 0 ? "---" : "---:")).join("|")}|`,
  ];
  for (const row of table.rows) {
    const cells = [escapeCell(row)];
    for (const f of table.fractions) {
      const byMetric = table.entries[row]![percentKey(f)]!;
      cells.push(String(byMetric.dsc.n));
      for (const m of TABLE_METRICS) {
        const e = byMetric[m.key];
        const text = formatEntry(e, m.key);
        cells.push(e.best ? `**${text}**` : text);
      }
    }
    lines.push(`| ${cells.join(" | ")} |`);
  }
  return lines.join("\n") + "\n";
}

/**
 * The table as CSV: one line per row and fraction, with `n`, each metric's
 * mean and sample std (fractions of 1; HD95 in mm) and whether it is the best.
 *
 * @param table The table.
 * @returns CSV text with a header line.
 */
export function tableCsv(table: ResultsTable): string {
  const head = ["method", "fraction", "n"];
  for (const m of TABLE_METRICS) head.push(`${m.key}_mean`, `${m.key}_std`, `${m.key}_best`);
  const lines = [head.join(",")];
  for (const row of table.rows) {
    for (const f of table.fractions) {
      const byMetric = table.entries[row]![percentKey(f)]!;
      const cells = [csvField(row), String(f), String(byMetric.dsc.n)];
      for (const m of TABLE_METRICS) {
        const e = byMetric[m.key];
        cells.push(
          e.mean === null ? "" : String(e.mean),
          e.std === null ? "" : String(e.std),
          String(e.best),
        );
      }
      lines.push(cells.join(","));
    }
  }
  return lines.join("\n") + "\n";
}

/** What the report says about one pretrained row against scratch at one fraction. */
export interface Verdict {
  readonly row: string;
  readonly fraction: number;
  /** DSC mean difference (row - scratch), fraction of 1; null when either lacks seeds. */
  readonly diff: number | null;
  /** Standard error of the difference; null with fewer than 2 seeds on a side. */
  readonly se: number | null;
  readonly verdict: "helps" | "hurts" | "no clear difference" | "too few seeds" | "missing";
}

/**
 * Does pretraining help? Each row's DSC against the scratch row's, per
 * fraction: `helps` when the difference of means exceeds twice its standard
 * error (Welch: sqrt(s1^2/n1 + s2^2/n2)), `hurts` when below minus twice,
 * else `no clear difference`; `too few seeds` with fewer than 2 on a side.
 *
 * @param table The table.
 * @param scratch The scratch row's name.
 * @returns One verdict per other row and fraction.
 */
export function pretrainingVerdicts(table: ResultsTable, scratch: string): Verdict[] {
  const out: Verdict[] = [];
  for (const f of table.fractions) {
    const base = table.entries[scratch]?.[percentKey(f)]?.dsc;
    for (const row of table.rows) {
      if (row === scratch) continue;
      const e = table.entries[row]![percentKey(f)]!.dsc;
      if (!base || base.mean === null || e.mean === null) {
        out.push({ row, fraction: f, diff: null, se: null, verdict: "missing" });
        continue;
      }
      const diff = e.mean - base.mean;
      if (e.std === null || base.std === null) {
        out.push({ row, fraction: f, diff, se: null, verdict: "too few seeds" });
        continue;
      }
      const se = Math.sqrt(e.std ** 2 / e.n + base.std ** 2 / base.n);
      const verdict = diff > 2 * se ? "helps" : diff < -2 * se ? "hurts" : "no clear difference";
      out.push({ row, fraction: f, diff, se, verdict });
    }
  }
  return out;
}

function escapeCell(text: string): string {
  return text.replaceAll("|", "\\|");
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
