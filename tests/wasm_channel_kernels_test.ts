import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

/** Runs `f` on `backend` with the same seeded inputs and returns every output's values. */
async function on(
  backend: string,
  shapes: number[][],
  f: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<number[][]> {
  await tf.setBackend(backend);
  const rng = makeRng(3);
  const xs = shapes.map((s) =>
    tf.tensor(Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.next()), s)
  );
  const out = f(xs);
  const outs = Array.isArray(out) ? out : [out];
  const values = await Promise.all(outs.map(async (t) => [t.shape.join("x"), ...await t.data()]));
  tf.dispose([...xs, ...outs]);
  return values as number[][];
}

const CASES: Array<[string, number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
  ["concat, last axis, narrow", [[2, 3, 5, 4], [2, 3, 5, 6]], (xs) => tf.concat(xs, 3)],
  ["concat, axis -1, wide (block copies)", [[3, 70], [3, 90], [3, 1]], (xs) => tf.concat(xs, -1)],
  ["concat, inner axis (stock kernel)", [[2, 3, 4], [2, 5, 4]], (xs) => tf.concat(xs, 1)],
  ["split, last axis, equal", [[2, 4, 4, 32]], ([x]) => tf.split(x!, 2, 3)],
  ["split, last axis, sizes with -1", [[5, 130]], ([x]) => tf.split(x!, [64, -1, 2], -1)],
  ["split, inner axis (stock kernel)", [[4, 6, 2]], ([x]) => tf.split(x!, [2, 4], 1)],
  [
    "concat, last axis, multiples of 4 (SIMD rows)",
    [[2, 3, 5, 4], [2, 3, 5, 8]],
    (xs) => tf.concat(xs, 3),
  ],
  ["split, last axis, multiples of 4 (SIMD rows)", [[3, 2, 20]], ([x]) => tf.split(x!, [8, 12], 2)],
  ["identity", [[3, 4]], ([x]) => tf.clone(x!)],
  ["sum over all but the last axis", [[2, 5, 3, 7]], ([x]) => tf.sum(x!, [0, 1, 2])],
  ["sum over all but the last axis, keepDims", [[4, 6]], ([x]) => tf.sum(x!, 0, true)],
  [
    "sum over all but the last axis, 12 channels (SIMD)",
    [[3, 5, 7, 12]],
    ([x]) => tf.sum(x!, [0, 1, 2]),
  ],
  [
    "sum over all but the last axis, 8 channels, keepDims (SIMD)",
    [[5, 8]],
    ([x]) => tf.sum(x!, 0, true),
  ],
  ["sum over other axes (stock kernel)", [[2, 5, 3]], ([x]) => tf.sum(x!, [1, 2])],
  ["add a channel vector (a bias, SIMD)", [[2, 3, 5, 8], [8]], ([x, b]) => tf.add(x!, b!)],
  ["add a channel vector first, shape [1, 12]", [[1, 12], [4, 12]], ([b, x]) => tf.add(b!, x!)],
  ["add a channel vector of 6 (stock kernel)", [[2, 3, 6], [6]], ([x, b]) => tf.add(x!, b!)],
  ["add two tensors (stock kernel)", [[2, 3, 8], [2, 3, 8]], ([x, y]) => tf.add(x!, y!)],
  // the gradients through concat (SplitV) and a clone (Identity)
  [
    "gradient of a skip concatenation",
    [[2, 3, 3, 4], [2, 3, 3, 2]],
    ([a, b]) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.sum(tf.square(tf.concat([p, tf.clone(q)], 3))))(
        [a!, b!],
      ),
  ],
];

for (const [name, shapes, f] of CASES) {
  Deno.test(`wasm channel kernels: ${name} equals the cpu backend`, async () => {
    const [ours, cpu] = [await on("wasm", shapes, f), await on("cpu", shapes, f)];
    // sums may differ in the last bit (the order of additions): compare to 1e-6
    assert.equal(ours.length, cpu.length);
    ours.forEach((o, k) => {
      assert.equal(o[0], cpu[k]![0], "shape");
      o.slice(1).forEach((v, i) =>
        assert.ok(Math.abs(v - cpu[k]![i + 1]!) <= 1e-6 * Math.max(1, Math.abs(v)), `${name}[${i}]`)
      );
    });
  });
}

Deno.test("wasm Identity shares the buffer and survives disposing its source", async () => {
  await tf.setBackend("wasm");
  const x = tf.tensor1d([1, 2, 3]);
  const y = tf.clone(x);
  x.dispose();
  assert.deepEqual(Array.from(await y.data()), [1, 2, 3]);
  y.dispose();
});
