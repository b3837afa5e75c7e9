/**
 * Profiles U-Net pretraining steps on tfjs's webgpu backend, kernel by kernel.
 *
 * Runs the real pretraining step (`trainStep`, the default BASE config:
 * masking kernels, U-Net forward, masked loss, backward, AdamW) and
 * prints the GPU time of every tfjs kernel, grouped by kernel name and input
 * shapes, with its share of the step. Times come from WebGPU timestamp queries
 * (tfjs's `tf.profile()` reports them as `kernelTimeMs` when the device has
 * the `timestamp-query` feature, which this task requests); under profiling
 * every tfjs program is submitted and timed alone, so the sum is close to
 * but not the same as the unprofiled wall time, printed first. medmim's own
 * WGSL kernels (masking, patch loss) are dispatched outside tfjs and show up
 * only in the wall time.
 *
 *   deno run --allow-read=shaders,node_modules tasks/profile_webgpu.ts \
 *     [--batch=4] [--size=64] [--base=16] [--steps=3] [--top=25] [--tfjs-only]
 *
 * It profiles tfjs's own kernels, then (unless `--tfjs-only`) the same steps
 * with medmim's webgpu kernels (`lib/backend/webgpu_kernels.ts`: its
 * `Conv2DBackpropFilter`) in place of tfjs's; the unprofiled wall times of the
 * two alternate step by step, so that drifting load on the machine hits both
 * alike. `--bench` instead times `Conv2DBackpropFilter` alone on the U-Net's
 * shapes, tfjs's kernel against medmim's, and checks they agree:
 *
 *   deno run --allow-read=shaders,node_modules tasks/profile_webgpu.ts --bench [--batch=4] [--reps=5]
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type Config, DEFAULT_CONFIG } from "../lib/config/pretrain_config.ts";
import { phantomDataset } from "../lib/data/phantoms.ts";
import { adapterLimits } from "../lib/gpu/device.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { createUNet, unetForwardFlops } from "../lib/model/unet.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { type PretrainState, trainStep } from "../lib/pretrain/train_step.ts";
import { gatherBatch } from "../lib/data/dataset.ts";
import { registerWebGpuKernels, unregisterWebGpuKernels } from "../lib/backend/webgpu_kernels.ts";
import { conv2dGeometry } from "../lib/kernels/conv2d_geometry.ts";
import { runTask } from "./_run_task.ts";

/** One profiled kernel call, as `tf.profile()` reports it. */
interface KernelRecord {
  readonly name: string;
  readonly inputShapes: ReadonlyArray<readonly number[] | null>;
  readonly outputShapes: ReadonlyArray<readonly number[]>;
  readonly kernelTimeMs: number | { error: string };
}

/** Time and calls of one kernel name (and optionally one shape). */
interface Row {
  readonly key: string;
  readonly name: string;
  ms: number;
  calls: number;
  flops: number;
}

/**
 * Requests a device with timestamp queries when the adapter has them. The
 * process-wide `getGpu()` device does not ask for the feature, so the profile
 * uses its own device (tfjs and medmim's kernels both run on it).
 */
async function profilingGpu(): Promise<
  { adapter: GPUAdapter; device: GPUDevice; description: string }
> {
  const adapter = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("Cannot profile webgpu: no WebGPU adapter");
  const timestamps = adapter.features.has("timestamp-query");
  const device = await adapter.requestDevice({
    label: "medmim-profile",
    requiredFeatures: timestamps ? ["timestamp-query"] : [],
    requiredLimits: adapterLimits(adapter),
  });
  const info = adapter.info;
  return { adapter, device, description: info.description || `${info.vendor} ${info.device}` };
}

