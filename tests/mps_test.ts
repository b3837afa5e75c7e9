import assert from "node:assert/strict";
import { device, noGpu, readF32, readU32 } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { kmeansCpu, kmeansGpu } from "../lib/kernels/kmeans.ts";
import { mpsMaskCpu, mpsMaskGpu } from "../lib/masking/mps.ts";
import { mpsScoresCpu, mpsScoresGpu } from "../lib/kernels/mps_scores.ts";
import { maskOrderScores } from "../lib/masking/mask_order.ts";
import { patchVectorsGpu } from "../lib/kernels/patch_vectors.ts";
import { expNonpositive, similarityCpu, similarityGpu } from "../lib/kernels/similarity.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { type ImageShape, patchify } from "../lib/patchify.ts";
import { makeRng } from "../lib/random.ts";
import { generatePhantom } from "../lib/data/phantoms.ts";

const SHAPES: ImageShape[] = [
  { batch: 3, height: 12, width: 20, channels: 1, patchSize: 4 }, // N*L = 45
  { batch: 2, height: 8, width: 8, channels: 3, patchSize: 2 }, // N*L = 32
  { batch: 1, height: 36, width: 36, channels: 1, patchSize: 4 }, // L = 81
];

/** Images with a bright square "lesion" on a noisy dark background. */
function lesionImages(shape: ImageShape, seed: number): Float32Array {
  const rng = makeRng(seed);
  const { batch, height, width, channels } = shape;
  const out = new Float32Array(batch * height * width * channels);
  for (let n = 0; n < batch; n++) {
    const y0 = Math.floor(rng.next() * height / 2), x0 = Math.floor(rng.next() * width / 2);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const inside = y >= y0 && y < y0 + height / 3 && x >= x0 && x < x0 + width / 3;
        for (let c = 0; c < channels; c++) {
          out[((n * height + y) * width + x) * channels + c] = (inside ? 0.8 : 0.2) +
            0.1 * rng.next();
        }
      }
    }
  }
  return out;
}

Deno.test({
  name: "patchVectorsGpu() equals patchify() bit for bit",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    for (const shape of SHAPES) {
      const images = lesionImages(shape, 1);
      const ib = uploadBuffer(device(), images);
      const out = patchVectorsGpu(device(), k.patchVectors, ib, shape);
      assert.deepEqual(await readF32(out, images.length), patchify(images, shape));
      ib.destroy();
      out.destroy();
    }
  },
});

Deno.test({
  name: "similarityGpu() equals similarityCpu() (1e-5 relative) and rows sum to 1",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const rng = makeRng(4);
    for (const shape of [{ batch: 3, patches: 21, dim: 6 }, { batch: 1, patches: 70, dim: 16 }]) {
      const x = Float32Array.from(
        { length: shape.batch * shape.patches * shape.dim },
        () => rng.next(),
      );
      for (const options of [{}, { centre: false, temperature: 0.5 }, { temperature: 0.01 }]) {
        const cpu = similarityCpu(x, shape, options);
        const xb = uploadBuffer(device(), x);
        const out = similarityGpu(device(), k.similarity, xb, shape, options);
        assertClose(
          await readF32(out, cpu.length),
          cpu,
          1e-5,
          `similarity ${JSON.stringify(options)}`,
        );
        xb.destroy();
        out.destroy();
        const row = cpu.slice(0, shape.patches).reduce((a, b) => a + b, 0);
        assert.ok(Math.abs(row - 1) < 1e-5, `row sum ${row}`);
      }
    }
    // all patches equal: uniform rows
    const flat = similarityCpu(new Float32Array(12).fill(0.4), { batch: 1, patches: 4, dim: 3 });
    assertClose(flat, new Array(16).fill(0.25), 1e-6);
    assert.throws(
      () =>
        similarityCpu(new Float32Array(4), { batch: 1, patches: 2, dim: 2 }, { temperature: 0 }),
      RangeError,
    );
  },
});

