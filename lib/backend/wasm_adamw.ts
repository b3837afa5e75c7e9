/**
 * medmim's fused AdamW update for tfjs-backend-wasm, the kernel
 * `MedmimAdamW`: inputs p, g, m, v (float32, one shape), attributes
 * `{ beta1, beta2, c1, c2, eps, lr, weightDecay }`, outputs [p', m', v'].
 * One pass of `wasm_adamw_kernel.ts` over the four tensors, bit for bit the
 * tensor ops of `lib/optim/adamw.ts` (which uses it where
 * {@linkcode wasmAdamWReady}); the last n % 4 values are computed here in
 * float64 and rounded to float32 after each operation, which for +, -, x, /
 * and sqrt gives the float32 result.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapF32, offsetF32, type WasmKernelArgs } from "./_wasm_kernel.ts";
import { wasmOwnKernels } from "./wasm_own_kernels.ts";

/** The kernel's name. */
export const ADAMW_KERNEL = "MedmimAdamW";

/** The kernel's attributes: c1, c2 the bias corrections, lr already scaled. */
export interface AdamWKernelAttrs {
  readonly beta1: number;
  readonly beta2: number;
  readonly c1: number;
  readonly c2: number;
  readonly eps: number;
  readonly lr: number;
  /** 0: no decay term at all (not `+ p 0`). */
  readonly weightDecay: number;
}

function adamW(args: WasmKernelArgs): tf.TensorInfo[] {
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const backend = args.backend as BackendWasm;
  const a = args.attrs as unknown as AdamWKernelAttrs;
  const k = wasmOwnKernels();
  if (!k) throw new Error(`Cannot run ${ADAMW_KERNEL}: medmim's wasm kernels are not set up`);
  const ins = (["p", "g", "m", "v"] as const).map((name) => inputs[name]!);
  const shape = ins[0]!.shape;
  const n = tf.util.sizeFromShape(shape);
  for (const [i, t] of ins.entries()) {
    if (t.dtype !== "float32" || tf.util.sizeFromShape(t.shape) !== n) {
      throw new TypeError(
        `Cannot run ${ADAMW_KERNEL}: input ${"pgmv"[i]} must be float32 of shape [${shape}], ` +
          `got ${t.dtype} [${t.shape}]`,
      );
    }
  }
  const outs = [0, 1, 2].map(() => backend.makeOutput(shape, "float32"));
  const heap = heapF32(backend, outs[0]!); // after makeOutput: malloc may grow the heap
  const at = [...ins, ...outs].map((t) => offsetF32(backend, t));
  const n4 = n >> 2;
  const scalars = [a.beta1, 1 - a.beta1, a.beta2, 1 - a.beta2, a.c1, a.c2, a.eps, a.lr];
  const decay = a.weightDecay !== 0;
  if (n4 > 0) {
    const fn = decay ? k.adamw.decay : k.adamw.plain;
    fn(...at.map((f) => 4 * f), n4, ...scalars, ...(decay ? [a.weightDecay] : []));
  }
  const f = Math.fround, [b1, nb1, b2, nb2, c1, c2, eps, lr] = scalars.map(f) as number[];
  const wd = f(a.weightDecay);
  const [P, G, M, V, PO, MO, VO] = at as number[];
  for (let i = 4 * n4; i < n; i++) {
    const p = heap[P! + i]!, g = heap[G! + i]!;
    const m1 = f(f(heap[M! + i]! * b1!) + f(g * nb1!));
    const v1 = f(f(heap[V! + i]! * b2!) + f(f(g * g) * nb2!));
    let u = f(f(m1 / c1!) / f(f(Math.sqrt(f(v1 / c2!))) + eps!));
    if (decay) u = f(u + f(p * wd));
    heap[MO! + i] = m1;
    heap[VO! + i] = v1;
    heap[PO! + i] = f(p - f(u * lr!));
  }
  return outs;
}

/** Registers `MedmimAdamW` for the wasm backend (once per process). */
export function registerWasmAdamW(): void {
  if (tf.getKernel(ADAMW_KERNEL, "wasm")) return;
  tf.registerKernel({
    kernelName: ADAMW_KERNEL,
    backendName: "wasm",
    kernelFunc: adamW as unknown as tf.KernelFunc,
  });
}

/**
 * Whether the fused update can run now: the wasm backend is active, the
 * kernel registered and medmim's wasm kernels set up.
 *
 * @returns true when `MedmimAdamW` runs.
 */
export function wasmAdamWReady(): boolean {
  return tf.getBackend() === "wasm" && tf.getKernel(ADAMW_KERNEL, "wasm") !== undefined &&
    wasmOwnKernels() !== null;
}