/** Multiply-adds x 2 of the conv and matmul kernels (0 for the others). */
function kernelFlops(
  name: string,
  inputShapes: ReadonlyArray<readonly number[] | null>,
  outputShapes: ReadonlyArray<readonly number[]>,
): number {
  const prod = (s: readonly number[] | null | undefined) => (s ?? []).reduce((a, b) => a * b, 1);
  const [a, b] = inputShapes;
  const out = outputShapes[0];
  switch (name) {
    case "Conv2D": // x [N,H,W,Cin], filter [kh,kw,Cin,Cout]; out [N,Ho,Wo,Cout]
      return 2 * prod(out) * (b ? b[0]! * b[1]! * b[2]! : 0);
    case "Conv2DBackpropInput": // dy [N,Ho,Wo,Cout], filter [kh,kw,Cin,Cout]
      return 2 * prod(a) * (b ? b[0]! * b[1]! * b[2]! : 0);
    case "Conv2DBackpropFilter": // x, dy [N,Ho,Wo,Cout]; out = filter shape
      return 2 * (b ? b[0]! * b[1]! * b[2]! : 0) * prod(out);
    case "BatchMatMul": // [B, M, K] x [B, K, N] (either transposed) -> [B, M, N]
      return 2 * prod(out) * (a ? Math.min(a[a.length - 1]!, a[a.length - 2]!) : 0);
    default:
      return 0;
  }
}

function shapeText(shapes: ReadonlyArray<readonly number[] | null>): string {
  return shapes.map((s) => (s ? s.join("x") : "-")).join(", ");
}

