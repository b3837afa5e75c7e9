/**
 * Convolution gradient kernels for tfjs-backend-wasm, composed from the wasm
 * backend's own kernels so that conv nets train on CPU at XNNPACK speed.
 *
 * tfjs-backend-wasm 4.22.0 ships no `Conv2DBackpropFilter` (so no conv net can
 * train on it), and its `Conv2DBackpropInput` is a scalar C++ loop (~3 GFLOP/s
 * against ~35 GFLOP/s for its XNNPACK `Conv2D`). We register:
 *
 * - `Conv2DBackpropFilter`: dW[ky,kx] = Xshift(ky,kx)^T · dY as one XNNPACK
 *   matmul per tap. x is padded (and split into stride phases with
 *   `SpaceToBatchND`), laid on a grid of Hs x Ws cells, flattened and transposed
 *   to [C_in, rows]; dY is zero-padded onto the same grid. On a flat grid a tap
 *   (ky, kx) is a constant row offset, so Xshift^T is a contiguous column window
 *   of x^T (one memcpy per channel) and every tap reuses dY as the matmul's
 *   packed right-hand side. The grid adds (Hs*Ws)/(Ho*Wo) - 1 wasted work,
 *   3% for 128x128 with a 3x3 kernel.
 * - `Conv2DBackpropInput` (replaces the stock kernel for the two cases a U-Net
 *   uses, falls back to it otherwise):
 *   1) stride 1: dx = Conv2D(dy, flip(W) with in/out swapped, explicit pads
 *      k-1-p), i.e. XNNPACK's forward conv;
 *   2) kernel == stride, no padding (2x2 stride-2 transposed conv):
 *      dx = DepthToSpace(dy · W as [C_out, k*k*C_in]).
 *
 * Every other kernel a plain conv + ReLU U-Net needs to train with Adam is
 * already registered by tfjs-backend-wasm (see {@linkcode WASM_TRAINING_KERNELS}).
 *
 * References:
 * - Shift-and-matmul weight gradient: the "implicit GEMM" view of convolution,
 *   https://docs.nvidia.com/deeplearning/performance/dl-performance-convolutional/
 * - Sub-pixel form of a stride-s transposed conv with kernel s: Shi et al. 2016,
 *   https://arxiv.org/abs/1609.05158
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";

/** Kernels a conv + ReLU + maxpool + transposed-conv U-Net needs to train with Adam. */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  "Conv2D", // forward 3x3 convs; dx of Conv2DBackpropInput
  "Conv2DBackpropInput", // dx of Conv2D; forward of conv2dTranspose
  "Conv2DBackpropFilter", // dW of Conv2D and of conv2dTranspose
  "Relu", "Step", "Cast", // ReLU and its gradient dy * step(x)
  "MaxPool", "MaxPoolGrad",
  "Concat", "SplitV", "Slice", "PadV2", // skip connections and their gradients
  "Sigmoid", "Mean", "Sum", "Multiply", "Add", "AddN", "Sub", "RealDiv", "Neg",
  "Square", "Sqrt", "Maximum", "Reshape", "Fill", "Identity", "ZerosLike", "OnesLike",
];

/** Kernels {@linkcode registerWasmConvGrads} adds or replaces on the wasm backend. */
export const WASM_REGISTERED_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
];

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

type Pads = [[number, number], [number, number], [number, number], [number, number]];

/** Run a registered wasm kernel directly (no engine, no tape). */
function run(
  name: string,
  backend: BackendWasm,
  inputs: tf.NamedTensorInfoMap,
  attrs: tf.NamedAttrMap = {},
): tf.TensorInfo {
  const kernel = tf.getKernel(name, "wasm");
  if (kernel === undefined) {
    throw new Error(`Cannot compose wasm kernel: "${name}" is not registered for wasm`);
  }
  return kernel.kernelFunc({ inputs, backend, attrs }) as tf.TensorInfo;
}

function free(backend: BackendWasm, ...infos: tf.TensorInfo[]): void {
  for (const t of infos) backend.disposeData(t.dataId);
}

function shape4(info: tf.TensorInfo, what: string): [number, number, number, number] {
  const s = info.shape;
  if (s.length !== 4) {
    throw new TypeError(`Cannot compute conv gradient: ${what} must be rank 4, got shape [${s}]`);
  }
  return [s[0]!, s[1]!, s[2]!, s[3]!];
}

