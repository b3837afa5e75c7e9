import assert from "node:assert/strict";
import { meanWhere, outerRing, patchStd } from "../lib/masking/patch_stats.ts";
import { assertClose } from "./_assert.ts";

Deno.test("patchStd() is the population std of each patch's pixels", () => {
  // 2 x 4 image, patch 2: left patch [0, 2, 0, 2] (std 1), right patch flat
  const img = Float32Array.from([0, 2, 5, 5, 0, 2, 5, 5]);
  const s = patchStd(img, { batch: 1, height: 2, width: 4, channels: 1, patchSize: 2 });
  assertClose(s, [1, 0], 1e-12);
  // a batch of 2: the second image's patches are separate rows of the output
  const two = patchStd(
    Float32Array.from([...img, 1, 1, 0, 4, 1, 1, 0, 4]),
    { batch: 2, height: 2, width: 4, channels: 1, patchSize: 2 },
  );
  assertClose(two, [1, 0, 0, 2], 1e-12);
  assert.throws(
    () => patchStd(img, { batch: 1, height: 2, width: 4, channels: 1, patchSize: 3 }),
    RangeError,
  );
});

Deno.test("outerRing() marks the first and last rows and columns", () => {
  assert.deepEqual([...outerRing({ gh: 3, gw: 4 })], [1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1]);
  assert.equal(outerRing({ gh: 8, gw: 8 }).reduce((a, b) => a + b, 0), 28);
});

Deno.test("meanWhere() averages the selected patches per sample, NaN when none", () => {
  const m = meanWhere([1, 2, 3, 4, 5, 6], Float32Array.from([0, 1, 1, 0, 0, 0]), 3);
  assert.equal(m[0], 2.5);
  assert.ok(Number.isNaN(m[1]));
  assert.throws(() => meanWhere([1, 2, 3], [1, 1], 3), RangeError);
});
