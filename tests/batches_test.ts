import assert from "node:assert/strict";
import { epochBatches } from "../lib/data/batches.ts";

Deno.test("epochBatches drops the last partial batch by default and keeps it with dropLast false", () => {
  const dropped = epochBatches(6, 4, 7, 3);
  assert.deepEqual(dropped.map((b) => b.length), [4]);
  const kept = epochBatches(6, 4, 7, 3, false);
  assert.deepEqual(kept.map((b) => b.length), [4, 2]);
  // the same shuffle: the kept batches are the dropped ones plus the rest, every index once
  assert.deepEqual(kept[0], dropped[0]);
  assert.deepEqual(kept.flat().sort(), [0, 1, 2, 3, 4, 5]);
  // a whole number of batches, or fewer images than one batch: the same either way
  assert.deepEqual(epochBatches(12, 4, 1, 0, false), epochBatches(12, 4, 1, 0));
  assert.deepEqual(epochBatches(3, 4, 1, 0, false), epochBatches(3, 4, 1, 0));
  assert.deepEqual(epochBatches(3, 4, 1, 0).map((b) => b.length), [3]);
});
