import assert from "node:assert/strict";
import {
  BRATS_REGIONS,
  computeMulticlassMetrics,
  FOREGROUND_REGION,
  HIPPOCAMPUS_REGIONS,
  regionMask,
} from "../../lib/metrics/multiclass.ts";

const EPS = 1e-4;

Deno.test("regionMask() selects listed labels or labels >= minLabel, rounding float labels", () => {
  const labels = Float32Array.of(0, 1, 2, 4, 1.0000001, 3.9999);
  assert.deepEqual([...regionMask(labels, BRATS_REGIONS[0]!)], [0, 1, 1, 1, 1, 1]);
  assert.deepEqual([...regionMask(labels, BRATS_REGIONS[2]!)], [0, 0, 0, 1, 0, 1]);
  assert.deepEqual([...regionMask(labels, FOREGROUND_REGION[0]!)], [0, 1, 1, 1, 1, 1]);
  assert.throws(() => regionMask(labels, { name: "x" }), {
    name: "TypeError",
    message: 'Cannot build region "x": give exactly one of labels and minLabel',
  });
  assert.throws(() => regionMask(labels, { name: "y", labels: [1], minLabel: 1 }), TypeError);
});

Deno.test("computeMulticlassMetrics() scores each hippocampus class and averages them", () => {
  const gt = Uint8Array.of(1, 1, 2, 2, 0, 0);
  const pred = Uint8Array.of(1, 2, 2, 0, 0, 0);
  const m = computeMulticlassMetrics(gt, pred, [6, 1], { regions: HIPPOCAMPUS_REGIONS });
  const [a, p] = m.regions;
  assert.equal(a?.name, "anterior");
  assert.equal(a?.dsc, (2 + EPS) / (3 + EPS));
  assert.equal(p?.dsc, (2 + EPS) / (4 + EPS));
  assert.equal(m.mean.dsc, ((2 + EPS) / (3 + EPS) + (2 + EPS) / (4 + EPS)) / 2);
  assert.equal(m.mean.hd95, (a!.hd95 + p!.hd95) / 2);
});

Deno.test("computeMulticlassMetrics() reports a missing class as pred_empty, not dropped", () => {
  const gt = Uint8Array.of(1, 1, 2, 2, 0, 0);
  const pred = Uint8Array.of(0, 0, 2, 2, 0, 0);
  const m = computeMulticlassMetrics(gt, pred, [6, 1], {
    regions: HIPPOCAMPUS_REGIONS,
    spacing: [2, 1],
  });
  assert.deepEqual(m.regions.map((r) => r.branch), ["pred_empty", "both_present"]);
  assert.equal(m.regions[0]?.hd95, Math.sqrt(12 * 12 + 1));
  assert.equal(m.regions.length, 2);
});

Deno.test("computeMulticlassMetrics() rejects an empty region list and mismatched maps", () => {
  const gt = new Uint8Array(4);
  assert.throws(() => computeMulticlassMetrics(gt, gt, [2, 2], { regions: [] }), RangeError);
  assert.throws(
    () => computeMulticlassMetrics(gt, new Uint8Array(6), [2, 2], { regions: HIPPOCAMPUS_REGIONS }),
    RangeError,
  );
});
