import assert from "node:assert/strict";
import type { CaseMetrics } from "../../lib/metrics/case_metrics.ts";
import { summarizeCases } from "../../lib/metrics/summary.ts";

const CASES: CaseMetrics[] = [
  { dsc: 0.9, sen: 0.8, ppv: 1, biou: 0.5, hd95: 2, branch: "both_present" },
  { dsc: 0.7, sen: 0.6, ppv: 0.8, biou: 0.3, hd95: 4, branch: "both_present" },
  { dsc: 1, sen: 1, ppv: 1, biou: 1, hd95: 0, branch: "both_empty" },
  { dsc: 1e-5, sen: 1, ppv: 1e-5, biou: 0, hd95: 100, branch: "gt_empty" },
];

Deno.test("summarizeCases() averages every case and counts each branch", () => {
  const s = summarizeCases(CASES);
  assert.equal(s.n, 4);
  assert.equal(s.hd95.mean, 26.5);
  assert.equal(s.hd95.max, 100);
  assert.equal(s.hd95NoSentinel?.mean, 2);
  assert.equal(s.hd95NoSentinel?.n, 3);
  assert.deepEqual(s.branches, { both_present: 2, both_empty: 1, gt_empty: 1, pred_empty: 0 });
  assert.equal(s.dsc.min, 1e-5);
});

Deno.test("summarizeCases() uses population std by default and sample std with ddof 1", () => {
  const two = CASES.slice(0, 2);
  assert.ok(Math.abs(summarizeCases(two).dsc.std - 0.1) < 1e-15);
  assert.ok(Math.abs(summarizeCases(two, { ddof: 1 }).dsc.std - Math.sqrt(0.02)) < 1e-15);
  assert.equal(summarizeCases(CASES.slice(0, 1), { ddof: 1 }).dsc.std, 0);
});

Deno.test("summarizeCases() reports null HD95 without sentinels when every case has one", () => {
  assert.equal(summarizeCases(CASES.slice(3)).hd95NoSentinel, null);
  assert.throws(() => summarizeCases([]), {
    name: "RangeError",
    message: "Cannot summarize metrics: no cases",
  });
});
