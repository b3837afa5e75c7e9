import assert from "node:assert/strict";
import { OVERLAP_EPS, overlapMetrics } from "../../lib/metrics/overlap.ts";
import { emptyBranch, imageDiagonalMm } from "../../lib/metrics/empty_policy.ts";

const EPS = OVERLAP_EPS;

Deno.test("overlapMetrics() counts TP/FP/FN and applies AMLP eq. 10-11 with eps = 1e-4", () => {
  const gt = Uint8Array.of(1, 1, 1, 0, 0, 0);
  const pred = Uint8Array.of(0, 1, 1, 1, 1, 0);
  const m = overlapMetrics(gt, pred, [3, 2]);
  assert.deepEqual([m.tp, m.fp, m.fn], [2, 2, 1]);
  assert.equal(EPS, 1e-4);
  assert.equal(m.dsc, (4 + EPS) / (3 + 4 + EPS));
  assert.equal(m.sen, (2 + EPS) / (3 + EPS));
  assert.equal(m.ppv, (2 + EPS) / (4 + EPS));
  assert.equal(m.branch, "both_present");
});

Deno.test("overlapMetrics() gives exactly what the eps formulas give for empty masks", () => {
  const empty = new Uint8Array(4);
  const three = Uint8Array.of(1, 1, 1, 0);
  const both = overlapMetrics(empty, empty, [2, 2]);
  assert.deepEqual([both.dsc, both.sen, both.ppv, both.branch], [1, 1, 1, "both_empty"]);
  const gtEmpty = overlapMetrics(empty, three, [2, 2]);
  assert.deepEqual(
    [gtEmpty.dsc, gtEmpty.sen, gtEmpty.ppv, gtEmpty.branch],
    [EPS / (3 + EPS), 1, EPS / (3 + EPS), "gt_empty"],
  );
  const predEmpty = overlapMetrics(three, empty, [2, 2]);
  assert.deepEqual(
    [predEmpty.dsc, predEmpty.sen, predEmpty.ppv, predEmpty.branch],
    [EPS / (3 + EPS), EPS / (3 + EPS), 1, "pred_empty"],
  );
});

Deno.test("overlapMetrics() rejects masks of different sizes with a message naming both", () => {
  assert.throws(() => overlapMetrics(new Uint8Array(12), new Uint8Array(15), [3, 4]), {
    name: "RangeError",
    message: "Cannot compute overlap metrics: prediction has 15 voxels but ground truth has 12",
  });
  assert.throws(() => overlapMetrics(new Uint8Array(12), new Uint8Array(12), [3, 5]), RangeError);
});

Deno.test("emptyBranch() and imageDiagonalMm() classify pairs and measure the grid in mm", () => {
  assert.equal(emptyBranch([0, 0], [0, 0]), "both_empty");
  assert.equal(emptyBranch([0, 1], [0, 0]), "pred_empty");
  assert.equal(emptyBranch([0, 0], [1, 0]), "gt_empty");
  assert.equal(emptyBranch([1, 0], [0, 1]), "both_present");
  assert.equal(imageDiagonalMm([10, 20, 5], [1.2, 0.5, 4]), Math.sqrt(144 + 100 + 400));
});
