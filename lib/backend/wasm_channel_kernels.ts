/**
 * Channel-axis kernels for tfjs-backend-wasm on the U-Net's paths: `Concat`
 * and `SplitV` along the last (channel) axis (the skip connections and their
 * gradients), `Sum` over every axis but the channels (the bias gradients),
 * and `Identity` by reference.
 *
 * The stock kernels copy through general strided loops (21 ms to split a
 * batch of 8 x 128 x 128 x 32 in two, 14 ms to concatenate it here), and the
 * stock `Sum` transposes the reduced axes innermost first; a plain pass over
 * the heap does each in a few ms. The stock `Identity` copies the
 * buffer, where tfjs's cpu and webgl backends share it (tensors are
 * immutable, so sharing is safe). Other axes and dtypes go to the stock
 * kernels.
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
  type WasmKernelFunc,
} from "./_wasm_kernel.ts";
import { wasmOwnKernels } from "./wasm_own_kernels.ts";

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Copies `rows` rows of `width` values from `src` (row stride `srcStride`) to
 * `dst` (row stride `dstStride`), both float32 offsets into `heap`.
 */
function copyRows(
  heap: Float32Array,
  rows: number,
  width: number,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
): void {
  const own = wasmOwnKernels();
  if (own && width % 4 === 0) { // medmim's SIMD copy (wasm_stream_kernels.ts)
    own.stream.copyRows(4 * src, 4 * srcStride, 4 * dst, 4 * dstStride, rows, width / 4);
    return;
  }
  if (width >= 64) { // long rows: block copies
    for (let r = 0; r < rows; r++) {
      heap.copyWithin(dst + r * dstStride, src + r * srcStride, src + r * srcStride + width);
    }
    return;
  }
  for (let r = 0; r < rows; r++) {
    const s = src + r * srcStride, d = dst + r * dstStride;
    for (let j = 0; j < width; j++) heap[d + j] = heap[s + j]!;
  }
}

function concat(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const inputs =
    (Array.isArray(args.inputs) ? args.inputs : Object.values(args.inputs)) as tf.TensorInfo[];
  const first = inputs[0];
  const rank = first?.shape.length ?? 0;
  const axis = first
    ? tf.util.parseAxisParam((args.attrs?.["axis"] ?? 0) as number, first.shape)[0]
    : -1;
  const lead = first ? size(first.shape.slice(0, -1)) : 0;
  const fits = rank >= 2 && axis === rank - 1 && lead > 0 &&
    inputs.every((t) =>
      t.dtype === "float32" && t.shape.length === rank && size(t.shape) > 0 &&
      size(t.shape.slice(0, -1)) === lead
    );
  if (!fits) return runStock("Concat", args);
  const widths = inputs.map((t) => t.shape[rank - 1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = backend.makeOutput([...first!.shape.slice(0, -1), total], "float32");
  const heap = heapF32(backend, out); // after makeOutput: malloc may grow the heap
  const dst = offsetF32(backend, out);
  let at = 0;
  inputs.forEach((t, k) => {
    copyRows(heap, lead, widths[k]!, offsetF32(backend, t), widths[k]!, dst + at, total);
    at += widths[k]!;
  });
  return out;
}

function splitV(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.SplitVAttrs;
  const rank = x.shape.length;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const lead = size(x.shape.slice(0, -1));
  if (rank < 2 || axis !== rank - 1 || x.dtype !== "float32" || size(x.shape) === 0) {
    return runStock("SplitV", args);
  }
  const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const total = x.shape[rank - 1]!;
  const outs = sizes.map((w) => backend.makeOutput([...x.shape.slice(0, -1), w], "float32"));
  const heap = heapF32(backend, x); // after every makeOutput
  const src = offsetF32(backend, x);
  let at = 0;
  outs.forEach((out, k) => {
    if (sizes[k]! > 0) {
      copyRows(heap, lead, sizes[k]!, src + at, total, offsetF32(backend, out), sizes[k]!);
    }
    at += sizes[k]!;
  });
  return outs;
}

function sum(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.SumAttrs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const allButLast = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
  if (!allButLast || x.dtype !== "float32" || size(x.shape) === 0) return runStock("Sum", args);
  const channels = x.shape[rank - 1]!, rows = size(x.shape) / channels;
  const shape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
  const out = backend.makeOutput(shape, "float32");
  const own = wasmOwnKernels();
  if (own && channels % 4 === 0) {
    // medmim's SIMD pass (wasm_stream_kernels.ts): the same f64 additions in the same order
    const scratch = backend.makeOutput([2 * channels], "float32"); // channels f64
    const heap = heapF32(backend, out); // after both makeOutput
    const acc = new Float64Array(heap.buffer, 4 * offsetF32(backend, scratch), channels);
    acc.fill(0);
    own.stream.channelSum(4 * offsetF32(backend, x), acc.byteOffset, rows, channels / 4);
    heap.set(acc, offsetF32(backend, out));
    backend.disposeData(scratch.dataId);
    return out;
  }
  const heap = heapF32(backend, out); // after makeOutput
  const from = offsetF32(backend, x), to = offsetF32(backend, out);
  const acc = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const base = from + r * channels;
    for (let c = 0; c < channels; c++) acc[c]! += heap[base + c]!;
  }
  heap.set(acc, to);
  return out;
}

function identity(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  if (x.dtype === "string") return runStock("Identity", args);
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const KERNELS: Record<string, WasmKernelFunc> = {
  Concat: concat,
  SplitV: splitV,
  Sum: sum,
  Identity: identity,
};

/**
 * Registers (once per process) the channel-axis `Concat`, `SplitV`, `Sum` and
 * the by-reference `Identity` for the wasm backend, keeping the stock kernels for
 * the other cases.
 *
 * @returns The kernel names replaced.
 */
export function registerWasmChannelKernels(): readonly string[] {
  for (const [name, kernelFunc] of Object.entries(KERNELS)) replaceWasmKernel(name, kernelFunc);
  return Object.keys(KERNELS);
}
