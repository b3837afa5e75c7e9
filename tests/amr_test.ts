import assert from "node:assert/strict";
import { adaptiveMaskRatio } from "../lib/masking/amr.ts";
import { removedPatchCount } from "../lib/masking/mask_count.ts";

Deno.test("adaptiveMaskRatio() starts at sigma0, follows ln(epoch) / tau and clamps", () => {
  assert.equal(adaptiveMaskRatio(1), 0.25);
  assert.ok(Math.abs(adaptiveMaskRatio(800) - (0.25 + Math.log(800) / 12)) < 1e-12);
  assert.ok(
    Math.abs(adaptiveMaskRatio(800) - 0.807) < 1e-3,
    "nearly 80% after 800 epochs (MPS-AMS)",
  );
  assert.equal(adaptiveMaskRatio(1e6), 0.9);
  assert.equal(adaptiveMaskRatio(100, { maxRatio: 0.5 }), 0.5);
  assert.equal(adaptiveMaskRatio(Math.E, { sigma0: 0.1, tau: 2 }), 0.6);
  let last = 0;
  for (let e = 1; e <= 800; e++) {
    const r = adaptiveMaskRatio(e);
    assert.ok(r >= last, "monotone");
    last = r;
  }
});

Deno.test("adaptiveMaskRatio() rejects epoch 0 and bad parameters", () => {
  assert.throws(() => adaptiveMaskRatio(0), RangeError);
  assert.throws(() => adaptiveMaskRatio(Number.NaN), RangeError);
  assert.throws(() => adaptiveMaskRatio(2, { tau: 0 }), RangeError);
  assert.throws(() => adaptiveMaskRatio(2, { sigma0: 1.5 }), RangeError);
  assert.throws(() => adaptiveMaskRatio(2, { maxRatio: -0.1 }), RangeError);
});

Deno.test("removedPatchCount() removes what MAE does not keep, floor(L * (1 - ratio)), exact at 0 and 1", () => {
  assert.equal(removedPatchCount(64, 0.25), 16);
  assert.equal(removedPatchCount(64, 0), 0);
  assert.equal(removedPatchCount(64, 1), 64);
  assert.equal(removedPatchCount(100, 0.29), 29);
  assert.equal(removedPatchCount(196, 0.75), 147);
  assert.equal(removedPatchCount(64, 0.3), 20); // keeps floor(44.8) = 44
  assert.equal(removedPatchCount(10, 0.999), 10); // keeps floor(0.01) = 0
  assert.throws(() => removedPatchCount(64, 1.01), RangeError);
  assert.throws(() => removedPatchCount(6.5, 0.5), RangeError);
});
