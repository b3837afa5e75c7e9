import assert from "node:assert/strict";
import { loadSplits, makeSplits, saveSplits } from "../lib/data/splits.ts";

const ids = Array.from({ length: 180 }, (_, i) => `case_${i}`);

Deno.test("makeSplits() splits 8:1:1 by patient with no patient in two splits", () => {
  // Several slices per patient: duplicates must collapse to one patient.
  const s = makeSplits([...ids, ...ids, ...ids], { seed: 3 });
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [144, 18, 18]);
  const all = [...s.train, ...s.val, ...s.test];
  assert.equal(new Set(all).size, all.length, "disjoint");
  assert.deepEqual([...all].sort(), [...ids].sort(), "complete");
});

Deno.test("makeSplits() makes nested label fractions 5% ⊂ 10% ⊂ 50% ⊂ 100% of train", () => {
  const s = makeSplits(ids, { seed: 11 });
  const f = s.labelFractions;
  assert.deepEqual(Object.keys(f), ["5", "10", "50", "100"]);
  assert.deepEqual([f["5"]?.length, f["10"]?.length, f["50"]?.length, f["100"]?.length], [
    7,
    14,
    72,
    144,
  ]);
  const train = new Set(s.train);
  const keys = ["5", "10", "50", "100"];
  for (let i = 0; i + 1 < keys.length; i++) {
    const small = new Set(f[keys[i] as string]), big = new Set(f[keys[i + 1] as string]);
    for (const id of small) assert.ok(big.has(id), `${id} of ${keys[i]}% is in ${keys[i + 1]}%`);
  }
  for (const id of f["100"] ?? []) assert.ok(train.has(id));
});

Deno.test("makeSplits() is reproducible from the seed and independent of input order", async () => {
  const a = makeSplits(ids, { seed: 5 });
  const b = makeSplits([...ids].reverse(), { seed: 5 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(makeSplits(ids, { seed: 6 }).test, a.test);
  const dir = await Deno.makeTempDir();
  try {
    await saveSplits(`${dir}/splits.json`, a);
    assert.deepEqual(await loadSplits(`${dir}/splits.json`), a);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("makeSplits() keeps at least one patient in val, test and each fraction for tiny sets", () => {
  const s = makeSplits(["a", "b", "c", "d", "e", "f"], { seed: 0 });
  assert.deepEqual([s.train.length, s.val.length, s.test.length], [4, 1, 1]);
  assert.equal(s.labelFractions["5"]?.length, 1);
  assert.throws(() => makeSplits([], { seed: 0 }), RangeError);
  assert.throws(() => makeSplits(ids, { seed: 0, labelPercents: [0] }), RangeError);
});
