import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

/** dx of sum(maxPool(x) * r) on `backend`. */
async function poolGrad(
  backend: string,
  x: Float32Array,
  shape: [number, number, number, number],
  pool: { size: number; stride: number; pad: "valid" | "same" },
): Promise<Float32Array> {
  await tf.setBackend(backend);
  const xt = tf.tensor4d(x, shape);
  const yShape = tf.tidy(() => tf.maxPool(xt, pool.size, pool.stride, pool.pad).shape);
  const rng = makeRng(5);
  const r = tf.tensor(
    Float32Array.from({ length: yShape.reduce((a, b) => a * b) }, () => rng.next()),
    yShape,
  );
  const dx = tf.grad((a: tf.Tensor) =>
    tf.sum(tf.mul(tf.maxPool(a as tf.Tensor4D, pool.size, pool.stride, pool.pad), r))
  )(xt);
  const out = (await dx.data()) as Float32Array;
  tf.dispose([xt, r, dx]);
  return out;
}

for (
  const [shape, pool, ties] of [
    [[2, 8, 6, 3], { size: 2, stride: 2, pad: "valid" }, true], // medmim's kernel
    [[1, 4, 4, 16], { size: 2, stride: 2, pad: "same" }, true], // medmim's kernel
    // the stock kernel (which breaks ties another way than cpu): distinct values
    [[1, 7, 5, 2], { size: 2, stride: 2, pad: "valid" }, false], // odd size
    [[1, 6, 6, 2], { size: 3, stride: 2, pad: "same" }, false], // other window
  ] as const
) {
  Deno.test(`maxPool() gradient on wasm equals cpu's${ties ? ", with ties" : ""}: x [${shape}] ${pool.size}/${pool.stride} ${pool.pad}`, async () => {
    const rng = makeRng(11);
    // ties: few levels and many zeros (as after a ReLU), so windows hold tied maxima
    const x = Float32Array.from(
      { length: shape.reduce((a: number, b: number) => a * b, 1) },
      (_, i) => ties ? Math.max(0, Math.floor(rng.next() * 4) - 1) : rng.next() + i,
    );
    const s = [...shape] as [number, number, number, number];
    const p = { ...pool };
    assert.deepEqual(await poolGrad("wasm", x, s, p), await poolGrad("cpu", x, s, p));
  });
}
