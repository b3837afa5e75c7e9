import assert from "node:assert/strict";
import { device, noGpu, readF32 } from "./_gpu.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { hpmHardCount } from "../lib/masking/hpm.ts";
import { hpmScoresCpu, hpmScoresGpu } from "../lib/kernels/hpm_scores.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { makeRng } from "../lib/random.ts";

Deno.test("hpmHardCount() is floor(0.5 * t / T * count)", () => {
  assert.equal(hpmHardCount(40, 0), 0);
  assert.equal(hpmHardCount(40, 0.5), 10);
  assert.equal(hpmHardCount(40, 1), 20);
  assert.equal(hpmHardCount(10, 0.6), 3);
  assert.equal(hpmHardCount(40, 1, 1), 40);
  assert.equal(hpmHardCount(0, 1), 0);
  assert.throws(() => hpmHardCount(40, 1.5), RangeError);
  assert.throws(() => hpmHardCount(40, 0.5, 2), RangeError);
});

Deno.test({
  name: "hpmScoresGpu() equals hpmScoresCpu() bit for bit",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const rng = makeRng(12);
    for (const [batch, patches] of [[3, 37], [1, 1], [2, 64]] as const) {
      const predicted = Float32Array.from({ length: batch * patches }, () => rng.next());
      const hard = Uint32Array.from(
        { length: batch },
        (_, n) => [0, Math.floor(patches / 3), patches][n % 3]!,
      );
      const { ranks } = rankMaskCpu(predicted, hard, patches);
      const rb = uploadBuffer(device(), ranks);
      const hb = uploadBuffer(device(), hard);
      const out = hpmScoresGpu(device(), k.hpmScores, { ranks: rb, hard: hb }, {
        batch,
        patches,
        seed: 99,
      });
      assert.deepEqual(
        await readF32(out, ranks.length),
        hpmScoresCpu(ranks, hard, { patches, seed: 99 }),
      );
      for (const b of [rb, hb, out]) b.destroy();
    }
  },
});

Deno.test("hpmScoresCpu() + rank_mask removes the hard[n] hardest and count - hard random patches", () => {
  const rng = makeRng(2);
  const patches = 50, count = 20;
  const predicted = Float32Array.from({ length: 2 * patches }, () => rng.next());
  for (const progress of [0, 0.4, 1]) {
    const h = hpmHardCount(count, progress);
    const hard = Uint32Array.from([h, h]);
    const { ranks } = rankMaskCpu(predicted, hard, patches);
    const scores = hpmScoresCpu(ranks, hard, { patches, seed: 5 });
    const { mask } = rankMaskCpu(scores, Uint32Array.from([count, count]), patches);
    for (let n = 0; n < 2; n++) {
      let removed = 0, hardRemoved = 0;
      for (let l = n * patches; l < (n + 1) * patches; l++) {
        removed += mask[l] as number;
        if ((ranks[l] as number) < h) hardRemoved += mask[l] as number;
      }
      assert.equal(removed, count);
      assert.equal(hardRemoved, h, `all ${h} hardest removed at progress ${progress}`);
    }
  }
});
