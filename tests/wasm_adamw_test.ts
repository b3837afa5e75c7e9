import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { useWasmOwnKernels } from "../lib/backend/wasm_own_kernels.ts";
import { wasmAdamWReady } from "../lib/backend/wasm_adamw.ts";
import { adamWStep, createAdamWState } from "../lib/optim/adamw.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

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
