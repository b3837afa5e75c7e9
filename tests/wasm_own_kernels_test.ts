import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import {
  initWasmOwnKernels,
  runtimeHasRelaxedSimd,
  useWasmOwnKernels,
} from "../lib/backend/wasm_own_kernels.ts";
import { wasmAdamWReady } from "../lib/backend/wasm_adamw.ts";
import { adamWStep, createAdamWState } from "../lib/optim/adamw.ts";
import { conv2dFilterGradCpu } from "../lib/kernels/conv2d_filter_grad.ts";
import { conv2dGeometry } from "../lib/kernels/conv2d_geometry.ts";
import { kernelsModule } from "../lib/backend/wasm_kernels_module.ts";
import { assertNormClose } from "./_assert.ts";
import { makeRng } from "../lib/random.ts";

// two wasm threads: medmim's filter gradient splits its rows between this
// thread and a kernel worker on the shared heap
const wasm = await setupWasmBackend({ threads: 2 });

type Shape4 = [number, number, number, number];

function lcg(size: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => 2 * rng.next() - 1);
}

/** Odd shapes: Cin not a multiple of 4, Cout 4 or 8 + 4, fewer units than threads, strides. */
const CASES: Array<{ x: Shape4; w: Shape4; stride: number; pad: "same" | "valid" }> = [
  { x: [2, 9, 11, 1], w: [3, 3, 1, 4], stride: 1, pad: "same" },
  { x: [3, 7, 5, 3], w: [3, 3, 3, 12], stride: 1, pad: "same" },
  { x: [2, 13, 6, 33], w: [3, 3, 33, 20], stride: 1, pad: "same" },
  { x: [1, 5, 6, 20], w: [1, 1, 20, 36], stride: 1, pad: "valid" },
  { x: [2, 11, 9, 7], w: [3, 3, 7, 16], stride: 2, pad: "valid" },
  { x: [3, 10, 14, 5], w: [2, 2, 5, 8], stride: 2, pad: "valid" },
  { x: [2, 9, 10, 6], w: [3, 3, 6, 8], stride: 2, pad: "same" },
  // large enough to be split between the threads (>= 2^20 multiply-adds)
  { x: [4, 32, 32, 16], w: [3, 3, 16, 16], stride: 1, pad: "same" },
  { x: [2, 20, 24, 35], w: [3, 3, 35, 12], stride: 1, pad: "same" },
  { x: [4, 64, 64, 1], w: [3, 3, 1, 8], stride: 1, pad: "same" },
  { x: [2, 64, 48, 16], w: [2, 2, 16, 32], stride: 2, pad: "valid" },
];

Deno.test("medmim's wasm conv kernels run on 2 threads with relaxed SIMD where V8 has it", async () => {
  assert.equal(wasm.threads, 2);
  const setup = await initWasmOwnKernels();
  assert.ok(setup, "initialised by setupWasmBackend");
  assert.equal(setup.threads, 2, setup.description);
  assert.equal(setup.fma, runtimeHasRelaxedSimd());
  // V8 in Deno 2.x has relaxed SIMD; both module forms validate
  assert.ok(WebAssembly.validate(kernelsModule(false, true)));
});

Deno.test("Conv2DBackpropFilter on wasm matches the TS twin (1e-5 of the largest value)", async () => {
  for (const c of CASES) {
    const g = conv2dGeometry(c.x, c.w, c.stride, c.pad);
    const xv = lcg(c.x.reduce((a, b) => a * b), 4);
    const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
    const dyv = lcg(yShape.reduce((a, b) => a * b), 6);
    const x = tf.tensor4d(xv, c.x);
    const dy = tf.tensor(dyv, yShape);
    const dw = tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: [c.stride, c.stride],
      pad: c.pad,
      dataFormat: "NHWC",
      filterShape: c.w,
    }) as tf.Tensor;
    assert.deepEqual(dw.shape, c.w);
    const what = `x ${c.x} w ${c.w} stride ${c.stride} ${c.pad}`;
    assertNormClose(await dw.data(), conv2dFilterGradCpu(xv, dyv, g), 1e-5, what);
    tf.dispose([x, dy, dw]);
  }
});

