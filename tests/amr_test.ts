import assert from "node:assert/strict";
import { adaptiveMaskRatio, removedPatchCount } from "../lib/mask_ratio.ts";
import { removeCount } from "../lib/masking/mask_count.ts";
import { type Config, DEFAULT_CONFIG } from "../lib/config/pretrain_config.ts";

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

Deno.test("removedPatchCount() is AMLP's floor(L * ratio), exact at ratios 0 and 1", () => {
  assert.equal(removedPatchCount(64, 0.25), 16);
  assert.equal(removedPatchCount(64, 0), 0);
  assert.equal(removedPatchCount(64, 1), 64);
  assert.equal(removedPatchCount(100, 0.29), 29);
  assert.equal(removedPatchCount(196, 0.75), 147);
  assert.equal(removedPatchCount(64, 0.3), 19); // floor(19.2), where MAE's rule removes 20
  assert.equal(removedPatchCount(10, 0.999), 9);
  assert.throws(() => removedPatchCount(64, 1.01), RangeError);
  assert.throws(() => removedPatchCount(6.5, 0.5), RangeError);
});

Deno.test("removeCount() with mask.amr.finalRatio reaches it at the last epoch; tau is used otherwise", () => {
  const d = DEFAULT_CONFIG;
  const config = (amr: Partial<Config["mask"]["amr"]>, epochs: number): Config => ({
    ...d,
    mask: { ...d.mask, amr: { ...d.mask.amr, enabled: true, ...amr } },
    train: { ...d.train, epochs },
  });
  const short = config({ finalRatio: 0.75 }, 20);
  assert.equal(removeCount(short, 256, 0), 64, "sigma0 at the first epoch");
  assert.equal(removeCount(short, 256, 19), 192, "0.75 of 256 at the last epoch");
  assert.equal(removeCount(config({}, 20), 256, 19), Math.floor(256 * (0.25 + Math.log(20) / 12)));
  assert.equal(
    removeCount(config({ finalRatio: 0.75 }, 1), 256, 0),
    64,
    "one epoch stays at sigma0",
  );
});
