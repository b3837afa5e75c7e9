import assert from "node:assert/strict";
import { hd95, surfaceMask } from "../../lib/metrics/hd95.ts";

Deno.test("surfaceMask() is the mask minus its face-connected erosion, border included", () => {
  assert.equal(surfaceMask(new Uint8Array(27).fill(1), [3, 3, 3]).reduce((a, v) => a + v, 0), 26);
  // Plus shape: the centre has all 4 face neighbours, so only it is interior.
  const plus = Uint8Array.of(0, 1, 0, 1, 1, 1, 0, 1, 0);
  assert.deepEqual([...surfaceMask(plus, [3, 3])], [0, 1, 0, 1, 0, 1, 0, 1, 0]);
});

Deno.test("hd95() honours anisotropic spacing", () => {
  const gt = new Uint8Array(8);
  const pred = new Uint8Array(8);
  gt[0] = 1; // (0, 0, 0)
  pred[7] = 1; // (1, 1, 1)
  const r = hd95(gt, pred, [2, 2, 2], { spacing: [1, 2, 3] });
  assert.equal(r.hd95, Math.sqrt(14));
  assert.deepEqual([r.predToGt, r.gtToPred, r.branch], [
    Math.sqrt(14),
    Math.sqrt(14),
    "both_present",
  ]);
});

Deno.test("hd95() takes numpy's linear 95th percentile of each directed distance set", () => {
  // gt: row y = 0; pred: the same row plus one voxel 4 rows away.
  const dims = [10, 5];
  const gt = new Uint8Array(50);
  for (let x = 0; x < 10; x++) gt[x] = 1;
  const pred = gt.slice();
  pred[0 + 10 * 4] = 1;
  // pred -> gt: ten 0s and one 4; np.percentile(..., 95) = 2. gt -> pred: all 0.
  const r = hd95(gt, pred, dims);
  assert.deepEqual([r.predToGt, r.gtToPred, r.hd95], [2, 0, 2]);
  assert.equal(hd95(gt, pred, dims, { spacing: [1, 0.5] }).hd95, 1);
  assert.equal(hd95(gt, pred, dims, { percentile: 100 }).hd95, 4);
});

Deno.test("hd95() is 0 when both masks are empty and the image diagonal when exactly one is", () => {
  const empty = new Uint8Array(12);
  const one = new Uint8Array(12);
  one[5] = 1;
  assert.deepEqual(hd95(empty, empty, [4, 3]), {
    hd95: 0,
    predToGt: 0,
    gtToPred: 0,
    branch: "both_empty",
  });
  const diag = Math.sqrt(4 * 4 + 6 * 6);
  assert.deepEqual(
    [hd95(empty, one, [4, 3], { spacing: [1, 2] }).hd95, hd95(empty, one, [4, 3]).branch],
    [diag, "gt_empty"],
  );
  assert.deepEqual(
    [hd95(one, empty, [4, 3], { spacing: [1, 2] }).hd95, hd95(one, empty, [4, 3]).branch],
    [diag, "pred_empty"],
  );
});

Deno.test("hd95() rejects mismatched shapes with a message naming both", () => {
  assert.throws(() => hd95(new Uint8Array(12), new Uint8Array(15), [3, 4]), {
    name: "RangeError",
    message: "Cannot compute HD95: prediction has 15 voxels but ground truth has 12",
  });
  assert.throws(
    () => hd95(new Uint8Array(12), new Uint8Array(12), [3, 4], { spacing: [1] }),
    TypeError,
  );
});
