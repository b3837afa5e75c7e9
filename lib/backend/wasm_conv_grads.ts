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
 *   (ky, kx) is a constant row offset, so Xshift^T is a contiguous window of
 *   each row of x^T; the windows of all taps are stacked with `copyWithin` on
 *   the wasm heap into [kh*kw*C_in, rows] and multiplied by dY in ONE matmul
 *   (XNNPACK reaches ~40 GFLOP/s with that many rows, ~12 with C_in rows per
 *   tap). The grid adds (Hs*Ws)/(Ho*Wo) - 1 wasted work, 3% for 128x128 with
 *   a 3x3 kernel. When kernel == stride with no padding (dW of a 2x2 stride-2
 *   transposed conv), one `Transpose` of x gives the stacked windows directly.
 * - `Conv2DBackpropInput` (replaces the stock kernel for the two cases a U-Net
 *   uses, falls back to it otherwise):
 *   1) stride 1: dx = Conv2D(dy, flip(W) with in/out swapped, explicit pads
 *      k-1-p), i.e. XNNPACK's forward conv;
 *   2) kernel == stride, no padding (2x2 stride-2 transposed conv):
 *      dx = depth-to-space(dy · W as [C_out, k*k*C_in]), the depth-to-space
 *      done as one `Transpose` (the stock `DepthToSpace` is a scalar loop).
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
import {
  heapF32,
  nhwcConvInfo,
  offsetF32,
  replaceWasmKernel,
  runStock,
  type WasmKernelArgs,
} from "./_wasm_kernel.ts";
import { wasmFilterGrad, wasmFilterGradApplies } from "./wasm_filter_grad.ts";
import { type FilterPacker, wasmConv2d, wasmConv2dApplies } from "./wasm_conv2d.ts";

/** Kernels a conv + ReLU + maxpool + transposed-conv U-Net needs to train with Adam. */
export const WASM_TRAINING_KERNELS: readonly string[] = [
  "Conv2D", // forward 3x3 convs; dx of Conv2DBackpropInput
  "Conv2DBackpropInput", // dx of Conv2D; forward of conv2dTranspose
  "Conv2DBackpropFilter", // dW of Conv2D and of conv2dTranspose
  "Relu",
  "Step",
  "Cast", // ReLU and its gradient dy * step(x)
  "MaxPool",
  "MaxPoolGrad",
  "Concat",
  "SplitV",
  "Slice",
  "PadV2", // skip connections and their gradients
  "Sigmoid",
  "Mean",
  "Sum",
  "Multiply",
  "Add",
  "AddN",
  "Sub",
  "RealDiv",
  "Neg",
  "Square",
  "Sqrt",
  "Maximum",
  "Reshape",
  "Fill",
  "Identity",
  "ZerosLike",
  "OnesLike",
];

/** Kernels {@linkcode registerWasmConvGrads} adds or replaces on the wasm backend. */
export const WASM_REGISTERED_KERNELS: readonly string[] = [
  "Conv2DBackpropFilter",
  "Conv2DBackpropInput",
];

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
    throw new TypeError(
      `Cannot run ${kernel} on wasm: dataFormat "${
        String(dataFormat)
      }" is not supported, use "NHWC"`,
    );
  }
}

/**
 * `Conv2DBackpropFilter` for NHWC, any strides/padding, dilation 1.
 * Inputs x [N, H, W, Cin], dy [N, Ho, Wo, Cout]; output [kh, kw, Cin, Cout].
 */