/** Convolutions: Cin from 4, Cout 4 / 8 / 12, widths not multiples of 6, strides, paddings. */
const CONVS: Array<{ x: Shape4; w: Shape4; stride: number; pad: "same" | "valid" | number }> = [
  { x: [2, 7, 9, 4], w: [3, 3, 4, 8], stride: 1, pad: "same" },
  { x: [3, 5, 13, 12], w: [3, 3, 12, 4], stride: 1, pad: "valid" },
  { x: [2, 11, 10, 5], w: [3, 3, 5, 12], stride: 2, pad: "same" },
  { x: [1, 9, 8, 8], w: [2, 2, 8, 16], stride: 2, pad: "valid" },
  { x: [2, 6, 7, 8], w: [1, 1, 8, 4], stride: 1, pad: "same" },
  { x: [2, 8, 8, 4], w: [3, 3, 4, 8], stride: 1, pad: 2 }, // explicit padding beyond the taps
  // large enough to be split between the threads
  { x: [4, 33, 31, 16], w: [3, 3, 16, 24], stride: 1, pad: "same" },
  { x: [2, 16, 14, 64], w: [3, 3, 64, 64], stride: 1, pad: "same" },
];

Deno.test("Conv2D on wasm matches tfjs's cpu backend (1e-5 of the largest value)", async () => {
  for (const c of CONVS) {
    const xv = lcg(c.x.reduce((a, b) => a * b), 8), wv = lcg(c.w.reduce((a, b) => a * b), 9);
    const conv = async (backend: string) => {
      await tf.setBackend(backend);
      const x = tf.tensor4d(xv, c.x), w = tf.tensor4d(wv, c.w);
      const y = tf.conv2d(x, w, c.stride, c.pad);
      const out = { shape: y.shape, values: await y.data() };
      tf.dispose([x, w, y]);
      return out;
    };
    const ours = await conv("wasm"), cpu = await conv("cpu");
    const what = `x ${c.x} w ${c.w} stride ${c.stride} ${c.pad}`;
    assert.deepEqual(ours.shape, cpu.shape, what);
    assertNormClose(ours.values, cpu.values, 1e-5, what);
  }
  await tf.setBackend("wasm");
});

function values(size: number, seed: number, scale: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => scale * (2 * rng.next() - 1));
}

/** Three AdamW steps on params of odd sizes; the final p, m, v of every param. */
async function train(fused: boolean): Promise<Float32Array[]> {
  useWasmOwnKernels(fused);
  try {
    assert.equal(wasmAdamWReady(), fused);
    // ".w" tensors decay, ".b" ones do not; sizes with and without a tail of n % 4
    const sizes: Array<[string, number]> = [["a.w", 1], ["a.b", 3], ["b.w", 4], ["b.b", 5], [
      "c.w",
      4099,
    ], ["c.b", 64]];
    const params = new Map(
      sizes.map(([name, n], i) => [name, tf.variable(tf.tensor1d(values(n, i, 1)), true, name)]),
    );
    const state = createAdamWState(params);
    const scales = new Map([["c.w", 0.25]]);
    for (let step = 0; step < 3; step++) {
      const grads = Object.fromEntries(
        sizes.map(([name, n], i) => [name, tf.tensor1d(values(n, 100 * step + i, 1e-2))]),
      );
      adamWStep(params, grads, state, 3e-3, { beta1: 0.9, beta2: 0.95, weightDecay: 0.05 }, scales);
      tf.dispose(Object.values(grads));
    }
    const out: Float32Array[] = [];
    for (const [name, p] of params) {
      out.push(await p.data() as Float32Array);
      out.push(await state.m.get(name)!.data() as Float32Array);
      out.push(await state.v.get(name)!.data() as Float32Array);
    }
    tf.dispose([...params.values(), ...state.m.values(), ...state.v.values()]);
    return out;
  } finally {
    useWasmOwnKernels(true);
  }
}

Deno.test("MedmimAdamW on wasm equals the tensor-op AdamW bit for bit (decay, lr scales, n % 4 tails)", async () => {
  const fused = await train(true), composed = await train(false);
  assert.equal(fused.length, composed.length);
  for (const [i, f] of fused.entries()) {
    const c = composed[i]!;
    const differ = f.findIndex((x, k) => !Object.is(x, c[k]));
    assert.equal(
      differ,
      -1,
      `array ${i}: value ${differ} is ${f[differ]} fused, ${c[differ]} composed`,
    );
  }
  // and the update moved the parameters
  assert.notDeepEqual(fused[0], values(1, 0, 1));
});
