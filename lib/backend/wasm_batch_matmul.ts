/**
 * `BatchMatMul` for tfjs-backend-wasm at XNNPACK speed in every case a
 * transformer trains with.
 *
 * The stock kernel (tfjs-backend-wasm 4.22.0) reaches XNNPACK only for one
 * non-transposed product (batch 1); a transposed operand, as in every matmul
 * gradient (`dA = dY B^T`, `dB = A^T dY`), or a batch > 1, as in attention
 * (`Q K^T`, `P V`, per sample and head), falls to a scalar loop about 10x
 * slower (0.7 against 7-10 GFLOP/s on this project's 2-core machine). Here:
 *
 * 1. a transposed operand is transposed once by the `Transpose` kernel (a
 *    memory pass, cheap beside the product);
 * 2. a product whose right operand has batch 1 (a shared weight) folds the
 *    left batch into rows: one XNNPACK product of `[B*M, K] x [K, N]`;
 * 3. equal batches > 1 run one XNNPACK product per batch element, the slices
 *    copied in and out on the wasm heap.
 *
 * Other dtypes and broadcasts over several batch dimensions go to the stock kernel.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  heapF32,
  offsetF32,
  replaceWasmKernel,
  runStock,
  type WasmKernelArgs,
} from "./_wasm_kernel.ts";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function run(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (!kernel) throw new Error(`Cannot run ${name} on wasm: the kernel is not registered`);
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

/** The stock kernel on two rank-3, batch-1, non-transposed operands: its XNNPACK path. */
function fastProduct(backend: BackendWasm, a: tf.TensorInfo, b: tf.TensorInfo): tf.TensorInfo {
  return runStock("BatchMatMul", {
    inputs: { a, b },
    backend,
    attrs: { transposeA: false, transposeB: false },
  }) as tf.TensorInfo;
}

/** `[B, r, c]` as stored, or its transpose `[B, c, r]` materialised. */
function upright(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dims: [number, number, number],
  transpose: boolean,
): tf.TensorInfo {
  const x3 = run("Reshape", backend, { x }, { shape: dims });
  if (!transpose) return x3;
  const t = run("Transpose", backend, { x: x3 }, { perm: [0, 2, 1] });
  backend.disposeData(x3.dataId);
  return t;
}

/** A `[1, rows, cols]` copy of batch element `i` of an upright `[B, rows, cols]` tensor. */
function sliceOf(backend: BackendWasm, x: tf.TensorInfo, i: number): tf.TensorInfo {
  const [, rows, cols] = x.shape as [number, number, number];
  const out = backend.makeOutput([1, rows, cols], "float32");
  const heap = heapF32(backend, out); // after makeOutput: malloc may grow the heap
  const from = offsetF32(backend, x) + i * rows * cols;
  heap.copyWithin(offsetF32(backend, out), from, from + rows * cols);
  return out;
}

function batchMatMul(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const transposeA = Boolean(args.attrs?.["transposeA"]);
  const transposeB = Boolean(args.attrs?.["transposeB"]);
  const ra = a.shape.length, rb = b.shape.length;
  if (a.dtype !== "float32" || b.dtype !== "float32" || ra < 2 || rb < 2) {
    return runStock("BatchMatMul", args);
  }
  const leadA = a.shape.slice(0, -2), leadB = b.shape.slice(0, -2);
  const batchA = size(leadA), batchB = size(leadB);
  const sameLead = leadA.length === leadB.length && leadA.every((d, i) => d === leadB[i]);
  if (!(sameLead || batchB === 1)) return runStock("BatchMatMul", args); // general broadcast
  const m = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!;
  const k = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!;
  const kb = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!;
  const n = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!;
  if (k !== kb) return runStock("BatchMatMul", args); // the stock kernel reports the mismatch
  const outShape = [...(sameLead ? leadA : leadA.length >= leadB.length ? leadA : leadB), m, n];
  if (m * n * k === 0) return runStock("BatchMatMul", args);

  const a3 = upright(backend, a, transposeA ? [batchA, k, m] : [batchA, m, k], transposeA);
  const b3 = upright(backend, b, transposeB ? [batchB, n, k] : [batchB, k, n], transposeB);
  let out: tf.TensorInfo;
  if (batchB === 1) {
    // 2) one product over all rows of the left operand
    const rows = run("Reshape", backend, { x: a3 }, { shape: [1, batchA * m, k] });
    const y = fastProduct(backend, rows, b3);
    out = run("Reshape", backend, { x: y }, { shape: outShape });
    for (const t of [rows, y]) backend.disposeData(t.dataId);
  } else {
    // 3) one product per batch element
    out = backend.makeOutput(outShape, "float32");
    for (let i = 0; i < batchA; i++) {
      const ai = sliceOf(backend, a3, i), bi = sliceOf(backend, b3, i);
      const yi = fastProduct(backend, ai, bi);
      const heap = heapF32(backend, out);
      const from = offsetF32(backend, yi);
      heap.copyWithin(offsetF32(backend, out) + i * m * n, from, from + m * n);
      for (const t of [ai, bi, yi]) backend.disposeData(t.dataId);
    }
  }
  for (const t of [a3, b3]) backend.disposeData(t.dataId);
  return out;
}

/**
 * Registers medmim's wasm `BatchMatMul` (once per process; the stock kernel
 * stays for the cases above that it keeps).
 *
 * @returns The kernel names registered.
 */
export function registerWasmBatchMatMul(): readonly string[] {
  replaceWasmKernel("BatchMatMul", batchMatMul);
  return ["BatchMatMul"];
}