function conv2DBackpropFilter(args: WasmKernelArgs): tf.TensorInfo {
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const backend = args.backend as BackendWasm;
  const x = inputs["x"]!;
  const dy = inputs["dy"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  checkNhwc(attrs.dataFormat, "Conv2DBackpropFilter");
  const [n, h, w, cin] = shape4(x, "x");
  const [kh, kw, , cout] = attrs.filterShape;
  const info = nhwcConvInfo(
    [n, h, w, cin],
    attrs.filterShape,
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  // medmim's own SIMD kernel when initialised (wasm_filter_grad.ts), else the composition below
  if (wasmFilterGradApplies(cout)) return wasmFilterGrad(backend, x, dy, info);
  const { strideHeight: sh, strideWidth: sw, outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;
  // 0) kernel == stride, no padding (dW of a 2x2 stride-2 transposed conv): one
  //    transpose [N*Ho, sh, Wo, sw*Cin] -> [sh, sw*Cin, N*Ho, Wo] is the im2col^T.
  const noPad = top === 0 && info.padInfo.bottom === 0 && left === 0 && info.padInfo.right === 0;
  if (kh === sh && kw === sw && noPad && h === ho * sh && w === wo * sw) {
    const xr = run("Reshape", backend, { x }, { shape: [n * ho, sh, wo, sw * cin] });
    const xt = run("Transpose", backend, { x: xr }, { perm: [1, 3, 0, 2] });
    const a = run("Reshape", backend, { x: xt }, { shape: [kh * kw * cin, n * ho * wo] });
    const b = run("Reshape", backend, { x: dy }, { shape: [n * ho * wo, cout] });
    const dw = run("BatchMatMul", backend, { a, b }, { transposeA: false, transposeB: false });
    const out = run("Reshape", backend, { x: dw }, { shape: attrs.filterShape });
    free(backend, xr, xt, a, b, dw);
    return out;
  }
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
  const pads: Pads = [[0, extra], [top, hs * sh - top - cropH], [left, ws * sw - left - cropW], [
    0,
    0,
  ]];
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

  // 4) stack the taps' windows of x^T: [kh*kw*Cin, rows]; row (tap, ci) is x^T[ci, offset(tap) + r]
  const taps = kh * kw;
  const a = backend.makeOutput([taps * cin, rows], "float32");
  const heap = heapF32(backend, a); // fetched after makeOutput: malloc may grow the heap
  const src = offsetF32(backend, xT);
  const dst = offsetF32(backend, a);
  for (let ky = 0; ky < kh; ky++) {
    for (let kx = 0; kx < kw; kx++) {
      const phase = (ky % sh) * sw + (kx % sw);
      const offset = phase * (n + extra) * hs * ws + Math.floor(ky / sh) * ws + Math.floor(kx / sw);
      const t = ky * kw + kx;
      for (let ci = 0; ci < cin; ci++) {
        const from = src + ci * rowsTotal + offset;
        heap.copyWithin(dst + (t * cin + ci) * rows, from, from + rows);
      }
    }
  }
  free(backend, xT);
  // 5) one XNNPACK matmul: [kh*kw*Cin, rows] . [rows, Cout] = dW in [kh, kw, Cin, Cout] order
  const dw = run("BatchMatMul", backend, { a, b: dy2 }, { transposeA: false, transposeB: false });
  free(backend, a, dy2);
  const out = run("Reshape", backend, { x: dw }, { shape: attrs.filterShape });
  free(backend, dw);
  return out;
}

/**
 * `W'[ky, kx, co, ci] = W[kh-1-ky, kw-1-kx, ci, co]`: one `Transpose` of the
 * taps' [Cin, Cout] blocks, then the taps' order reversed with block copies on
 * the heap (the stock `Reverse` is a scalar loop, ~10x slower than both).
 */
function flippedTransposedFilter(
  backend: BackendWasm,
  filter: tf.TensorInfo,
  [kh, kw, cin, cout]: [number, number, number, number],
): tf.TensorInfo {
  const taps = kh * kw, block = cin * cout;
  const w3 = run("Reshape", backend, { x: filter }, { shape: [taps, cin, cout] });
  const t3 = run("Transpose", backend, { x: w3 }, { perm: [0, 2, 1] }); // [taps, Cout, Cin]
  const out = backend.makeOutput([kh, kw, cout, cin], "float32");
  const heap = heapF32(backend, out); // after makeOutput: malloc may grow the heap
  const src = offsetF32(backend, t3), dst = offsetF32(backend, out);
  for (let t = 0; t < taps; t++) {
    const from = src + (taps - 1 - t) * block;
    heap.copyWithin(dst + t * block, from, from + block);
  }
  free(backend, w3, t3);
  return out;
}

/**
 * The flipped, channel-swapped filter of {@linkcode flippedTransposedFilter},
 * written straight into the packed layout of medmim's conv
 * (`[ceil(Cin / 8), kh, kw, Cout, 8]`, `wasm_conv2d.ts`): packed (b, t, co,
 * j) = w[kh kw - 1 - t][8 b + j][co]. One pass, no transpose.
 *
 * @param backend The wasm backend.
 * @param filter The forward filter `[kh, kw, Cin, Cout]`.
 * @returns The packer.
 */
function packFlippedFilter(backend: BackendWasm, filter: tf.TensorInfo): FilterPacker {
  const [kh, kw, cin, cout] = shape4(filter, "filter");
  const taps = kh * kw;
  return (heap, to) => {
    const from = offsetF32(backend, filter);
    for (let t = 0; t < taps; t++) {
      for (let ci = 0; ci < cin; ci++) {
        const src = from + ((taps - 1 - t) * cin + ci) * cout;
        const dst = to + ((ci >> 3) * taps + t) * cout * 8 + (ci & 7);
        for (let co = 0; co < cout; co++) heap[dst + 8 * co] = heap[src + co]!;
      }
    }
  };
}

/**
 * `Conv2DBackpropInput` (dx of conv2d, forward of conv2dTranspose): at stride
 * 1 medmim's conv with the flipped filter, for the 2x2 stride-2 transposed
 * conv one XNNPACK matmul; other cases use the stock wasm kernel.
 */
function conv2DBackpropInput(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const backend = args.backend as BackendWasm;
  const dy = inputs["dy"]!;
  const filter = inputs["filter"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropInputAttrs;
  checkNhwc(attrs.dataFormat, "Conv2DBackpropInput");
  const [kh, kw, cin, cout] = shape4(filter, "filter");
  const info = nhwcConvInfo(
    attrs.inputShape,
    [kh, kw, cin, cout],
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  const { strideHeight: sh, strideWidth: sw, inHeight, inWidth, outHeight, outWidth } = info;
  const { top, bottom, left, right } = info.padInfo;

  // 1) stride 1: correlation of dy with the flipped, channel-swapped filter
  const pt = kh - 1 - top, pb = kh - 1 - bottom, pl = kw - 1 - left, pr = kw - 1 - right;
  if (sh === 1 && sw === 1 && pt >= 0 && pb >= 0 && pl >= 0 && pr >= 0) {
    const pad: tf.backend_util.ExplicitPadding = [[0, 0], [pt, pb], [pl, pr], [0, 0]];
    if (wasmConv2dApplies(cout, cin)) {
      // medmim's conv, its filter flipped and packed in one pass
      const dyInfo = nhwcConvInfo(shape4(dy, "dy"), [kh, kw, cout, cin], 1, pad);
      return wasmConv2d(backend, dy, dyInfo, packFlippedFilter(backend, filter));
    }
    const wT = flippedTransposedFilter(backend, filter, [kh, kw, cin, cout]); // [kh, kw, Cout, Cin]
    const dx = run("Conv2D", backend, { x: dy, filter: wT }, {
      strides: [1, 1],
      pad,
      dataFormat: "NHWC",
      dilations: [1, 1],
    });
    free(backend, wT);
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
    const y = run("BatchMatMul", backend, { a: dy2, b: wm }, {
      transposeA: false,
      transposeB: false,
    });
    // depth-to-space as one transpose (the stock DepthToSpace is a slow scalar loop)
    const y4 = run("Reshape", backend, { x: y }, { shape: [n * ho, wo, sh, sw * cin] });
    const yt = run("Transpose", backend, { x: y4 }, { perm: [0, 2, 1, 3] }); // [N*Ho, sh, Wo, sw*Cin]
    const dx = run("Reshape", backend, { x: yt }, { shape: [n, ho * sh, wo * sw, cin] });
    free(backend, wT, wm, dy2, y, y4, yt);
    return dx;
  }
  // 3) anything else: the stock kernel
  return runStock("Conv2DBackpropInput", args);
}

/**
 * Register (once per process) `Conv2DBackpropFilter` and the faster
 * `Conv2DBackpropInput` for the `wasm` backend. Safe to call before or after
 * the backend initialises.
 *
 * @returns Names of the kernels added or replaced.
 * @example
 * ```ts ignore
 * import * as tf from "@tensorflow/tfjs";
 * import { registerWasmConvGrads } from "./wasm_conv_grads.ts";
 * registerWasmConvGrads();
 * console.assert(tf.getKernel("Conv2DBackpropFilter", "wasm") !== undefined);
 * ```
 */
export function registerWasmConvGrads(): readonly string[] {
  replaceWasmKernel("Conv2DBackpropInput", conv2DBackpropInput);
  replaceWasmKernel("Conv2DBackpropFilter", conv2DBackpropFilter);
  return WASM_REGISTERED_KERNELS;
}
