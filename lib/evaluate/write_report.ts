/**
 * Text reports of an evaluation: per-case CSV, and the markdown table of
 * mean ± std per metric (AMLP Tables 4-7 layout: DSC, Sen, PPV, bIoU, HD95).
 *
 * @module
 */

import type { MetricsSummary } from "../metrics/mod.ts";
import { EMPTY_BRANCHES } from "../metrics/mod.ts";
import type { CaseRow } from "./evaluate_cases.ts";

const METRICS = ["dsc", "sen", "ppv", "biou", "hd95"] as const;

/**
 * The per-case CSV: `case,region,dsc,sen,ppv,biou,hd95,branch`, one row per
 * case and region, full float precision.
 *
 * @param rows The rows.
 * @returns CSV text with a header line.
 * @example
 * ```ts
 * import { casesCsv } from "./write_report.ts";
 * const csv = casesCsv([{ caseId: "a", region: "foreground", dsc: 1, sen: 1, ppv: 1, biou: 1, hd95: 0, branch: "both_present" }]);
 * if (csv.split("\n")[1] !== "a,foreground,1,1,1,1,0,both_present") throw new Error(csv);
 * ```
 */
export function casesCsv(rows: readonly CaseRow[]): string {
  const lines = ["case,region,dsc,sen,ppv,biou,hd95,branch"];
  for (const r of rows) {
    lines.push(
      [csvField(r.caseId), csvField(r.region), ...METRICS.map((m) => String(r[m])), r.branch].join(
        ",",
      ),
    );
  }
  return lines.join("\n") + "\n";
}

/**
 * A markdown table with one row per labelled summary: `mean ± std` of each
 * metric (percent for DSC/Sen/PPV/bIoU, mm for HD95), the case count and the
 * empty-mask branch counts.
 *
 * @param rows `[label, summary]` pairs, e.g. `["scratch", s]`.
 * @returns The table.
 */
export function summaryMarkdown(rows: readonly (readonly [string, MetricsSummary])[]): string {
  const pct = (s: MetricsSummary["dsc"]) =>
    `${(100 * s.mean).toFixed(2)} ± ${(100 * s.std).toFixed(2)}`;
  const lines = [
    "| run | n | DSC (%) | Sen (%) | PPV (%) | bIoU (%) | HD95 (mm) | branches (present/both empty/gt empty/pred empty) |",
    "|---|---|---|---|---|---|---|---|",
  ];
  for (const [label, s] of rows) {
    const branches = EMPTY_BRANCHES.map((b) => s.branches[b]).join("/");
    lines.push(
      `| ${label} | ${s.n} | ${pct(s.dsc)} | ${pct(s.sen)} | ${pct(s.ppv)} | ${pct(s.biou)} | ` +
        `${s.hd95.mean.toFixed(2)} ± ${s.hd95.std.toFixed(2)} | ${branches} |`,
    );
  }
  return lines.join("\n") + "\n";
}

function csvField(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
