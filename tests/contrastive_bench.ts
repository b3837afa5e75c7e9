// `deno bench -A tests/contrastive_bench.ts`: where the contrastive methods spend time outside the
// U-Net. (1) The two augmented views of a batch: `augment_views.wgsl` on the WebGPU adapter vs its
// TS twin (the CPU path). (2) Each loss with its gradient, as tfjs ops on the wasm backend, at the
// batch and projection sizes of the CPU protocol and of a GPU run: the question is whether a
// per-sample loss kernel would pay.
import * as tf from "@tensorflow/tfjs";
import { gpu } from "./_gpu.ts";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { loadShader } from "../lib/gpu/shader.ts";
import { readBuffer, uploadBuffer } from "../lib/gpu/compute.ts";
import { AUGMENT_VIEWS, augmentViewsCpu, augmentViewsGpu } from "../lib/kernels/augment_views.ts";
import { drawViewParams } from "../lib/data/augment_params.ts";
import { DEFAULT_AUGMENT } from "../lib/config/contrastive_config.ts";
import { ntXentLoss } from "../lib/loss/nt_xent.ts";
import { byolLoss } from "../lib/loss/byol_loss.ts";
import { swavLoss } from "../lib/loss/swav_loss.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

for (const [n, size] of [[8, 64], [32, 128], [32, 256]] as const) {
  const rng = makeRng(1);
  const images = Float32Array.from({ length: n * size * size }, () => rng.next() * 4 - 2);
  const stats = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) stats.set([-2, 2, 0], i * 3);
  const params = drawViewParams(
    DEFAULT_AUGMENT,
    { batch: n, views: 2, height: size, width: size },
    3,
  );
  const shape = { batch: n, views: 2 * n, height: size, width: size, channels: 1 };
  const group = `augment ${n} x ${size} px, 2 views`;
  Deno.bench(`${group}: TS twin`, { group, baseline: true }, () => {
    augmentViewsCpu(images, params, stats, shape, 5);
  });
  if (gpu) {
    const device = gpu.device;
    const pipeline = await loadShader(device, AUGMENT_VIEWS.name, AUGMENT_VIEWS);
    const buffers = {
      images: uploadBuffer(device, images),
      params: uploadBuffer(device, params),
      stats: uploadBuffer(device, stats),
    };
    Deno.bench(`${group}: augment_views.wgsl (${gpu.description})`, { group }, async () => {
      const out = augmentViewsGpu(device, pipeline, buffers, shape, 5);
      await readBuffer(device, out, 4); // waits for the dispatch
      out.destroy();
    });
  }
}

for (const [n, d, k] of [[8, 128, 32], [32, 128, 32], [256, 256, 3000]] as const) {
  const rng = makeRng(2);
  const a = tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.next() - 0.5), [n, d]);
  const b = tf.tensor2d(Float32Array.from({ length: n * d }, () => rng.next() - 0.5), [n, d]);
  const s1 = tf.tensor2d(Float32Array.from({ length: n * k }, () => rng.next() - 0.5), [n, k]);
  const s2 = tf.tensor2d(Float32Array.from({ length: n * k }, () => rng.next() - 0.5), [n, k]);
  const group = `loss + gradient, N ${n}, D ${d}, K ${k} (wasm)`;
  const time = (f: (x: tf.Tensor2D) => tf.Scalar, x: tf.Tensor2D) => () => {
    const g = tf.grad((v: tf.Tensor) => f(v as tf.Tensor2D))(x);
    g.dataSync();
    g.dispose();
  };
  Deno.bench(`${group}: NT-Xent`, { group }, time((x) => ntXentLoss(x, b, 0.5), a));
  Deno.bench(`${group}: BYOL`, { group }, time((x) => byolLoss(x, b), a));
  Deno.bench(
    `${group}: SwAV`,
    { group },
    time((x) => swavLoss(x, s2, { temperature: 0.1 }).loss, s1),
  );
}
