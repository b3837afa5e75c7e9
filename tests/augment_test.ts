import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { device, gpu, noGpu, readF32 } from "./_gpu.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { augmentViews } from "../lib/data/augment.ts";
import { assertClose } from "./_assert.ts";
import { loadShader } from "../lib/gpu/shader.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import {
  AUGMENT_VIEWS,
  type AugmentShape,
  augmentViewsCpu,
  augmentViewsGpu,
  VIEW_PARAMS,
} from "../lib/kernels/augment_views.ts";
import { type AugmentOptions, drawViewParams } from "../lib/data/augment_params.ts";
import { makeRng } from "../lib/random.ts";

const OPTIONS: AugmentOptions = {
  cropMinScale: 0.4,
  cropMaxRatio: 4 / 3,
  flipHorizontal: 0.5,
  flipVertical: 0.5,
  rotateDegrees: 15,
  jitterProbability: 0.8,
  brightness: 0.2,
  contrast: 0.2,
  gamma: 1.5,
  blurProbability: 0.5,
  blurSigma: 1,
  noiseProbability: 0.5,
  noiseStd: 0.1,
};
const NOTHING: AugmentOptions = {
  ...OPTIONS,
  cropMinScale: 1,
  cropMaxRatio: 1,
  flipHorizontal: 0,
  flipVertical: 0,
  rotateDegrees: 0,
  jitterProbability: 0,
  blurProbability: 0,
  noiseProbability: 0,
};

/** A seeded random image batch and its per-image, per-channel min, max, mean. */
function batch(n: number, size: number, channels = 1, seed = 3) {
  const rng = makeRng(seed);
  const images = Float32Array.from(
    { length: n * size * size * channels },
    () => rng.next() * 4 - 2,
  );
  const stats = new Float32Array(n * channels * 3);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < channels; c++) {
      let lo = Infinity, hi = -Infinity, sum = 0;
      for (let p = 0; p < size * size; p++) {
        const v = images[(i * size * size + p) * channels + c]!;
        lo = Math.min(lo, v), hi = Math.max(hi, v), sum += v;
      }
      stats.set([lo, hi, sum / (size * size)], (i * channels + c) * 3);
    }
  }
  return { images, stats };
}

/** One parameter row per view: `[a00, a01, a02, a10, a11, a12, gamma, contrast, brightness, sigma, noise]`. */
function rows(...views: number[][]): Float32Array {
  const out = new Float32Array(views.length * VIEW_PARAMS);
  views.forEach((v, i) => out.set(v, i * VIEW_PARAMS));
  return out;
}
const IDENTITY = [1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0];

Deno.test("augmentViewsCpu() is the identity for identity rows, and flips and rotates exactly", () => {
  const size = 8;
  const { images, stats } = batch(2, size);
  const shape: AugmentShape = { batch: 2, views: 4, height: size, width: size, channels: 1 };
  // views 0, 1: identity; view 2: horizontal flip of image 0; view 3: 90 degrees of image 1
  const flip = [-1, 0, size, 0, 1, 0, 1, 1, 0, 0, 0];
  const rot90 = [0, -1, size, 1, 0, 0, 1, 1, 0, 0, 0]; // source (x, y) = (W - oy, ox)
  const out = augmentViewsCpu(images, rows(IDENTITY, IDENTITY, flip, rot90), stats, shape, 1);
  const plane = size * size;
  assert.deepEqual(out.subarray(0, 2 * plane), images);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      assert.equal(out[2 * plane + y * size + x], images[y * size + (size - 1 - x)], "flip");
      const rotated = images[plane + x * size + (size - 1 - y)]!;
      assertClose([out[3 * plane + y * size + x]!], [rotated], 1e-5, "rotation");
    }
  }
});

Deno.test("augmentViewsCpu() applies brightness, contrast, gamma, blur and noise as specified", () => {
  const size = 16;
  const { images, stats } = batch(1, size);
  const shape: AugmentShape = { batch: 1, views: 1, height: size, width: size, channels: 1 };
  const [lo, hi, mean] = stats as unknown as [number, number, number];
  const one = (row: number[], seed = 0) => augmentViewsCpu(images, rows(row), stats, shape, seed);
  const set = (i: number, v: number) => IDENTITY.map((x, k) => (k === i ? v : x));
  assertClose(one(set(8, 0.3)), images.map((v) => v + 0.3), 1e-6, "brightness");
  assertClose(one(set(7, 1.5)), images.map((v) => mean + 1.5 * (v - mean)), 1e-5, "contrast");
  const gamma = images.map((v) => lo + (hi - lo) * ((v - lo) / (hi - lo)) ** 2);
  assertClose(one(set(6, 2)), gamma, 1e-5, "gamma");
  // blur: a constant image stays constant; a random one gets smoother (smaller neighbour steps)
  const constant = augmentViewsCpu(
    new Float32Array(size * size).fill(0.7),
    rows(set(9, 1)),
    Float32Array.from([0.7, 0.7, 0.7]),
    shape,
    0,
  );
  assertClose(constant, new Float32Array(size * size).fill(0.7), 1e-6, "blurred constant");
  const roughness = (a: Float32Array) => a.slice(1).reduce((s, v, i) => s + Math.abs(v - a[i]!), 0);
  assert.ok(roughness(one(set(9, 1))) < 0.5 * roughness(images), "blur smooths");
  // noise: zero mean, the requested std, a function of the seed only
  const noise = one(set(10, 0.5), 9).map((v, i) => v - images[i]!);
  const m = noise.reduce((s, v) => s + v, 0) / noise.length;
  const sd = Math.sqrt(noise.reduce((s, v) => s + (v - m) ** 2, 0) / noise.length);
  assert.ok(Math.abs(m) < 0.1 && Math.abs(sd - 0.5) < 0.1, `noise mean ${m}, std ${sd}`);
  assert.deepEqual(one(set(10, 0.5), 9), one(set(10, 0.5), 9));
  assert.notDeepEqual(one(set(10, 0.5), 9), one(set(10, 0.5), 10));
  assert.throws(
    () => augmentViewsCpu(images, rows(IDENTITY), stats, { ...shape, views: 3, batch: 2 }, 0),
    /3 views are not a multiple of 2/,
  );
});

