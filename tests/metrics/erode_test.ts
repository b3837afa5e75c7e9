import assert from "node:assert/strict";
import { erode } from "../../lib/metrics/erode.ts";

function grid(rows: string[]): Uint8Array {
  return Uint8Array.from(rows.join("").split(""), (c) => (c === "#" ? 1 : 0));
}
function show(m: Uint8Array, w: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < m.length; i += w) {
    out.push([...m.subarray(i, i + w)].map((v) => (v ? "#" : ".")).join(""));
  }
  return out;
}

Deno.test("erode() with the full 3x3 element keeps only voxels whose 8 neighbours are set", () => {
  const m = grid([
    "#####.",
    "#####.",
    "#####.",
    "####..",
  ]);
  assert.deepEqual(show(erode(m, [6, 4]), 6), [
    "......",
    ".###..",
    ".##...",
    "......",
  ]);
});

Deno.test("erode() with the cross element checks face neighbours only", () => {
  const m = grid([
    ".###.",
    "#####",
    "#####",
    ".###.",
  ]);
  assert.deepEqual(show(erode(m, [5, 4], { structure: "cross" }), 5), [
    ".....",
    ".###.",
    ".###.",
    ".....",
  ]);
  assert.deepEqual(show(erode(m, [5, 4]), 5), [
    ".....",
    "..#..",
    "..#..",
    ".....",
  ]);
});

Deno.test("erode() treats outside the image as background, so the border erodes", () => {
  const all = new Uint8Array(7 * 7).fill(1);
  const e = erode(all, [7, 7], { passes: 2 });
  assert.deepEqual(show(e, 7)[3], "..###..");
  assert.equal(e.reduce((a, v) => a + v, 0), 9);
  assert.equal(erode(all, [7, 7], { passes: 4 }).reduce((a, v) => a + v, 0), 0);
});

Deno.test("erode() in 3D uses 3x3x3 (full) or 6 faces (cross); 2D input never erodes along z", () => {
  const cube = new Uint8Array(27).fill(1);
  assert.deepEqual([...erode(cube, [3, 3, 3])].map((v, i) => (v ? i : -1)).filter((i) => i >= 0), [
    13,
  ]);
  assert.equal(erode(cube, [3, 3, 3], { structure: "cross" }).reduce((a, v) => a + v, 0), 1);
  // A 3x3x1 volume is flat: every voxel touches the zero padding along z.
  assert.equal(erode(new Uint8Array(9).fill(1), [3, 3, 1]).reduce((a, v) => a + v, 0), 0);
  assert.equal(erode(new Uint8Array(9).fill(1), [3, 3]).reduce((a, v) => a + v, 0), 1);
});

Deno.test("erode() with passes 0 returns a 0/1 copy and rejects bad input", () => {
  const m = Uint8Array.of(0, 7, 255, 0);
  const c = erode(m, [2, 2], { passes: 0 });
  assert.deepEqual([...c], [0, 1, 1, 0]);
  assert.notEqual(c, m);
  assert.throws(() => erode(m, [3, 2]), {
    name: "RangeError",
    message: "Cannot erode mask: mask has 4 voxels but dims [3,2] need 6",
  });
  assert.throws(() => erode(m, [4]), TypeError);
  assert.throws(() => erode(m, [2, 2], { passes: 1.5 }), RangeError);
});
