import assert from "node:assert/strict";
import { computeCaseMetrics } from "../../lib/metrics/case_metrics.ts";

const EPS = 1e-4;

Deno.test("computeCaseMetrics() of identical masks is perfect", () => {
  const m = new Uint8Array(5 * 5 * 3);
  for (let i = 10; i < 60; i++) m[i] = 1;
  assert.deepEqual(computeCaseMetrics(m, m, [5, 5, 3], [0.5, 0.5, 2]), {
    dsc: 1,
    sen: 1,
    ppv: 1,
    biou: 1,
    hd95: 0,
    branch: "both_present",
  });
});

Deno.test("computeCaseMetrics() follows the empty-mask policy in every branch", () => {
  const empty = new Uint8Array(12);
  const two = new Uint8Array(12);
  two[0] = two[1] = 1;
  const diag = Math.sqrt(4 * 4 + 3 * 3 * 4);
  assert.deepEqual(computeCaseMetrics(empty, empty, [4, 3], [1, 2]), {
    dsc: 1,
    sen: 1,
    ppv: 1,
    biou: 1,
    hd95: 0,
    branch: "both_empty",
  });
  assert.deepEqual(computeCaseMetrics(empty, two, [4, 3], [1, 2]), {
    dsc: EPS / (2 + EPS),
    sen: 1,
    ppv: EPS / (2 + EPS),
    biou: 0,
    hd95: diag,
    branch: "gt_empty",
  });
  assert.deepEqual(computeCaseMetrics(two, empty, [4, 3], [1, 2]), {
    dsc: EPS / (2 + EPS),
    sen: EPS / (2 + EPS),
    ppv: 1,
    biou: 0,
    hd95: diag,
    branch: "pred_empty",
  });
});

Deno.test("computeCaseMetrics() forwards the bIoU mode and defaults spacing to 1 mm", () => {
  const dims = [4, 4, 3];
  const gt = new Uint8Array(48).fill(1);
  const pred = gt.slice();
  pred.fill(0, 0, 16); // first slice missing
  assert.equal(computeCaseMetrics(gt, pred, dims).biou, 2 / 3);
  assert.equal(computeCaseMetrics(gt, pred, dims, undefined, { biouMode: "volume" }).biou, 28 / 48);
  assert.equal(computeCaseMetrics(gt, pred, dims, [1, 1, 5]).hd95, 5);
});

Deno.test("computeCaseMetrics() rejects bad spacing and shapes", () => {
  const m = new Uint8Array(12);
  assert.throws(() => computeCaseMetrics(m, m, [3, 4], [1, 1, 1]), TypeError);
  assert.throws(() => computeCaseMetrics(m, m, [3, 4], [1, -1]), RangeError);
  assert.throws(() => computeCaseMetrics(m, new Uint8Array(15), [3, 4]), {
    name: "RangeError",
    message: "Cannot compute overlap metrics: prediction has 15 voxels but ground truth has 12",
  });
});
