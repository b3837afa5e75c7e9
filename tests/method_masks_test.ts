import assert from "node:assert/strict";
import { DRAWN_MASK_METHODS, methodMasks } from "../lib/masking/method_masks.ts";
import { randomScoresCpu } from "../lib/kernels/random_scores.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { makeRng } from "../lib/random.ts";

/**
 * 2 images 16 x 16, patch 4: a 2-patch "lesion" whose patches hold a strong
 * edge (bright left half, dark right half) in faint noise, so it stands out
 * both in raw patch vectors (MPS) and in the centred covariance (MPS-AMS,
 * which ignores patch means).
 */
function images(): { pixels: Float32Array; lesion: number[][] } {
  const rng = makeRng(9);
  const pixels = Float32Array.from({ length: 2 * 256 }, () => 0.5 + 0.05 * rng.next());
  const lesion = [[5, 6], [8, 12]]; // patch indices (grid 4 x 4)
  lesion.forEach((patches, n) => {
    for (const l of patches) {
      const y0 = Math.floor(l / 4) * 4, x0 = (l % 4) * 4;
      for (let y = y0; y < y0 + 4; y++) {
        for (let x = x0; x < x0 + 4; x++) pixels[n * 256 + y * 16 + x]! += x - x0 < 2 ? 0.4 : -0.4;
      }
    }
  });
  return { pixels, lesion };
}

const SHAPE = { batch: 2, height: 16, width: 16, channels: 1, patchSize: 4 };

Deno.test("methodMasks() lesion-first orders remove the lesion, lesion-last orders avoid it", () => {
  const { pixels, lesion } = images();
  const out = methodMasks(pixels, SHAPE, { count: 2 });
  assert.deepEqual(out.map((o) => o.method), DRAWN_MASK_METHODS.map((m) => m.method));
  for (const { method, mask } of out) {
    for (let n = 0; n < 2; n++) {
      const own = [...mask.slice(n * 16, (n + 1) * 16)];
      const removed = own.flatMap((v, l) => (v === 1 ? [l] : []));
      assert.equal(removed.length, 2, `${method} sample ${n}`);
      if (method === "mps" || method === "mps_ams") assert.deepEqual(removed, lesion[n], method);
      if (method === "mps+easyToHard" || method === "mps_ams+easyToHard") {
        assert.ok(removed.every((l) => !lesion[n]!.includes(l)), `${method} removed the lesion`);
      }
    }
  }
});

Deno.test("methodMasks() random is MAE's noise argsort with the given seed", () => {
  const { pixels } = images();
  const [random] = methodMasks(pixels, SHAPE, { count: 5, seed: 77, methods: ["random"] });
  const want = rankMaskCpu(randomScoresCpu(32, 77), new Uint32Array([5, 5]), 16).mask;
  assert.deepEqual(random!.mask, want);
  const [other] = methodMasks(pixels, SHAPE, { count: 5, seed: 78, methods: ["random"] });
  assert.notDeepEqual(other!.mask, want);
  assert.throws(() => methodMasks(pixels, SHAPE, { count: 17 }), RangeError);
});
