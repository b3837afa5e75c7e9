import assert from "node:assert/strict";
import { edt, squaredEdt } from "../../lib/kernels/edt.ts";

/** Small seeded generator (mulberry32) so failures are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** O(N^2) reference: distance from each non-zero voxel to the nearest zero voxel. */
function bruteForce(mask: Uint8Array, dims: number[], spacing: number[]): Float64Array {
  const [X = 1, Y = 1] = dims;
  const coord = (i: number): number[] => [i % X, Math.floor(i / X) % Y, Math.floor(i / (X * Y))];
  const zeros = [...mask.keys()].filter((i) => mask[i] === 0).map(coord);
  return Float64Array.from(mask, (v, i) => {
    if (v === 0) return 0;
    const c = coord(i);
    let best = Infinity;
    for (const z of zeros) {
      let s = 0;
      for (let a = 0; a < dims.length; a++) {
        const d = (c[a]! - z[a]!) * spacing[a]!;
        s += d * d;
      }
      best = Math.min(best, s);
    }
    return Math.sqrt(best);
  });
}

Deno.test("edt() equals brute force on random 2D and 3D masks with anisotropic spacing", () => {
  const next = rng(5);
  const shapes: Array<[number[], number[]]> = [
    [[17, 11], [0.7, 1.9]],
    [[1, 23], [1, 0.35]],
    [[9, 8, 7], [1.2, 0.5, 3.0]],
    [[5, 13, 4], [0.9, 0.9, 2.5]],
  ];
  for (const [dims, spacing] of shapes) {
    for (const density of [0.05, 0.5, 0.97]) {
      const n = dims.reduce((a, b) => a * b, 1);
      const mask = Uint8Array.from({ length: n }, () => (next() < density ? 1 : 0));
      mask[Math.floor(next() * n)] = 0; // at least one background voxel
      const got = edt(mask, dims, { spacing });
      const want = bruteForce(mask, dims, spacing);
      for (let i = 0; i < n; i++) {
        assert.ok(
          Math.abs(got[i]! - want[i]!) <= 1e-9,
          `dims [${dims}] density ${density} voxel ${i}: ${got[i]} vs ${want[i]}`,
        );
      }
    }
  }
});

Deno.test("edt() measures in mm along each axis", () => {
  // 1 x 5 x 1 column with background at y = 0, spacing 2.5 mm along y.
  assert.deepEqual([...edt(Uint8Array.of(0, 1, 1, 1, 1), [1, 5, 1], { spacing: [9, 2.5, 9] })], [
    0,
    2.5,
    5,
    7.5,
    10,
  ]);
  const d2 = squaredEdt(Uint8Array.of(1, 1, 1, 1, 1, 0), [3, 2], { spacing: [1, 2] });
  assert.deepEqual([...d2], [4 + 4, 1 + 4, 4, 4, 1, 0]);
});

Deno.test("edt() returns Infinity everywhere when there is no background voxel", () => {
  assert.deepEqual([...edt(Uint8Array.of(1, 1, 1, 1), [2, 2])], [
    Infinity,
    Infinity,
    Infinity,
    Infinity,
  ]);
  assert.deepEqual([...edt(new Uint8Array(3), [3, 1])], [0, 0, 0]);
});

Deno.test("edt() rejects spacing that does not fit dims", () => {
  assert.throws(() => edt(new Uint8Array(4), [2, 2], { spacing: [1, 1, 1] }), {
    name: "TypeError",
    message:
      "Cannot compute distance transform: spacing [1,1,1] has 3 entries but dims [2,2] has 2",
  });
  assert.throws(() => edt(new Uint8Array(4), [2, 2], { spacing: [1, 0] }), RangeError);
});