Deno.test({
  name: "mpsScoresGpu() equals mpsScoresCpu() (fg exact, scores 1e-5) for both orders",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const rng = makeRng(6);
    for (const shape of [{ batch: 3, patches: 37, dim: 5 }, { batch: 2, patches: 9, dim: 2 }]) {
      const inputs = [
        Float32Array.from({ length: shape.batch * shape.patches * shape.dim }, () => rng.next()),
        new Float32Array(shape.batch * shape.patches * shape.dim).fill(1), // all patches equal
      ];
      for (const x of inputs) {
        const xb = uploadBuffer(device(), x);
        const clusters = kmeansGpu(device(), k.kmeans, xb, shape);
        const cpuClusters = kmeansCpu(x, shape);
        for (const order of ["hardToEasy", "easyToHard"] as const) {
          const out = mpsScoresGpu(device(), k.mpsScores, { features: xb, ...clusters }, {
            ...shape,
            order,
          });
          const cpu = mpsScoresCpu(x, cpuClusters, shape, order);
          const count = shape.batch * shape.patches;
          assert.deepEqual(await readU32(out.fg, count), cpu.fg);
          assertClose(await readF32(out.scores, count), cpu.scores, 1e-5, `scores ${order}`);
          out.scores.destroy();
          out.fg.destroy();
        }
        for (const b of [xb, ...Object.values(clusters)]) b.destroy();
      }
    }
  },
});

Deno.test("mpsScoresCpu() gives p = 0.5 and no foreground when all patches are equal", () => {
  const shape = { batch: 1, patches: 4, dim: 2 };
  const x = new Float32Array(8).fill(3);
  const { scores, fg } = mpsScoresCpu(x, kmeansCpu(x, shape), shape);
  assert.deepEqual([...scores], [0.5, 0.5, 0.5, 0.5]);
  assert.deepEqual([...fg], [0, 0, 0, 0]);
});

Deno.test({
  name: "mpsMaskGpu() equals the CPU chain and masks the bright lesion first",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    for (const shape of SHAPES) {
      const patches = (shape.height / shape.patchSize) * (shape.width / shape.patchSize);
      const images = lesionImages(shape, 2);
      const counts = Uint32Array.from(
        { length: shape.batch },
        (_, n) => [0, Math.floor(patches / 4), patches][n % 3]!,
      );
      for (const features of ["patches", "similarity"] as const) {
        const ib = uploadBuffer(device(), images);
        const cb = uploadBuffer(device(), counts);
        const out = mpsMaskGpu(device(), k, ib, shape, { counts: cb, features });
        const cpu = mpsMaskCpu(images, shape, { counts, features });
        const count = shape.batch * patches;
        assert.deepEqual(await readU32(out.fg, count), cpu.fg, `fg ${features}`);
        assert.deepEqual(await readF32(out.mask, count), cpu.mask, `mask ${features}`);
        assertClose(await readF32(out.scores, count), cpu.scores, 1e-5, `scores ${features}`);
        for (const b of [ib, cb, out.mask, out.ranks, out.scores, out.fg]) b.destroy();
      }
      // on raw patches the lesion (bright, small) is the foreground cluster
      const x = patchify(images, shape);
      const cpu = mpsMaskCpu(images, shape, { counts });
      const dim = shape.patchSize * shape.patchSize * shape.channels;
      for (let i = 0; i < shape.batch * patches; i++) {
        const mean = x.slice(i * dim, (i + 1) * dim).reduce((a, b) => a + b, 0) / dim;
        if (mean > 0.7) assert.equal(cpu.fg[i], 1, `patch ${i} is lesion`);
        if (mean < 0.35) assert.equal(cpu.fg[i], 0, `patch ${i} is background`);
      }
    }
  },
});

