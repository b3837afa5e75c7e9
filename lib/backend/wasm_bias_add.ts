/**
 * `Add` for tfjs-backend-wasm when one operand is a per-channel vector (a
 * conv's bias): one SIMD pass (`bias_add` of `wasm_stream_kernels.ts`), where
 * the stock broadcasting add runs at a quarter of memory speed. Other adds go
 * to the stock kernel.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { offsetF32, replaceWasmKernel, runStock, type WasmKernelArgs } from "./_wasm_kernel.ts";
import { wasmOwnKernels } from "./wasm_own_kernels.ts";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Whether `b` is a vector along the last axis of `a`: [C] or [1, ..., 1, C]. */
function isChannelVector(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const c = a.shape.at(-1);
  return a.shape.length >= 2 && b.shape.length >= 1 && b.shape.length <= a.shape.length &&
    b.shape.at(-1) === c && size(b.shape) === c;
}

function add(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const { a, b } = args.inputs as tf.NamedTensorInfoMap;
  const own = wasmOwnKernels();
  if (!own || !a || !b || a.dtype !== "float32" || b.dtype !== "float32") {
    return runStock("Add", args);
  }
  const [x, bias] = isChannelVector(a, b) ? [a, b] : isChannelVector(b, a) ? [b, a] : [];
  const channels = x?.shape.at(-1) ?? 0;
  if (!x || !bias || channels % 4 !== 0 || size(x.shape) === 0) return runStock("Add", args);
  const y = backend.makeOutput([...x.shape], "float32");
  own.stream.biasAdd(
    4 * offsetF32(backend, x),
    4 * offsetF32(backend, bias),
    4 * offsetF32(backend, y),
    size(x.shape) / channels,
    channels / 4,
  );
  return y;
}

/** Registers the per-channel `Add` for the wasm backend (once per process). */
export function registerWasmBiasAdd(): void {
  replaceWasmKernel("Add", add);
}