function checkNhwc(dataFormat: unknown, kernel: string): void {
  if (dataFormat !== undefined && dataFormat !== "NHWC") {
    throw new TypeError(`Cannot run ${kernel} on wasm: dataFormat "${String(dataFormat)}" is not supported, use "NHWC"`);
  }
}

/**
 * `Conv2DBackpropFilter` for NHWC, any strides/padding, dilation 1.
 * Inputs x [N, H, W, Cin], dy [N, Ho, Wo, Cout]; output [kh, kw, Cin, Cout].
 */
function conv2DBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const x = args.inputs["x"]!;
  const dy = args.inputs["dy"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  checkNhwc(attrs.dataFormat, "Conv2DBackpropFilter");
  const [n, h, w, cin] = shape4(x, "x");
  const [kh, kw, , cout] = attrs.filterShape;
  const info = tf.backend_util.computeConv2DInfo(
    [n, h, w, cin],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  // Grid of one stride phase: Hs x Ws cells with the taps' extra reach.
  const qh = Math.ceil(kh / sh) - 1;
  const qw = Math.ceil(kw / sw) - 1;
  const hs = ho + qh;
  const ws = wo + qw;
  const maxShift = qh * ws + qw;
  const extra = maxShift > 0 ? 1 : 0; // one zero image so shifted windows stay in bounds

  // 1) x -> padded/cropped to [N+extra, Hs*sh, Ws*sw, Cin]
  const temps: tf.TensorInfo[] = [];
  let xg: tf.TensorInfo = x;
  const cropH = Math.min(h + top, hs * sh) - top;
  const cropW = Math.min(w + left, ws * sw) - left;
  if (cropH < h || cropW < w) {
    xg = run("Slice", backend, { x: xg }, { begin: [0, 0, 0, 0], size: [n, cropH, cropW, cin] });
    temps.push(xg);
  }
  const pads: Pads = [[0, extra], [top, hs * sh - top - cropH], [left, ws * sw - left - cropW], [0, 0]];
  if (pads.some(([a, b]) => a !== 0 || b !== 0)) {
    xg = run("PadV2", backend, { x: xg }, { paddings: pads, constantValue: 0 });
    temps.push(xg);
  }
  // 2) stride phases -> [sh*sw*(N+extra), Hs, Ws, Cin], phase-major
  if (sh > 1 || sw > 1) {
    xg = run("SpaceToBatchND", backend, { x: xg }, {
      blockShape: [sh, sw],
      paddings: [[0, 0], [0, 0]],
    });
    temps.push(xg);
  }
  const rowsTotal = sh * sw * (n + extra) * hs * ws;
  const rows = n * hs * ws;
  const x2 = run("Reshape", backend, { x: xg }, { shape: [rowsTotal, cin] });
  const xT = run("Transpose", backend, { x: x2 }, { perm: [1, 0] }); // [Cin, rowsTotal]
  free(backend, x2, ...temps);

  // 3) dy on the same grid -> [rows, Cout]
  let dyg: tf.TensorInfo = dy;
  if (hs > ho || ws > wo) {
    dyg = run("PadV2", backend, { x: dy }, {
      paddings: [[0, 0], [0, hs - ho], [0, ws - wo], [0, 0]],
      constantValue: 0,
    });
  }
  const dy2 = run("Reshape", backend, { x: dyg }, { shape: [rows, cout] });
  if (dyg !== dy) free(backend, dyg);

  // 4) one matmul per tap: [Cin, rows] . [rows, Cout] -> [Cin, Cout]
  const out = backend.makeOutput(attrs.filterShape, "float32");
  const tapSize = cin * cout;
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const phase = (ky % sh) * sw + (kx % sw);
      const offset = phase * (n + extra) * hs * ws + Math.floor(ky / sh) * ws + Math.floor(kx / sw);
      const a = run("Slice", backend, { x: xT }, { begin: [0, offset], size: [cin, rows] });
      const tap = run("BatchMatMul", backend, { a, b: dy2 }, { transposeA: false, transposeB: false });
      // Re-read the heap view: the wasm heap may have grown (and moved) meanwhile.
      const tapVals = backend.typedArrayFromHeap(tap) as Float32Array;
      (backend.typedArrayFromHeap(out) as Float32Array).set(tapVals, (ky * kw + kx) * tapSize);
      free(backend, a, tap);
    }
  }
  free(backend, xT, dy2);
  return out;
}

let originalBackpropInput: tf.KernelConfig | undefined;

/**
 * `Conv2DBackpropInput` (dx of conv2d, forward of conv2dTranspose) through
 * XNNPACK where possible; other cases use the stock wasm kernel.
 */
