/**
 * What medmim's own tfjs-backend-wasm kernels share: their arguments, views
 * of the wasm heap, and replacing a registered kernel while keeping the stock
 * one for the cases medmim's does not handle.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** A kernel function's argument (inputs are a list for `Concat`). */
export interface WasmKernelArgs {
  inputs: tf.NamedTensorInfoMap | tf.TensorInfo[];
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** A medmim kernel function. */
export type WasmKernelFunc = (args: WasmKernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/**
 * The whole wasm heap as float32: a view, valid until the heap grows (fetch it
 * after the last `makeOutput`).
 */
export function heapF32(backend: BackendWasm, any: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.typedArrayFromHeap(any).buffer);
}

/** Float32 index of a float32 tensor's data in the wasm heap. */
export function offsetF32(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset / 4;
}

/**
 * The geometry of an NHWC conv without dilation
 * (`backend_util.computeConv2DInfo`).
 *
 * @param xShape The input's shape `[N, H, W, Cin]`.
 * @param filterShape `[kh, kw, Cin, Cout]`.
 * @param strides One stride or `[sh, sw]`.
 * @param pad `"same"`, `"valid"`, a number or explicit paddings.
 * @param roundingMode tfjs's `dimRoundingMode`, if any.
 * @returns The geometry.
 */
export function nhwcConvInfo(
  xShape: readonly number[],
  filterShape: readonly number[],
  strides: number | [number, number],
  pad: "same" | "valid" | number | tf.backend_util.ExplicitPadding,
  roundingMode?: "floor" | "round" | "ceil",
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    strides,
    1,
    pad as "same",
    roundingMode,
    false,
    "channelsLast",
  );
}

const stock = new Map<string, tf.KernelConfig | undefined>();

/**
 * Registers `kernelFunc` as the wasm kernel `name` (once per process; later
 * calls do nothing), keeping the stock kernel for {@linkcode runStock}. The
 * stock kernel's `setupFunc`, which binds its C function at backend start, is
 * kept too, so the stock kernel still works whether the backend started
 * before or after.
 *
 * @param name The tfjs kernel name.
 * @param kernelFunc medmim's kernel.
 */
export function replaceWasmKernel(name: string, kernelFunc: WasmKernelFunc): void {
  if (stock.has(name)) return;
  const original = tf.getKernel(name, "wasm");
  stock.set(name, original);
  if (original) tf.unregisterKernel(name, "wasm");
  const config: tf.KernelConfig = {
    kernelName: name,
    backendName: "wasm",
    kernelFunc: kernelFunc as unknown as tf.KernelFunc,
  };
  if (original?.setupFunc) config.setupFunc = original.setupFunc;
  tf.registerKernel(config);
}

/**
 * Runs the stock wasm kernel that {@linkcode replaceWasmKernel} replaced.
 *
 * @throws {Error} If tfjs-backend-wasm had no such kernel.
 */
export function runStock(name: string, args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const kernel = stock.get(name);
  if (!kernel) throw new Error(`Cannot run ${name} on wasm: the stock kernel was not found`);
  return kernel.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
