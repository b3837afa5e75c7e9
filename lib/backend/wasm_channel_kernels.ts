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

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap | tf.TensorInfo[];
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

const stock = new Map<string, tf.KernelConfig | undefined>();

function fallback(name: string, args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const kernel = stock.get(name);
  if (!kernel) throw new Error(`Cannot run ${name} on wasm: the stock kernel was not found`);
  return kernel.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

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

/** Float32 offset of a tensor's data in the heap (after every allocation). */
function offset(backend: BackendWasm, t: tf.TensorInfo): number {
  return backend.typedArrayFromHeap(t).byteOffset / 4;
}

function heapOf(backend: BackendWasm, t: tf.TensorInfo): Float32Array {
  return new Float32Array(backend.typedArrayFromHeap(t).buffer);
}

function concat(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
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
  if (!fits) return fallback("Concat", args);
  const widths = inputs.map((t) => t.shape[rank - 1]!);
  const total = widths.reduce((a, b) => a + b, 0);
  const out = backend.makeOutput([...first!.shape.slice(0, -1), total], "float32");
  const heap = heapOf(backend, out); // after makeOutput: malloc may grow the heap
  const dst = offset(backend, out);
  let at = 0;
  inputs.forEach((t, k) => {
    copyRows(heap, lead, widths[k]!, offset(backend, t), widths[k]!, dst + at, total);
    at += widths[k]!;
  });
  return out;
}

function splitV(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.SplitVAttrs;
  const rank = x.shape.length;
  const axis = tf.util.parseAxisParam(attrs.axis, x.shape)[0];
  const lead = size(x.shape.slice(0, -1));
  if (rank < 2 || axis !== rank - 1 || x.dtype !== "float32" || size(x.shape) === 0) {
    return fallback("SplitV", args);
  }
  const sizes = tf.backend_util.prepareSplitSize(x, attrs.numOrSizeSplits, axis);
  const total = x.shape[rank - 1]!;
  const outs = sizes.map((w) => backend.makeOutput([...x.shape.slice(0, -1), w], "float32"));
  const heap = heapOf(backend, x); // after every makeOutput
  const src = offset(backend, x);
  let at = 0;
  outs.forEach((out, k) => {
    if (sizes[k]! > 0) {
      copyRows(heap, lead, sizes[k]!, src + at, total, offset(backend, out), sizes[k]!);
    }
    at += sizes[k]!;
  });
  return outs;
}

function sum(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.SumAttrs;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs.axis, x.shape).sort((a, b) => a - b);
  const allButLast = rank >= 2 && axes.length === rank - 1 && axes.every((a, i) => a === i);
  if (!allButLast || x.dtype !== "float32" || size(x.shape) === 0) return fallback("Sum", args);
  const channels = x.shape[rank - 1]!, rows = size(x.shape) / channels;
  const shape = attrs.keepDims ? [...x.shape.slice(0, -1).map(() => 1), channels] : [channels];
  const out = backend.makeOutput(shape, "float32");
  const heap = heapOf(backend, out); // after makeOutput
  const from = offset(backend, x), to = offset(backend, out);
  const acc = new Float64Array(channels);
  for (let r = 0; r < rows; r++) {
    const base = from + r * channels;
    for (let c = 0; c < channels; c++) acc[c]! += heap[base + c]!;
  }
  heap.set(acc, to);
  return out;
}

function identity(args: KernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const x = (args.inputs as tf.NamedTensorInfoMap)["x"]!;
  if (x.dtype === "string") return fallback("Identity", args);
  (args.backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

const KERNELS: Record<string, (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[]> = {
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
  for (const [name, kernelFunc] of Object.entries(KERNELS)) {
    if (stock.has(name)) continue;
    const original = tf.getKernel(name, "wasm");
    stock.set(name, original);
    if (original) tf.unregisterKernel(name, "wasm");
    const config: tf.KernelConfig = {
      kernelName: name,
      backendName: "wasm",
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    };
    if (original?.setupFunc) config.setupFunc = original.setupFunc; // binds the stock C function
    tf.registerKernel(config);
  }
  return Object.keys(KERNELS);
}
