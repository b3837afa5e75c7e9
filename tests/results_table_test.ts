import assert from "node:assert/strict";
import type { MetricsSummary } from "../lib/metrics/mod.ts";
import {
  buildResultsTable,
  formatEntry,
  pretrainingVerdicts,
  tableCsv,
  tableMarkdown,
} from "../lib/experiment/results_table.ts";

function summary(dsc: number, hd95: number): MetricsSummary {
  const m = (mean: number) => ({ mean, std: 0, min: mean, max: mean, n: 5 });
  return {
    n: 5,
    dsc: m(dsc),
    ppv: m(dsc / 2),
    sen: m(1 - dsc),
    biou: m(dsc / 3),
    hd95: m(hd95),
    hd95NoSentinel: null,
    branches: { both_present: 5, both_empty: 0, gt_empty: 0, pred_empty: 0 },
  };
}

const results = [
  { row: "scratch", fraction: 0.05, seed: 0, summary: summary(0.40, 20) },
  { row: "scratch", fraction: 0.05, seed: 1, summary: summary(0.44, 10) },
  { row: "scratch", fraction: 0.05, seed: 2, summary: summary(0.42, 12) },
  { row: "MAE", fraction: 0.05, seed: 0, summary: summary(0.50, 30) },
  { row: "MAE", fraction: 0.05, seed: 2, summary: summary(0.52, 28) },
  { row: "MAE", fraction: 0.1, seed: 0, summary: summary(0.6, 5) },
];

Deno.test("buildResultsTable() gives mean and sample std over seeds, n, and the best per column", () => {
  const t = buildResultsTable(["scratch", "MAE", "SimMIM"], [0.05, 0.1], results);
  const s = t.entries.scratch!["5"]!;
  assert.equal(s.dsc.n, 3);
  assert.ok(Math.abs(s.dsc.mean! - 0.42) < 1e-12);
  assert.ok(Math.abs(s.dsc.std! - 0.02) < 1e-12, "sample std: sqrt(0.0008 / 2)");
  assert.deepEqual(s.dsc.seeds, [0, 1, 2]);
  const m = t.entries.MAE!["5"]!;
  assert.equal(m.dsc.n, 2);
  assert.ok(m.dsc.best && !s.dsc.best, "higher DSC wins");
  assert.ok(s.hd95.best && !m.hd95.best, "lower HD95 wins");
  assert.ok(s.sen.best, "Sen = 1 - DSC here: scratch wins");
  assert.equal(t.entries.MAE!["10"]!.dsc.std, null, "one seed: no std");
  assert.equal(t.entries.SimMIM!["10"]!.dsc.n, 0);
  assert.equal(formatEntry(t.entries.SimMIM!["10"]!.dsc, "dsc"), "–");
  assert.equal(formatEntry(t.entries.MAE!["10"]!.dsc, "dsc"), "60.00 ± –");
  assert.equal(formatEntry(s.hd95, "hd95"), `${(14).toFixed(2)} ± ${(Math.sqrt(28)).toFixed(2)}`);
  const tie = buildResultsTable(["a", "b"], [0.1], [
    { row: "a", fraction: 0.1, seed: 0, summary: summary(0.5, 1) },
    { row: "b", fraction: 0.1, seed: 0, summary: summary(0.5, 1) },
  ]);
  assert.ok(tie.entries.a!["10"]!.dsc.best && tie.entries.b!["10"]!.dsc.best, "ties are all bold");
});

Deno.test("tableMarkdown() and tableCsv() have one line per row (and fraction) with n and bold bests", () => {
  const t = buildResultsTable(["scratch", "MAE"], [0.05, 0.1], results);
  const md = tableMarkdown(t).trim().split("\n");
  assert.equal(md.length, 2 + 2);
  assert.match(
    md[0]!,
    /\| method \| 5%: n \| 5%: DSC \(%\) \| 5%: PPV \(%\) \| 5%: Sen \(%\) \| 5%: bIoU \(%\) \| 5%: HD95 \(mm\) \| 10%: n \|/,
  );
  assert.match(md[2]!, /^\| scratch \| 3 \| 42\.00 ± 2\.00 \| /);
  assert.match(md[3]!, /^\| MAE \| 2 \| \*\*51\.00 ± 1\.41\*\* \| /);
  const csv = tableCsv(t).trim().split("\n");
  assert.equal(csv.length, 1 + 2 * 2);
  assert.ok(csv[0]!.startsWith("method,fraction,n,dsc_mean,dsc_std,dsc_best,ppv_mean"));
  assert.ok(csv[3]!.startsWith("MAE,0.05,2,0.51,"));
});

Deno.test("pretrainingVerdicts() compares each row with scratch by twice the standard error", () => {
  const more = [
    ...results,
    { row: "MAE", fraction: 0.1, seed: 1, summary: summary(0.62, 5) },
    { row: "scratch", fraction: 0.1, seed: 0, summary: summary(0.61, 5) },
    { row: "scratch", fraction: 0.1, seed: 1, summary: summary(0.60, 5) },
    { row: "Worse", fraction: 0.05, seed: 0, summary: summary(0.2, 5) },
    { row: "Worse", fraction: 0.05, seed: 1, summary: summary(0.21, 5) },
  ];
  const t = buildResultsTable(["scratch", "MAE", "Worse", "Missing"], [0.05, 0.1], more);
  const v = pretrainingVerdicts(t, "scratch");
  const get = (row: string, f: number) => v.find((x) => x.row === row && x.fraction === f)!;
  assert.equal(get("MAE", 0.05).verdict, "helps");
  assert.ok(Math.abs(get("MAE", 0.05).diff! - 0.09) < 1e-12);
  assert.equal(get("MAE", 0.1).verdict, "no clear difference");
  assert.equal(get("Worse", 0.05).verdict, "hurts");
  assert.equal(get("Worse", 0.1).verdict, "missing");
  assert.equal(get("Missing", 0.05).verdict, "missing");
  const one = buildResultsTable(["scratch", "MAE"], [0.1], results);
  assert.equal(pretrainingVerdicts(one, "scratch")[0]!.verdict, "missing");
});
