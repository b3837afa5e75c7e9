import assert from "node:assert/strict";
import { lesionPatches, maskedLesionShare } from "../lib/masking/mask_overlap.ts";

Deno.test("lesionPatches() marks every patch holding a lesion pixel on a non-divisible grid", () => {
  // 5 x 3 label, grid 2 x 2: rows 0-2 -> patch row 0, 3-4 -> 1; cols 0-1 -> 0, 2 -> 1
  const label = new Uint8Array(15);
  label[2] = 1; // (0, 2) -> patch 1
  label[3 * 3 + 0] = 1; // (3, 0) -> patch 2
  assert.deepEqual([...lesionPatches(label, { width: 3, height: 5, gh: 2, gw: 2 })], [0, 1, 1, 0]);
  assert.throws(() => lesionPatches(label, { width: 4, height: 5, gh: 2, gw: 2 }), RangeError);
});

Deno.test("maskedLesionShare() is hit / removed per sample", () => {
  const share = maskedLesionShare(
    Float32Array.from([1, 1, 0, 0, 1, 1, 1, 1]),
    Uint8Array.from([1, 0, 1, 1, 1, 1, 1, 0]),
    4,
  );
  assert.deepEqual([...share], [0.5, 0.75]);
});