function table(rows: Row[], totalMs: number, steps: number, top: number, withShapes: boolean) {
  const sorted = [...rows].sort((a, b) => b.ms - a.ms);
  const lines = sorted.slice(0, top).map((r) => {
    const ms = r.ms / steps;
    const gflops = r.flops > 0 ? (r.flops / (r.ms / 1000) / 1e9).toFixed(2) : "";
    return `  ${(withShapes ? r.key : r.name).padEnd(withShapes ? 78 : 28)} ${
      String(r.calls / steps).padStart(5)
    } ${ms.toFixed(2).padStart(9)} ${(100 * r.ms / totalMs).toFixed(1).padStart(6)}% ${
      gflops.padStart(7)
    }`;
  });
  const rest = sorted.slice(top);
  if (rest.length > 0) {
    const ms = rest.reduce((s, r) => s + r.ms, 0);
    lines.push(
      `  (${rest.length} more)`.padEnd(withShapes ? 81 : 31) +
        `${"".padStart(5)} ${(ms / steps).toFixed(2).padStart(9)} ${
          (100 * ms / totalMs).toFixed(1).padStart(6)
        }%`,
    );
  }
  const head = `  ${
    (withShapes ? "kernel (input shapes)" : "kernel").padEnd(withShapes ? 78 : 28)
  } ${"calls".padStart(5)} ${"ms/step".padStart(9)} ${"share".padStart(7)} ${
    "GFLOP/s".padStart(7)
  }`;
  return [head, ...lines].join("\n");
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      batch: { type: "string", default: "4" },
      size: { type: "string", default: "64" },
      base: { type: "string", default: "16" },
      steps: { type: "string", default: "3" },
      top: { type: "string", default: "25" },
      "tfjs-only": { type: "boolean", default: false },
      bench: { type: "boolean", default: false },
      reps: { type: "string", default: "5" },
    },
  });
  const batch = Number(values.batch);
  const size = Number(values.size);
  const base = Number(values.base);
  const steps = Number(values.steps);
  const top = Number(values.top);

  const gpu = await profilingGpu();
  const kernels = await useWebGpuBackend(gpu);
  const timestamps = gpu.device.features.has("timestamp-query");
  console.log(
    `adapter "${gpu.description}", tfjs ${tf.version.tfjs} on ${tf.getBackend()}, ` +
      `timestamp-query ${timestamps ? "yes" : "NO (kernel times will read 0)"}; ` +
      kernels.description,
  );
  if (kernels.medmim.length === 0 && (values.bench || !values["tfjs-only"])) {
    throw new Error(`Cannot compare with medmim's kernels: ${kernels.description}`);
  }
  if (values.bench) {
    await benchConvs(gpu.device, { batch, size, base, reps: Number(values.reps) });
    return;
  }
  const base0 = DEFAULT_CONFIG;
  const config: Config = {
    ...base0,
    data: { ...base0.data, count: batch, size },
    model: { ...base0.model, baseWidth: base },
    train: { ...base0.train, batchSize: batch, epochs: 100, kernels: "gpu" },
  };
  const dataset = phantomDataset({ seed: config.run.seed, count: batch, size });
  const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: base }, 1);
  const state: PretrainState = {
    config,
    ctx: { mode: "gpu", device: gpu.device, kernels: await loadKernels(gpu.device) },
    net,
    optimizer: createAdamWState(net.params),
    teacher: null,
  };
  const images = tf.tensor4d(
    gatherBatch(dataset, Array.from({ length: batch }, (_, i) => i)).images,
    [batch, size, size, 1],
  );
  let epoch = 0;
  /** One training step, synchronised by reading its loss. */
  const step = async (): Promise<number> => {
    const loss = trainStep(state, images, { epoch: epoch++, step: 0, steps: 1, lr: 1e-3 });
    const value = (await loss.data())[0]!;
    loss.dispose();
    return value;
  };
  const flopsPerStep = 3 * batch * unetForwardFlops(net.options, size, size); // fwd + 2 grads
  console.log(
    `U-Net base ${base}, batch ${batch} x ${size} x ${size} x 1, AdamW; ` +
      `${(flopsPerStep / 1e9).toFixed(2)} GFLOP per step (conv forward + both gradients)`,
  );

  // The configurations: tfjs's kernels, and (unless --tfjs-only) medmim's in place of some.
  const configs: Array<{ label: string; use: () => Promise<unknown> }> = [
    { label: "tfjs kernels", use: () => Promise.resolve(unregisterWebGpuKernels()) },
  ];
  if (!values["tfjs-only"]) {
    configs.push({
      label: `medmim ${kernels.medmim.join(" + ")}`,
      use: () => registerWebGpuKernels(gpu.device),
    });
  }
  for (const c of configs) {
    await c.use();
    const t0 = performance.now();
    await step(); // compiles the pipelines
    console.log(`warm-up step, ${c.label}: ${(performance.now() - t0).toFixed(0)} ms`);
  }
  // 1) wall time, the configurations interleaved step by step (the machine's load drifts)
  const wall = configs.map(() => 0);
  for (let i = 0; i < steps; i++) {
    for (const [j, c] of configs.entries()) {
      await c.use();
      const t0 = performance.now();
      await step();
      wall[j]! += (performance.now() - t0) / steps;
    }
  }
  for (const [j, c] of configs.entries()) {
    console.log(
      `wall time (unprofiled), ${c.label}: ${wall[j]!.toFixed(1)} ms/step over ${steps} steps, ` +
        `${(flopsPerStep / (wall[j]! / 1000) / 1e9).toFixed(2)} GFLOP/s`,
    );
  }
  // 2) GPU time per kernel
  for (const c of configs) {
    await c.use();
    const byShape = new Map<string, Row>();
    const byName = new Map<string, Row>();
    let totalMs = 0;
    for (let i = 0; i < steps; i++) {
      const info = await tf.profile(async () => {
        await step();
      });
      for (const k of info.kernels as unknown as KernelRecord[]) {
        const ms = typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0;
        const flops = kernelFlops(k.name, k.inputShapes, k.outputShapes);
        const key = `${k.name} (${shapeText(k.inputShapes)})`;
        for (const [map, id] of [[byShape, key], [byName, k.name]] as const) {
          let row = map.get(id);
          if (!row) map.set(id, row = { key, name: k.name, ms: 0, calls: 0, flops: 0 });
          row.ms += ms;
          row.calls += 1;
          row.flops += flops;
        }
        totalMs += ms;
      }
    }
    console.log(
      `\n${c.label}: sum of kernel GPU times ${(totalMs / steps).toFixed(1)} ms/step ` +
        `(profiled: each program submitted and timed alone)\n`,
    );
    console.log(table([...byName.values()], totalMs, steps, top, false));
    console.log("");
    console.log(table([...byShape.values()], totalMs, steps, top, true));
  }
  unregisterWebGpuKernels();
  images.dispose();
}

/** One conv of the U-Net: input shape, filter shape, stride. */
interface ConvCase {
  readonly x: [number, number, number, number];
  readonly w: [number, number, number, number];
  readonly stride: 1 | 2;
}

