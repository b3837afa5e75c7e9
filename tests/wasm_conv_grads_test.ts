import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { assertNormClose } from "./_assert.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

/** Deterministic values in [-1, 1). */
function lcg(size: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => 2 * rng.next() - 1);
}

type Layer = (x: tf.Tensor4D, w: tf.Tensor4D) => tf.Tensor4D;

/** Gradients of sum(layer(x, w) * r) w.r.t. x and w on `backend`. */
async function gradsOn(
  backend: string,
  layer: Layer,
  xShape: [number, number, number, number],
  wShape: [number, number, number, number],
): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  const x = tf.tensor4d(lcg(xShape.reduce((a, b) => a * b), 1), xShape);
  const w = tf.tensor4d(lcg(wShape.reduce((a, b) => a * b), 2), wShape);
  const yShape = tf.tidy(() => layer(x, w).shape);
  const r = tf.tensor(lcg(yShape.reduce((a, b) => a * b), 3), yShape);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
    tf.sum(tf.mul(layer(a as tf.Tensor4D, b as tf.Tensor4D), r))
  );
  const [dx, dw] = g([x, w]);
  const out: [Float32Array, Float32Array] = [
    (await dx!.data()) as Float32Array,
    (await dw!.data()) as Float32Array,
  ];
  tf.dispose([x, w, r, dx!, dw!]);
  return out;
}

async function compareGrads(
  layer: Layer,
  xShape: [number, number, number, number],
  wShape: [number, number, number, number],
): Promise<void> {
  const [dxRef, dwRef] = await gradsOn("cpu", layer, xShape, wShape);
  const [dx, dw] = await gradsOn("wasm", layer, xShape, wShape);
  assertNormClose(dx, dxRef, 1e-4, "dx");
  assertNormClose(dw, dwRef, 1e-4, "dW");
}

const CONV_CASES: {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
  pad: "same" | "valid";
}[] = [
  { x: [1, 5, 5, 1], w: [3, 3, 1, 3], stride: 1, pad: "same" },
  { x: [3, 7, 6, 3], w: [3, 3, 3, 16], stride: 1, pad: "valid" },
  { x: [3, 9, 8, 16], w: [3, 3, 16, 16], stride: 1, pad: "same" },
  { x: [1, 6, 10, 3], w: [2, 3, 3, 1], stride: 1, pad: "same" }, // non-square kernel
  { x: [3, 12, 7, 16], w: [1, 1, 16, 3], stride: 1, pad: "valid" },
  { x: [3, 9, 10, 3], w: [3, 3, 3, 16], stride: 2, pad: "same" },
  { x: [1, 8, 8, 16], w: [2, 2, 16, 3], stride: 2, pad: "valid" },
];

for (const c of CONV_CASES) {
  Deno.test(
    `conv2d() gradients on wasm match cpu: x [${c.x}] w [${c.w}] stride ${c.stride} ${c.pad}`,
    async () => {
      await compareGrads((x, w) => tf.conv2d(x, w, c.stride, c.pad), c.x, c.w);
    },
  );
}

const TRANSPOSE_CASES: {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride: number;
}[] = [
  { x: [2, 4, 5, 8], w: [2, 2, 4, 8], stride: 2 }, // U-Net upsampling
  { x: [1, 3, 3, 16], w: [2, 2, 16, 16], stride: 2 },
  { x: [3, 5, 4, 3], w: [3, 3, 1, 3], stride: 1 },
  { x: [1, 4, 4, 3], w: [3, 3, 2, 3], stride: 2 }, // falls back to the stock kernel
];

for (const c of TRANSPOSE_CASES) {
  Deno.test(
    `conv2dTranspose() gradients on wasm match cpu: x [${c.x}] w [${c.w}] stride ${c.stride} same`,
    async () => {
      const out: [number, number, number, number] = [
        c.x[0],
        c.x[1] * c.stride,
        c.x[2] * c.stride,
        c.w[2],
      ];
      await compareGrads((x, w) => tf.conv2dTranspose(x, w, out, c.stride, "same"), c.x, c.w);
    },
  );
}

Deno.test("registerWasmConvGrads() lets a tiny conv net's loss go down on wasm", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor4d(lcg(2 * 8 * 8, 7), [2, 8, 8, 1]);
  const target = tf.tidy(() => tf.cast(tf.greater(x, 0), "float32"));
  const param = (shape: [number, number, number, number], seed: number): tf.Variable<tf.Rank.R4> =>
    tf.variable(tf.mul(tf.tensor4d(lcg(shape.reduce((a, b) => a * b), seed), shape), 0.5));
  const w1 = param([3, 3, 1, 4], 11);
  const wUp = param([2, 2, 4, 4], 12);
  const wOut = param([1, 1, 8, 1], 13);
  const opt = tf.train.adam(0.03);
  const lossFn = (): tf.Scalar =>
    tf.tidy(() => {
      const h = tf.relu(tf.conv2d(x, w1, 1, "same")); // [2, 8, 8, 4]
      const p = tf.maxPool(h, 2, 2, "valid"); // [2, 4, 4, 4]
      const u = tf.relu(tf.conv2dTranspose(p, wUp, [2, 8, 8, 4], 2, "same"));
      const y = tf.sigmoid(tf.conv2d(tf.concat([h, u], 3), wOut, 1, "same"));
      return tf.mean(tf.square(tf.sub(y, target)));
    });
  const first = (await lossFn().data())[0]!;
  for (let i = 0; i < 40; i++) tf.dispose(opt.minimize(lossFn) ?? []);
  const last = (await lossFn().data())[0]!;
  assert.ok(last < 0.7 * first, `loss went from ${first} to ${last}`);
  opt.dispose();
  tf.dispose([x, target, w1, wUp, wOut]);
});
