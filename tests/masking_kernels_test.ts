import assert from "node:assert/strict";
import { device, noGpu, readF32, readU32 } from "./_gpu.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { randomScoresCpu, randomScoresGpu } from "../lib/kernels/random_scores.ts";
import { rankMaskCpu, rankMaskGpu } from "../lib/kernels/rank_mask.ts";
import { applyMaskCpu, applyMaskGpu } from "../lib/kernels/apply_mask.ts";
import { makeRng } from "../lib/random.ts";

Deno.test({
  name: "randomScoresGpu() equals randomScoresCpu() bit for bit",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    for (const [count, seed] of [[1, 0], [63, 1], [64, 2], [1000, 0xffffffff]] as const) {
      const buffer = randomScoresGpu(device(), k.randomScores, count, seed);
      const gpu = await readF32(buffer, count);
      buffer.destroy();
      assert.deepEqual(gpu, randomScoresCpu(count, seed), `count ${count} seed ${seed}`);
    }
  },
});

Deno.test("randomScoresCpu() is uniform enough and seed-dependent", () => {
  const a = randomScoresCpu(20000, 5);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  assert.ok(Math.abs(mean - 0.5) < 0.01, `mean ${mean}`);
  assert.notDeepEqual(a.slice(0, 10), randomScoresCpu(10, 6));
});

async function compareRankMask(scores: Float32Array, counts: Uint32Array, patches: number) {
  const k = await loadKernels(device());
  const s = uploadBuffer(device(), scores);
  const c = uploadBuffer(device(), counts);
  const out = rankMaskGpu(device(), k.rankMask, { scores: s, counts: c }, {
    batch: counts.length,
    patches,
  });
  const mask = await readF32(out.mask, scores.length);
  const ranks = await readU32(out.ranks, scores.length);
  for (const b of [s, c, out.mask, out.ranks]) b.destroy();
  const cpu = rankMaskCpu(scores, counts, patches);
  assert.deepEqual(mask, cpu.mask);
  assert.deepEqual(ranks, cpu.ranks);
  return cpu;
}

Deno.test({
  name: "rankMaskGpu() equals rankMaskCpu() on random inputs and edge cases",
  ignore: noGpu,
  async fn() {
    const rng = makeRng(3);
    // random scores, N*L not a multiple of 64, counts 0..L
    const batch = 5, patches = 37;
    const scores = Float32Array.from({ length: batch * patches }, () => rng.next());
    const counts = Uint32Array.from([0, 1, 18, 36, 37]);
    const cpu = await compareRankMask(scores, counts, patches);
    for (let n = 0; n < batch; n++) {
      const removed = cpu.mask.slice(n * patches, (n + 1) * patches).reduce((a, b) => a + b, 0);
      assert.equal(removed, counts[n], `sample ${n} removes exactly counts[n]`);
    }
    // all scores equal: ties go to the lower index
    const flat = await compareRankMask(new Float32Array(16).fill(0.5), Uint32Array.from([4]), 16);
    assert.deepEqual([...flat.mask], [1, 1, 1, 1, ...new Array(12).fill(0)]);
    // a single patch
    await compareRankMask(Float32Array.from([0.3]), Uint32Array.from([1]), 1);
  },
});

Deno.test("rankMaskCpu() removes the highest scores and rejects a size mismatch", () => {
  const { mask, ranks } = rankMaskCpu(
    Float32Array.from([0.2, 0.9, 0.5, 0.1]),
    Uint32Array.from([2]),
    4,
  );
  assert.deepEqual([...mask], [0, 1, 1, 0]);
  assert.deepEqual([...ranks], [2, 0, 1, 3]);
  assert.throws(() => rankMaskCpu(new Float32Array(5), new Uint32Array(2), 3), RangeError);
});

Deno.test({
  name: "applyMaskGpu() equals applyMaskCpu() for several shapes and fills",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const rng = makeRng(9);
    for (
      const shape of [
        { batch: 2, height: 8, width: 12, channels: 1, patchSize: 4 },
        { batch: 3, height: 6, width: 6, channels: 2, patchSize: 3 },
        { batch: 1, height: 5, width: 5, channels: 1, patchSize: 5 },
      ]
    ) {
      const count = shape.batch * shape.height * shape.width * shape.channels;
      const patches = (shape.height / shape.patchSize) * (shape.width / shape.patchSize);
      const images = Float32Array.from({ length: count }, () => rng.next() * 2 - 1);
      const mask = Float32Array.from(
        { length: shape.batch * patches },
        () => rng.next() < 0.5 ? 1 : 0,
      );
      for (const fill of [0, -1.5]) {
        const ib = uploadBuffer(device(), images);
        const mb = uploadBuffer(device(), mask);
        const out = applyMaskGpu(device(), k.applyMask, { images: ib, mask: mb }, shape, fill);
        const gpu = await readF32(out, count);
        for (const b of [ib, mb, out]) b.destroy();
        assert.deepEqual(gpu, applyMaskCpu(images, mask, shape, fill));
      }
    }
  },
});

Deno.test("applyMaskCpu() blanks exactly the removed patches", () => {
  const shape = { batch: 1, height: 2, width: 4, channels: 1, patchSize: 2 };
  const out = applyMaskCpu(
    Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
    Float32Array.from([0, 1]),
    shape,
  );
  assert.deepEqual([...out], [1, 2, 0, 0, 5, 6, 0, 0]);
});
