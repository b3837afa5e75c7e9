import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

/** Runs `f` on `backend` with the same seeded inputs and returns every output's shape and values. */
async function on(
  backend: string,
  shapes: number[][],
  f: (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): Promise<number[][]> {
  await tf.setBackend(backend);
  const rng = makeRng(7);
  const xs = shapes.map((s) =>
    tf.tensor(
      Float32Array.from({ length: s.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5),
      s,
    )
  );
  const out = f(xs);
  const outs = Array.isArray(out) ? out : [out];
  const values = await Promise.all(outs.map(async (t) => [t.shape.join("x"), ...await t.data()]));
  tf.dispose([...xs, ...outs]);
  return values as number[][];
}

const mm = (ta: boolean, tb: boolean) => ([a, b]: tf.Tensor[]) => tf.matMul(a!, b!, ta, tb);

const CASES: Array<[string, number[][], (xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]]> = [
  ["2D", [[7, 5], [5, 3]], mm(false, false)],
  ["2D, transposeA", [[5, 7], [5, 3]], mm(true, false)],
  ["2D, transposeB", [[7, 5], [3, 5]], mm(false, true)],
  ["2D, both transposed", [[5, 7], [3, 5]], mm(true, true)],
  ["batched rank 3", [[4, 6, 5], [4, 5, 3]], mm(false, false)],
  ["batched rank 4, transposeB (attention scores)", [[2, 3, 6, 4], [2, 3, 6, 4]], mm(false, true)],
  ["batched rank 4, transposeA", [[2, 3, 6, 4], [2, 3, 6, 5]], mm(true, false)],
  ["rank 3 times a shared matrix (folded rows)", [[3, 6, 5], [5, 4]], mm(false, false)],
  ["rank 3 times a shared transposed matrix", [[3, 5, 6], [4, 5]], mm(true, true)],
  ["broadcast over two batch axes (stock kernel)", [[2, 1, 3, 4], [1, 5, 4, 2]], mm(false, false)],
  ["a one-element product", [[1, 1], [1, 1]], mm(false, false)],
  [
    "gradients of softmax attention",
    [[2, 7, 4], [2, 7, 4], [2, 7, 4]],
    ([q, k, v]) =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(tf.square(tf.matMul(tf.softmax(tf.matMul(a, b, false, true)), c)))
      )([q!, k!, v!]),
  ],
];

for (const [name, shapes, f] of CASES) {
  Deno.test(`wasm BatchMatMul: ${name} equals the cpu backend`, async () => {
    const [ours, cpu] = [await on("wasm", shapes, f), await on("cpu", shapes, f)];
    assert.equal(ours.length, cpu.length);
    ours.forEach((o, k) => {
      assert.equal(o[0], cpu[k]![0], "shape");
      assert.equal(o.length, cpu[k]!.length, "size");
      o.slice(1).forEach((v, i) =>
        assert.ok(
          Math.abs(v - cpu[k]![i + 1]!) <= 1e-5 * Math.max(1, Math.abs(v)),
          `${name}[${i}]: ${v} vs ${cpu[k]![i + 1]}`,
        )
      );
    });
  });
}

Deno.test("wasm BatchMatMul frees its temporaries", async () => {
  await tf.setBackend("wasm");
  const a = tf.ones([3, 4, 5]), b = tf.ones([3, 6, 5]), w = tf.ones([6, 5]);
  tf.matMul(a, b, false, true).dispose(); // warm-up
  const before = tf.memory().numBytes;
  for (let i = 0; i < 3; i++) {
    tf.matMul(a, b, false, true).dispose();
    tf.matMul(a, w, false, true).dispose();
  }
  assert.equal(tf.memory().numBytes, before);
  tf.dispose([a, b, w]);
});
