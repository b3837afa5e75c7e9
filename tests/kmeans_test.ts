import assert from "node:assert/strict";
import { device, noGpu, readF32, readU32 } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { type FeatureShape, kmeansCpu, kmeansGpu } from "../lib/kernels/kmeans.ts";
import { makeRng } from "../lib/random.ts";

async function compareKmeans(features: Float32Array, shape: FeatureShape, maxIter?: number) {
  const k = await loadKernels(device());
  const fb = uploadBuffer(device(), features);
  const options = maxIter === undefined ? {} : { maxIter };
  const out = kmeansGpu(device(), k.kmeans, fb, shape, options);
  const cpu = kmeansCpu(features, shape, options);
  const what = JSON.stringify(shape);
  assert.deepEqual(await readU32(out.labels, cpu.labels.length), cpu.labels, `labels ${what}`);
  assert.deepEqual(await readU32(out.sizes, cpu.sizes.length), cpu.sizes, `sizes ${what}`);
  assert.deepEqual(
    await readU32(out.iterations, shape.batch),
    cpu.iterations,
    `iterations ${what}`,
  );
  assertClose(await readF32(out.centres, cpu.centres.length), cpu.centres, 1e-5, `centres ${what}`);
  for (const b of [fb, out.centres, out.labels, out.sizes, out.iterations]) b.destroy();
  return cpu;
}

/** Two blobs per sample: a few bright vectors among many dark ones. */
function blobs(shape: FeatureShape, seed: number): Float32Array {
  const rng = makeRng(seed);
  const x = new Float32Array(shape.batch * shape.patches * shape.dim);
  for (let r = 0; r < shape.batch * shape.patches; r++) {
    const bright = rng.next() < 0.2;
    for (let d = 0; d < shape.dim; d++) {
      x[r * shape.dim + d] = (bright ? 0.8 : 0.2) + 0.3 * rng.next();
    }
  }
  return x;
}

Deno.test({
  name: "kmeansGpu() equals kmeansCpu() on random inputs (labels exact, centres 1e-5)",
  ignore: noGpu,
  async fn() {
    const rng = makeRng(21);
    for (
      const shape of [
        { batch: 3, patches: 37, dim: 5 }, // N*L not a multiple of 64
        { batch: 2, patches: 64, dim: 16 },
        { batch: 1, patches: 130, dim: 3 }, // L > workgroup size, not a multiple
        { batch: 4, patches: 7, dim: 70 }, // D > workgroup size
      ]
    ) {
      const uniform = Float32Array.from(
        { length: shape.batch * shape.patches * shape.dim },
        () => rng.next(),
      );
      await compareKmeans(uniform, shape);
      await compareKmeans(blobs(shape, 5), shape);
      await compareKmeans(uniform, shape, 1); // stopped by the cap
    }
  },
});

Deno.test({
  name: "kmeansGpu() edge cases: all vectors equal, a single vector, maxIter 0",
  ignore: noGpu,
  async fn() {
    const flat = await compareKmeans(new Float32Array(2 * 70 * 4).fill(0.5), {
      batch: 2,
      patches: 70,
      dim: 4,
    });
    assert.deepEqual([...flat.sizes], [70, 0, 70, 0]); // cluster 1 stays empty
    assert.deepEqual([...flat.iterations], [1, 1]);
    await compareKmeans(Float32Array.from([0.3, 0.7]), { batch: 1, patches: 1, dim: 2 });
    await compareKmeans(blobs({ batch: 2, patches: 40, dim: 3 }, 8), {
      batch: 2,
      patches: 40,
      dim: 3,
    }, 0);
  },
});

Deno.test("kmeansCpu() separates two blobs and converges below the cap", () => {
  const x = Float32Array.from([0.1, 0.12, 0.9, 0.11, 0.95, 0.13, 0.09]);
  const r = kmeansCpu(x, { batch: 1, patches: 7, dim: 1 });
  assert.deepEqual([...r.labels], [0, 0, 1, 0, 1, 0, 0]);
  assert.deepEqual([...r.sizes], [5, 2]);
  assert.ok((r.iterations[0] as number) < 20);
  assertClose(r.centres, [0.11, 0.925], 1e-6);
});

Deno.test("kmeansCpu() keeps an empty cluster's centre and rejects bad shapes", () => {
  const r = kmeansCpu(new Float32Array(6).fill(2), { batch: 1, patches: 3, dim: 2 });
  assert.deepEqual([...r.labels], [0, 0, 0]);
  assert.deepEqual([...r.centres], [2, 2, 2, 2]);
  assert.throws(() => kmeansCpu(new Float32Array(5), { batch: 1, patches: 3, dim: 2 }), RangeError);
  assert.throws(() => kmeansCpu(new Float32Array(0), { batch: 1, patches: 0, dim: 2 }), RangeError);
});
