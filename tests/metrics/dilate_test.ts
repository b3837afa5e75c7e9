import assert from "node:assert/strict";
import { dilate } from "../../lib/metrics/dilate.ts";

function show(m: Uint8Array, w: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i += w) {
    out.push([...m.subarray(i, i + w)].map((v) => (v ? "#" : ".")).join(""));
  }
  return out;
}

Deno.test("dilate() grows by the element without wrapping across rows or slices", () => {
  const m = new Uint8Array(4 * 3);
  m[3] = 1; // x = 3, y = 0: last column of the first row
  assert.deepEqual(show(dilate(m, [4, 3]), 4), [
    "..##",
    "..##",
    "....",
  ]);
  const v = new Uint8Array(27);
  v[13] = 1;
  assert.equal(dilate(v, [3, 3, 3]).reduce((a, x) => a + x, 0), 27);
  assert.equal(dilate(v, [3, 3, 3], { structure: "cross" }).reduce((a, x) => a + x, 0), 7);
  assert.equal(dilate(v, [3, 3, 3], { passes: 0 }).reduce((a, x) => a + x, 0), 1);
});
