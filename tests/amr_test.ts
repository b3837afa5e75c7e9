import assert from "node:assert/strict";
import { adaptiveMaskRatio, maskedCount } from "../lib/masking/amr.ts";

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

Deno.test("maskedCount() is floor(L * ratio), exact at ratios 0 and 1", () => {
  assert.equal(maskedCount(64, 0.25), 16);
  assert.equal(maskedCount(64, 0), 0);
  assert.equal(maskedCount(64, 1), 64);
  assert.equal(maskedCount(100, 0.29), 29);
  assert.equal(maskedCount(196, 0.75), 147);
  assert.equal(maskedCount(10, 0.999), 9);
  assert.throws(() => maskedCount(64, 1.01), RangeError);
  assert.throws(() => maskedCount(6.5, 0.5), RangeError);
});