Deno.test({
  name: "mpsMaskGpu() with order random equals rank_mask of random_scores",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const shape = SHAPES[0]!;
    const patches = 15;
    const images = lesionImages(shape, 3);
    const counts = Uint32Array.from([3, 7, 15]);
    const ib = uploadBuffer(device(), images);
    const cb = uploadBuffer(device(), counts);
    const out = mpsMaskGpu(device(), k, ib, shape, { counts: cb, order: "random", seed: 77 });
    const scores = maskOrderScores(new Float32Array(shape.batch * patches), {
      order: "random",
      seed: 77,
    });
    assert.deepEqual(
      await readF32(out.mask, scores.length),
      rankMaskCpu(scores, counts, patches).mask,
    );
    for (const b of [ib, cb, out.mask, out.ranks, out.scores, out.fg]) b.destroy();
  },
});

Deno.test("maskOrderScores() orders lesion first, background first, or randomly", () => {
  const p = Float32Array.from([0.9, 0.1, 0.6, 0.3]);
  const counts = Uint32Array.from([2]);
  assert.deepEqual([...rankMaskCpu(maskOrderScores(p, { order: "hardToEasy" }), counts, 4).mask], [
    1,
    0,
    1,
    0,
  ]);
  assert.deepEqual([...rankMaskCpu(maskOrderScores(p, { order: "easyToHard" }), counts, 4).mask], [
    0,
    1,
    0,
    1,
  ]);
  const r = maskOrderScores(p, { order: "random", seed: 3 });
  assert.ok(r.every((v) => v >= 0 && v < 1));
  // deno-lint-ignore no-explicit-any
  assert.throws(() => maskOrderScores(p, { order: "sideways" as any }), RangeError);
});

Deno.test({
  name:
    "MPS-AMS: similarity bit for bit, and the same masks on the GPU and the CPU path (one run, two paths)",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const size = 64, batch = 16, patchSize = 8;
    const images = new Float32Array(batch * size * size);
    for (let n = 0; n < batch; n++) images.set(generatePhantom(0, n, size).image, n * size * size);
    const shape = { batch, height: size, width: size, channels: 1, patchSize };
    const patches = (size / patchSize) ** 2;
    const counts = new Uint32Array(batch).fill(patches / 4);
    const features = mpsFeatures(images, shape);
    const ib = uploadBuffer(device(), images);
    const vb = patchVectorsGpu(device(), k.patchVectors, ib, shape);
    const dim = patchSize * patchSize;
    const sb = similarityGpu(device(), k.similarity, vb, { batch, patches, dim });
    const gpuSim = await readF32(sb, batch * patches * patches);
    const cpuSim = similarityCpu(features, { batch, patches, dim });
    let worst = 0;
    for (let i = 0; i < gpuSim.length; i++) {
      worst = Math.max(
        worst,
        Math.abs(gpuSim[i]! - cpuSim[i]!) / Math.max(1e-30, Math.abs(cpuSim[i]!)),
      );
    }
    assert.ok(worst === 0, `similarity twin differs from the kernel by ${worst} relative`);
    const cb = uploadBuffer(device(), counts);
    const gpu = mpsMaskGpu(device(), k, ib, shape, { counts: cb, features: "similarity" });
    const cpu = mpsMaskCpu(images, shape, { counts, features: "similarity" });
    assert.deepEqual(await readU32(gpu.fg, batch * patches), cpu.fg, "k-means labels");
    assert.deepEqual(await readF32(gpu.mask, batch * patches), cpu.mask, "masks");
    for (const b of [ib, vb, sb, cb, gpu.mask, gpu.ranks, gpu.scores, gpu.fg]) b.destroy();
  },
});

function mpsFeatures(images: Float32Array, shape: ImageShape): Float32Array {
  return patchify(images, shape);
}

Deno.test("expNonpositive() is e^x within 2 f32 ulp on [-86, 0] and 0 below", () => {
  let worst = 0;
  for (let i = 0; i <= 8600; i++) {
    const x = Math.fround(-i / 100);
    const e = expNonpositive(x), exact = Math.exp(x);
    worst = Math.max(worst, Math.abs(e - exact) / (exact * 2 ** -23));
  }
  assert.ok(worst <= 2, `worst error ${worst} ulp`);
  assert.equal(expNonpositive(-87), 0);
  assert.equal(expNonpositive(0), 1);
});
