// `deno bench -A tests/contrastive_bench.ts`: (1) one pretraining step of each method (MIM BASE,
// SimCLR, BYOL, SwAV) at the CPU protocol's size on the wasm backend, for images/s side by side;
// where the contrastive methods spend time outside the U-Net: (2) the two augmented views of a
// batch, `augment_views.wgsl` on the WebGPU adapter vs its TS twin (the CPU path); (3) each loss
// with its gradient, as tfjs ops on wasm, at the batch and projection sizes of the CPU protocol and
// of a GPU run: the question is whether a per-sample loss kernel would pay.
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
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { createUNet } from "../lib/model/unet.ts";
import { createContrastiveNet, createTargetNet } from "../lib/model/contrastive_net.ts";
import { createSwavQueue, SWAV_QUEUE } from "../lib/model/swav_queue.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { type PretrainState, trainStep } from "../lib/pretrain/train_step.ts";
import { contrastiveStep } from "../lib/pretrain/contrastive_step.ts";

await setupWasmBackend({ threads: 1 });

{
  const batch = 8, size = 64;
  const rng = makeRng(7);
  const x = tf.tensor4d(
    Float32Array.from({ length: batch * size * size }, () => rng.next() * 2 - 1),
    [batch, size, size, 1],
  );
  const group = `pretraining step, ${batch} x ${size} px, width 8 (wasm, 1 thread)`;
  for (const method of ["mim", "simclr", "byol", "swav"] as const) {
    const config = await loadConfig(undefined, [`pretrain.method=${method}`, "train.backend=wasm"]);
    const net = method === "mim"
      ? createUNet({ inChannels: 1, outChannels: 1, baseWidth: 8 }, 0)
      : createContrastiveNet({
        method,
        inChannels: 1,
        baseWidth: 8,
        hidden: config.pretrain.hidden,
        projection: config.pretrain.projection,
        prototypes: config.pretrain.swav.prototypes,
      }, 0);
    const state: PretrainState = {
      config,
      ctx: await createKernelContext("cpu"),
      net,
      optimizer: createAdamWState(net.params),
      teacher: method === "byol" ? createTargetNet(net) : null,
      buffers: new Map(
        method === "swav"
          ? [[
            SWAV_QUEUE,
            createSwavQueue(config.pretrain.swav.queueLength, config.pretrain.projection),
          ]]
          : [],
      ),
    };
    let step = 0;
    const train = method === "mim" ? trainStep : contrastiveStep;
    Deno.bench(`${group}: ${method === "mim" ? "BASE (MIM)" : method}`, {
      group,
      baseline: method === "mim",
    }, () => {
      const loss = train(state, x, { epoch: 1, step: step++, steps: 1000, lr: 1e-3 });
      loss.dataSync();
      loss.dispose();
    });
  }
}

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
