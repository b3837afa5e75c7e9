import assert from "node:assert/strict";
import { boundaryIou, boundaryPasses, boundaryRegion } from "../../lib/metrics/boundary_iou.ts";

/** 0/1 box [x0, x1) x [y0, y1) x [z0, z1) in a volume of `dims`. */
function box(dims: number[], lo: number[], hi: number[]): Uint8Array {
  const [X = 1, Y = 1, Z = 1] = dims;
  const m = new Uint8Array(X * Y * Z);
  for (let z = lo[2] ?? 0; z < (hi[2] ?? 1); z++) {
    for (let y = lo[1]!; y < hi[1]!; y++) {
      for (let x = lo[0]!; x < hi[0]!; x++) m[x + X * (y + Y * z)] = 1;
    }
  }
  return m;
}

Deno.test("boundaryPasses() is round(2% of the diagonal), at least 1, Python-style half to even", () => {
  assert.equal(boundaryPasses([300, 400]), 10);
  assert.equal(boundaryPasses([10, 10]), 1);
  assert.equal(boundaryPasses([562, 471]), 15); // BUSI "benign (1)", as scipy vectors say
  // 0.02 * 125 = 2.5: Python's round() gives 2, Math.round would give 3.
  assert.equal(boundaryPasses([75, 100]), 2);
  assert.equal(boundaryPasses([300, 400], 0), 1);
  assert.throws(() => boundaryPasses([3, 4], -0.1), RangeError);
});

Deno.test("boundaryRegion() is the mask minus its d-pass full erosion", () => {
  const b = boundaryRegion(box([6, 6], [1, 1], [5, 5]), [6, 6], 1);
  assert.equal(b.reduce((a, v) => a + v, 0), 12); // 4x4 ring around a 2x2 core
  assert.equal(
    boundaryRegion(box([6, 6], [1, 1], [5, 5]), [6, 6], 2).reduce((a, v) => a + v, 0),
    16,
  );
});

Deno.test("boundaryIou() of a 4x4 square and its 1-pixel shift is 6/18", () => {
  const gt = box([6, 6], [1, 1], [5, 5]);
  const pred = box([6, 6], [2, 1], [6, 5]);
  const r = boundaryIou(gt, pred, [6, 6]);
  assert.deepEqual([r.intersection, r.union, r.passes, r.branch], [6, 18, 1, "both_present"]);
  assert.equal(r.biou, 6 / 18);
});

Deno.test("boundaryIou() sums per-slice bands by default and erodes in 3D with mode volume", () => {
  const dims = [4, 4, 3];
  const gt = box(dims, [0, 0, 0], [4, 4, 3]);
  const pred = box(dims, [0, 0, 1], [4, 4, 3]); // first slice missing
  // slices: every full 4x4 slice has a 12-voxel ring -> 24 / 36
  const s = boundaryIou(gt, pred, dims);
  assert.deepEqual([s.intersection, s.union, s.biou], [24, 36, 2 / 3]);
  // volume: gt band = 48 - 4 interior voxels, pred (2 slices thick) is all band
  const v = boundaryIou(gt, pred, dims, { mode: "volume" });
  assert.deepEqual([v.intersection, v.union, v.biou], [28, 48, 28 / 48]);
});

Deno.test("boundaryIou() is 1 when both masks are empty and 0 when exactly one is", () => {
  const empty = new Uint8Array(16);
  const sq = box([4, 4], [1, 1], [3, 3]);
  assert.deepEqual(
    [boundaryIou(empty, empty, [4, 4]).biou, boundaryIou(empty, empty, [4, 4]).branch],
    [1, "both_empty"],
  );
  assert.deepEqual(
    [boundaryIou(empty, sq, [4, 4]).biou, boundaryIou(empty, sq, [4, 4]).branch],
    [0, "gt_empty"],
  );
  assert.deepEqual(
    [boundaryIou(sq, empty, [4, 4]).biou, boundaryIou(sq, empty, [4, 4]).branch],
    [0, "pred_empty"],
  );
});

Deno.test("boundaryIou() rejects mismatched shapes and unknown modes", () => {
  assert.throws(() => boundaryIou(new Uint8Array(12), new Uint8Array(15), [3, 4]), {
    name: "RangeError",
    message: "Cannot compute boundary IoU: prediction has 15 voxels but ground truth has 12",
  });
  assert.throws(
    // deno-lint-ignore no-explicit-any
    () => boundaryIou(new Uint8Array(8), new Uint8Array(8), [2, 2, 2], { mode: "3d" as any }),
    TypeError,
  );
});