Deno.test("drawViewParams() is a function of the seed; each view has its own stream", () => {
  const shape = { batch: 4, views: 2, height: 64, width: 64 };
  const a = drawViewParams(OPTIONS, shape, 11);
  assert.deepEqual(a, drawViewParams(OPTIONS, shape, 11));
  assert.notDeepEqual(a, drawViewParams(OPTIONS, shape, 12));
  // the two views of an image differ; image 1's rows do not depend on the batch size
  assert.notDeepEqual(a.subarray(0, VIEW_PARAMS), a.subarray(4 * VIEW_PARAMS, 5 * VIEW_PARAMS));
  const bigger = drawViewParams(OPTIONS, { ...shape, batch: 6 }, 11);
  assert.deepEqual(
    bigger.subarray(VIEW_PARAMS, 2 * VIEW_PARAMS),
    a.subarray(VIEW_PARAMS, 2 * VIEW_PARAMS),
  );
  // nothing enabled: identity rows
  const none = drawViewParams(NOTHING, shape, 11);
  for (let v = 0; v < 8; v++) {
    assertClose(none.subarray(v * VIEW_PARAMS, v * VIEW_PARAMS + 11), IDENTITY, 1e-6, `view ${v}`);
  }
});

Deno.test("drawViewParams() crops inside the image with the drawn area and ratio ranges", () => {
  const shape = { batch: 64, views: 2, height: 64, width: 48 };
  const params = drawViewParams({ ...OPTIONS, rotateDegrees: 0 }, shape, 5);
  let flips = 0;
  for (let v = 0; v < 128; v++) {
    const [a00, a01, a02, a10, a11, a12] = params.subarray(v * VIEW_PARAMS);
    assert.ok(a01 === 0 && a10 === 0, "no rotation");
    if (a00! < 0) flips++;
    // the crop's corners (source positions of the output corners) lie in the image
    const xs = [a02!, a00! * 48 + a02!], ys = [a12!, a11! * 64 + a12!];
    for (const x of xs) assert.ok(x >= -1e-4 && x <= 48 + 1e-4, `view ${v}: x ${x}`);
    for (const y of ys) assert.ok(y >= -1e-4 && y <= 64 + 1e-4, `view ${v}: y ${y}`);
    const area = Math.abs(a00! * 48 * a11! * 64) / (48 * 64);
    // area s * A, or less where a side is clamped to the image (never below cropMinScale)
    assert.ok(area >= 0.4 - 1e-6 && area <= 1 + 1e-6, `view ${v}: area ${area}`);
  }
  assert.ok(flips > 40 && flips < 88, `${flips} of 128 flipped`);
});

Deno.test("drawViewParams() + augmentViewsCpu(): same seed, same views; another seed, other views", () => {
  const size = 32;
  const { images, stats } = batch(3, size);
  const shape = { batch: 3, views: 6, height: size, width: size, channels: 1 };
  const views = (seed: number) =>
    augmentViewsCpu(
      images,
      drawViewParams(OPTIONS, { batch: 3, views: 2, height: size, width: size }, seed),
      stats,
      shape,
      seed,
    );
  const a = views(1);
  assert.deepEqual(a, views(1));
  assert.notDeepEqual(a, views(2));
  assert.ok(a.every(Number.isFinite));
});

Deno.test({
  name: "augment_views.wgsl equals its TS twin",
  ignore: noGpu,
  async fn() {
    const size = 32, n = 3, channels = 2;
    const { images, stats } = batch(n, size, channels);
    const params = drawViewParams(
      { ...OPTIONS, blurProbability: 0.7, noiseProbability: 0.7 },
      { batch: n, views: 2, height: size, width: size },
      21,
    );
    const shape = { batch: n, views: 2 * n, height: size, width: size, channels };
    const expected = augmentViewsCpu(images, params, stats, shape, 77);
    const pipeline = await loadShader(device(), AUGMENT_VIEWS.name, AUGMENT_VIEWS);
    const buffers = {
      images: uploadBuffer(device(), images),
      params: uploadBuffer(device(), params),
      stats: uploadBuffer(device(), stats),
    };
    const out = augmentViewsGpu(device(), pipeline, buffers, shape, 77);
    const got = await readF32(out, expected.length);
    for (const b of [...Object.values(buffers), out]) b.destroy();
    assertClose(got, expected, 2e-4, "views");
  },
});

Deno.test({
  name:
    "augmentViews() on the shared webgpu device equals the TS twin path (same seed, same views)",
  ignore: noGpu,
  async fn() {
    const size = 32, n = 2;
    const { images } = batch(n, size);
    const views = async () => {
      const x = tf.tensor4d(images, [n, size, size, 1]);
      const v = augmentViews(await createKernelContext(), x, OPTIONS, 99);
      const values = await v.data() as Float32Array;
      tf.dispose([x, v]);
      return values;
    };
    await tf.setBackend("cpu");
    const cpu = await views();
    assert.deepEqual(await views(), cpu, "deterministic");
    await useWebGpuBackend(gpu!);
    assert.equal((await createKernelContext()).mode, "gpu");
    assertClose(await views(), cpu, 2e-4, "webgpu views");
    await tf.setBackend("cpu");
  },
});
