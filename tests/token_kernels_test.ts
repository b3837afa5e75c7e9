import assert from "node:assert/strict";
import { device, noGpu, readF32, readU32 } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { randomScoresCpu } from "../lib/kernels/random_scores.ts";
import { tokenIdsCpu, tokenIdsGpu } from "../lib/kernels/token_ids.ts";
import { tokenGatherCpu, tokenGatherGpu } from "../lib/kernels/token_gather.ts";
import { tokenLossCpu, tokenLossGpu } from "../lib/kernels/token_loss.ts";
import { tokenLossGradCpu, tokenLossGradGpu } from "../lib/kernels/token_loss_grad.ts";
import { flatGrid } from "../lib/kernels/_flat_grid.ts";
import { patchLossCpu } from "../lib/kernels/patch_loss.ts";
import { patchLossGradCpu } from "../lib/kernels/patch_loss_grad.ts";
import { type ImageShape, patchify, unpatchify } from "../lib/patchify.ts";
import { makeRng } from "../lib/random.ts";

const uniform = (n: number, seed: number, lo = -1, hi = 1) => {
  const rng = makeRng(seed);
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * rng.next());
};

/** A random mask removing `remove` of `patches` tokens in every sample. */
function randomMask(batch: number, patches: number, remove: number, seed: number): Float32Array {
  const counts = new Uint32Array(batch).fill(remove);
  return rankMaskCpu(randomScoresCpu(batch * patches, seed), counts, patches).mask;
}

Deno.test("tokenIdsCpu() gives MAE's ids: kept first, ids_restore inverts the order", () => {
  const batch = 3, patches = 20, remove = 15, keep = patches - remove;
  const mask = randomMask(batch, patches, remove, 4);
  const { idsKeep, idsRestore } = tokenIdsCpu(mask, { batch, patches, keep });
  for (let n = 0; n < batch; n++) {
    const restore = [...idsRestore.slice(n * patches, (n + 1) * patches)];
    assert.deepEqual([...restore].sort((a, b) => a - b), [...Array(patches).keys()], "permutation");
    for (let l = 0; l < patches; l++) {
      // a token is among the first K exactly when it is kept
      assert.equal(restore[l]! < keep, mask[n * patches + l] === 0, `sample ${n} token ${l}`);
    }
    for (let k = 0; k < keep; k++) {
      const l = idsKeep[n * keep + k]!;
      assert.equal(restore[l], k, "idsKeep[k] is the token at position k");
    }
  }
  assert.throws(() => tokenIdsCpu(mask, { batch, patches, keep: keep + 1 }), /keeps 5 tokens/);
});

Deno.test("tokenGatherCpu() by idsKeep then by idsRestore puts kept tokens back and zeros the rest", () => {
  const batch = 2, patches = 9, dim = 3, keep = 4;
  const mask = randomMask(batch, patches, patches - keep, 8);
  const { idsKeep, idsRestore } = tokenIdsCpu(mask, { batch, patches, keep });
  const x = uniform(batch * patches * dim, 1);
  const visible = tokenGatherCpu(x, idsKeep, { batch, rows: patches, count: keep, dim });
  const back = tokenGatherCpu(visible, idsRestore, { batch, rows: keep, count: patches, dim });
  const expected = x.map((v, i) => (mask[Math.floor(i / dim)] === 0 ? v : 0));
  assert.deepEqual(back, expected);
});

Deno.test("tokenLossCpu() and its gradient equal patch_loss on the unpatchified prediction", () => {
  const shape: ImageShape = { batch: 2, height: 8, width: 12, channels: 2, patchSize: 4 };
  const count = 2 * 8 * 12 * 2;
  const image = uniform(count, 2);
  const predImage = uniform(count, 3);
  const tokens = patchify(predImage, shape); // [N, L, P*P*C], MAE's order
  for (const normPix of [false, true]) {
    for (const power of [1, 2] as const) {
      const ours = tokenLossCpu(tokens, image, shape, { power, normPix });
      const ref = patchLossCpu(predImage, image, shape, { power, normPix });
      assertClose(ours.loss, ref.loss, 1e-6, `loss power ${power} normPix ${normPix}`);
      assertClose(ours.stats, ref.stats, 1e-6, "stats");
      const dy = uniform(2 * 6, 5);
      const grad = tokenLossGradCpu(tokens, image, ours.stats, dy, { ...shape, power });
      const refGrad = patchLossGradCpu(predImage, image, ref.stats, dy, { ...shape, power });
      assertClose(unpatchify(grad, shape), refGrad, 1e-6, "grad");
    }
  }
});