function conv2DBackpropInput(args: KernelArgs): tf.TensorInfo {
  const backend = args.backend as BackendWasm;
  const dy = args.inputs["dy"]!;
  const filter = args.inputs["filter"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  checkNhwc(attrs.dataFormat, "Conv2DBackpropInput");
  const [kh, kw, cin, cout] = shape4(filter, "filter");
  const info = tf.backend_util.computeConv2DInfo(
    attrs.inputShape,
    [kh, kw, cin, cout],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  const { top, bottom, left, right } = info.padInfo;

  // 1) stride 1: correlation of dy with the flipped, channel-swapped filter
  const pt = kh - 1 - top, pb = kh - 1 - bottom, pl = kw - 1 - left, pr = kw - 1 - right;
  if (sh === 1 && sw === 1 && pt >= 0 && pb >= 0 && pl >= 0 && pr >= 0) {
    const flipped = run("Reverse", backend, { x: filter }, { dims: [0, 1] });
    const wT = run("Transpose", backend, { x: flipped }, { perm: [0, 1, 3, 2] }); // [kh, kw, Cout, Cin]
    const dx = run("Conv2D", backend, { x: dy, filter: wT }, {
      strides: [1, 1],
      pad: [[0, 0], [pt, pb], [pl, pr], [0, 0]],
      dataFormat: "NHWC",
      dilations: [1, 1],
    });
    free(backend, flipped, wT);
    return dx;
  }
  // 2) kernel == stride, no padding: each input pixel fills one s x s block
  const noPad = top === 0 && bottom === 0 && left === 0 && right === 0;
  if (
    kh === sh && kw === sw && sh === sw && noPad &&
    inHeight === outHeight * sh && inWidth === outWidth * sw
  ) {
    const [n, ho, wo] = shape4(dy, "dy");
    const wT = run("Transpose", backend, { x: filter }, { perm: [3, 0, 1, 2] }); // [Cout, kh, kw, Cin]
    const wm = run("Reshape", backend, { x: wT }, { shape: [cout, kh * kw * cin] });
    const dy2 = run("Reshape", backend, { x: dy }, { shape: [n * ho * wo, cout] });
    const y = run("BatchMatMul", backend, { a: dy2, b: wm }, { transposeA: false, transposeB: false });
    const y4 = run("Reshape", backend, { x: y }, { shape: [n, ho, wo, kh * kw * cin] });
    const dx = run("DepthToSpace", backend, { x: y4 }, { blockSize: sh, dataFormat: "NHWC" });
    free(backend, wT, wm, dy2, y, y4);
    return dx;
  }
  // 3) anything else: the stock kernel
  if (originalBackpropInput === undefined) {
    throw new Error("Cannot run Conv2DBackpropInput on wasm: the stock kernel was not found");
  }
  return originalBackpropInput.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}

let registered = false;

/**
 * Register (once per process) `Conv2DBackpropFilter` and the faster
 * `Conv2DBackpropInput` for the `wasm` backend. Safe to call before or after
 * the backend initialises.
 *
 * @returns Names of the kernels added or replaced.
 * @example
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs";
 * import { registerWasmConvGrads } from "./lib/backend/wasm_conv_grads.ts";
 * registerWasmConvGrads();
 * console.assert(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined);
 * ```
 */
export function registerWasmConvGrads(): readonly string[] {
  if (registered) return WASM_REGISTERED_KERNELS;
  originalBackpropInput = tf.getKernel("Conv2DBackpropInput", "wasm");
  if (originalBackpropInput !== undefined) tf.unregisterKernel("Conv2DBackpropInput", "wasm");
  const input: tf.KernelConfig = {
    kernelName: "Conv2DBackpropInput",
    backendName: "wasm",
    kernelFunc: conv2DBackpropInput as unknown as tf.KernelFunc,
  };
  // The stock kernel binds its C function in setupFunc, which runs at backend init.
  if (originalBackpropInput?.setupFunc !== undefined) input.setupFunc = originalBackpropInput.setupFunc;
  tf.registerKernel(input);
  if (tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined) {
    tf.unregisterKernel("Conv2DBackpropFilter", "wasm");
  }
  tf.registerKernel({
    kernelName: "Conv2DBackpropFilter",
    backendName: "wasm",
    kernelFunc: conv2DBackpropFilter as unknown as tf.KernelFunc,
  });
  registered = true;
  return WASM_REGISTERED_KERNELS;
}