/** The U-Net's distinct conv shapes (3x3 convs per level, the 1x1 head, a 2x2 stride-2 up). */
function unetConvCases(batch: number, size: number, base: number): ConvCase[] {
  const cases: ConvCase[] = [{ x: [batch, size, size, 1], w: [3, 3, 1, base], stride: 1 }];
  for (let level = 0; level <= 4; level++) {
    const s = size / 2 ** level;
    const c = base * 2 ** level;
    cases.push({ x: [batch, s, s, c], w: [3, 3, c, c], stride: 1 });
  }
  cases.push({ x: [batch, size, size, base], w: [1, 1, base, 1], stride: 1 });
  // dW of the 2x2 stride-2 transposed conv is a Conv2DBackpropFilter with stride 2
  cases.push({ x: [batch, size, size, base], w: [2, 2, base, 2 * base], stride: 2 });
  return cases;
}

/**
 * Per conv shape: tfjs's `Conv2DBackpropFilter` and medmim's, run `reps` times
 * back to back (one sync at the end, after a warm-up: "ms"), plus the GPU time
 * of one run from timestamp queries ("GPU ms", which GFLOP/s is computed
 * from), the speed-up in "ms", and the largest difference between their
 * outputs relative to the largest output.
 */
async function benchConvs(
  device: GPUDevice,
  o: { batch: number; size: number; base: number; reps: number },
): Promise<void> {
  const cases = unetConvCases(o.batch, o.size, o.base);
  const rand = (shape: number[]) => tf.randomUniform(shape, -1, 1, "float32", 7);
  console.log(
    `\n  ${"kernel".padEnd(21)} ${"x".padEnd(14)} ${"filter".padEnd(12)} s ${"GFLOP".padStart(6)}` +
      `   tfjs ms (GPU ms) GFLOP/s   medmim ms (GPU ms) GFLOP/s  speed-up  max rel diff`,
  );
  for (const c of cases) {
    const pad = c.stride === 1 ? "same" : "valid";
    const g = conv2dGeometry(c.x, c.w, c.stride, pad);
    const x = rand(c.x);
    const dy = rand([g.batch, g.outHeight, g.outWidth, g.outChannels]);
    const flops = 2 * dy.size * c.w[0] * c.w[1] * c.w[2];
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: [c.stride, c.stride],
        pad,
        dataFormat: "NHWC",
        filterShape: c.w,
      }) as tf.Tensor;
    const results: Array<{ ms: number; gpuMs: number; values: Float32Array }> = [];
    for (const impl of ["tfjs", "medmim"]) {
      if (impl === "medmim") await registerWebGpuKernels(device);
      else unregisterWebGpuKernels();
      const warm = run();
      const values = (await warm.data()) as Float32Array;
      warm.dispose();
      const t0 = performance.now();
      const outs = Array.from({ length: o.reps }, run);
      await outs[outs.length - 1]!.data();
      const ms = (performance.now() - t0) / o.reps;
      tf.dispose(outs);
      const profile = await tf.profile(async () => {
        const y = run();
        await y.data();
        y.dispose();
      });
      const gpuMs = profile.kernels.reduce(
        (s, k) => s + (typeof k.kernelTimeMs === "number" ? k.kernelTimeMs : 0),
        0,
      );
      results.push({ ms, gpuMs, values });
    }
    const [a, b] = results as [(typeof results)[0], (typeof results)[0]];
    let maxRef = 0;
    let maxErr = 0;
    a.values.forEach((v, i) => {
      maxRef = Math.max(maxRef, Math.abs(v));
      maxErr = Math.max(maxErr, Math.abs(v - b.values[i]!));
    });
    const cell = (r: typeof a) =>
      `${r.ms.toFixed(2).padStart(8)} (${r.gpuMs.toFixed(2).padStart(7)}) ${
        (flops / ((r.gpuMs || r.ms) / 1000) / 1e9).toFixed(2).padStart(6)
      }`;
    console.log(
      `  ${"Conv2DBackpropFilter".padEnd(21)} ${c.x.join("x").padEnd(14)} ${
        c.w.join("x").padEnd(12)
      } ${c.stride} ${(flops / 1e9).toFixed(3).padStart(6)} ${cell(a)}   ${cell(b)}   ${
        (a.ms / b.ms).toFixed(2).padStart(6)
      }x  ${(maxErr / maxRef).toExponential(1).padStart(9)}`,
    );
    tf.dispose([x, dy]);
  }
}

if (import.meta.main) await runTask("profile_webgpu", main);