Deno.test("flatGrid() stays within 65535 workgroups per axis and covers the count", () => {
  for (const count of [0, 1, 64, 65535 * 64, 65535 * 64 + 1, 10_000_000, 200_000_000]) {
    const [x, y] = flatGrid(count, 64);
    assert.ok(x <= 65535 && y <= 65535, `${count}: ${x} x ${y}`);
    assert.ok(x * y * 64 >= count, `${count} covered`);
  }
});

Deno.test({
  name: "tokenIdsGpu() and tokenGatherGpu() equal their TS twins exactly",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    for (const [batch, patches, keep, dim] of [[3, 49, 12, 5], [2, 64, 16, 33], [1, 1, 1, 1]]) {
      const mask = randomMask(batch!, patches!, patches! - keep!, batch! * 7 + patches!);
      const m = uploadBuffer(device(), mask);
      const ids = tokenIdsGpu(device(), k.tokenIds, m, {
        batch: batch!,
        patches: patches!,
        keep: keep!,
      });
      const cpu = tokenIdsCpu(mask, { batch: batch!, patches: patches!, keep: keep! });
      assert.deepEqual(await readU32(ids.idsKeep, batch! * keep!), cpu.idsKeep, "idsKeep");
      assert.deepEqual(
        await readU32(ids.idsRestore, batch! * patches!),
        cpu.idsRestore,
        "idsRestore",
      );

      const x = uniform(batch! * patches! * dim!, 9);
      const xb = uploadBuffer(device(), x);
      const shapeKeep = { batch: batch!, rows: patches!, count: keep!, dim: dim! };
      const visible = tokenGatherGpu(
        device(),
        k.tokenGather,
        { src: xb, ids: ids.idsKeep },
        shapeKeep,
      );
      const visibleCpu = tokenGatherCpu(x, cpu.idsKeep, shapeKeep);
      assert.deepEqual(await readF32(visible, visibleCpu.length), visibleCpu, "keep");
      const shapeBack = { batch: batch!, rows: keep!, count: patches!, dim: dim! };
      const back = tokenGatherGpu(
        device(),
        k.tokenGather,
        { src: visible, ids: ids.idsRestore },
        shapeBack,
      );
      const backCpu = tokenGatherCpu(visibleCpu, cpu.idsRestore, shapeBack);
      assert.deepEqual(await readF32(back, backCpu.length), backCpu, "restore");
      for (const b of [m, ids.idsKeep, ids.idsRestore, xb, visible, back]) b.destroy();
    }
  },
});

Deno.test({
  name: "tokenLossGpu() and tokenLossGradGpu() equal their TS twins to 1e-5",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const shape: ImageShape = { batch: 3, height: 16, width: 24, channels: 2, patchSize: 8 };
    const patches = 6, size = 128;
    const image = uniform(3 * 16 * 24 * 2, 11);
    const pred = uniform(3 * patches * size, 12);
    const dy = uniform(3 * patches, 13);
    const bufs = [image, pred, dy].map((a) => uploadBuffer(device(), a));
    const [imageB, predB, dyB] = bufs as [GPUBuffer, GPUBuffer, GPUBuffer];
    for (const normPix of [false, true]) {
      for (const power of [1, 2] as const) {
        const what = `power ${power} normPix ${normPix}`;
        const cpu = tokenLossCpu(pred, image, shape, { power, normPix });
        const gpu = tokenLossGpu(device(), k.tokenLoss, { pred: predB, target: imageB }, shape, {
          power,
          normPix,
        });
        assertClose(await readF32(gpu.loss, cpu.loss.length), cpu.loss, 1e-5, `loss ${what}`);
        assertClose(await readF32(gpu.stats, cpu.stats.length), cpu.stats, 1e-5, `stats ${what}`);
        const gradCpu = tokenLossGradCpu(pred, image, cpu.stats, dy, { ...shape, power });
        const grad = tokenLossGradGpu(device(), k.tokenLossGrad, {
          pred: predB,
          target: imageB,
          stats: gpu.stats,
          dy: dyB,
        }, { ...shape, power });
        assertClose(await readF32(grad, gradCpu.length), gradCpu, 1e-5, `grad ${what}`);
        for (const b of [gpu.loss, gpu.stats, grad]) b.destroy();
      }
    }
    for (const b of bufs) b.destroy();
  },
});
