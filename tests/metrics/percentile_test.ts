import assert from "node:assert/strict";
import { percentile } from "../../lib/metrics/percentile.ts";

Deno.test("percentile() reproduces numpy's default linear np.percentile", () => {
  // Values printed by numpy 1.24: np.percentile(x, q)
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95), 9.549999999999999);
  assert.equal(percentile([3, 1, 2], 95), 2.9);
  assert.equal(percentile([0, 1, 1.4142135623730951, 2], 95), 1.912132034355964);
  assert.equal(percentile([5], 95), 5);
  assert.equal(percentile([4, 1, 3, 2], 0), 1);
  assert.equal(percentile([4, 1, 3, 2], 100), 4);
});

Deno.test("percentile() leaves its input unsorted and rejects empty input or bad q", () => {
  const v = [3, 1, 2];
  percentile(v, 50);
  assert.deepEqual(v, [3, 1, 2]);
  assert.throws(() => percentile([], 95), RangeError);
  assert.throws(() => percentile([1], 101), {
    name: "RangeError",
    message: "Cannot compute percentile: q must be in [0, 100], got 101",
  });
  assert.throws(() => percentile([1, NaN], 50), RangeError);
});
