/**
 * medmim's `Conv2D` for tfjs-backend-wasm: the NHWC convolution as an
 * implicit GEMM on the wasm heap (`wasm_conv2d_run.ts`), with
 * `f32x4.relaxed_madd` where the runtime has relaxed SIMD, on every wasm
 * thread (`wasm_own_kernels.ts`). XNNPACK's convolution in tfjs-backend-wasm
 * 4.22 is built without FMA and runs at about the speed of a multiply + add
 * micro-kernel; this one reaches the FMA micro-kernel's. x is read in place;
 * the filter is first packed in blocks of 8 output channels (a packer per
 * caller). It also serves `Conv2DBackpropInput` at stride 1, which
 * `wasm_conv_grads.ts` runs as a conv of dy with the flipped filter, packed
 * in one pass. The stock kernel stays for what this
 * one leaves out: dilation, NCHW, Cout not a multiple of 4, and fewer than 4
 * input channels (a U-Net's first layer, too little work per call).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  heapF32,
  nhwcConvInfo,
  offsetF32,
  replaceWasmKernel,
  runStock,
  type WasmKernelArgs,
} from "./_wasm_kernel.ts";

import { CONV2D_JOB_FIELDS, type Conv2dJob, runConv2dPart } from "./wasm_conv2d_run.ts";
import { JOBS, runJob, wasmOwnKernels } from "./wasm_own_kernels.ts";
import { convGeometry, convWork } from "./wasm_conv_job.ts";

/** Fewest input channels medmim's kernel takes (below, the stock kernel is faster). */
export const CONV2D_MIN_CIN = 4;

/**
 * Whether medmim's kernel runs a conv with this filter shape (NHWC, no
 * dilation assumed), once `initWasmOwnKernels` ran.
 *
 * @param cin Input channels.
 * @param cout Output channels.
 * @returns true when {@linkcode wasmConv2d} applies.
 */
export function wasmConv2dApplies(cin: number, cout: number): boolean {
  return wasmOwnKernels() !== null && cout % 4 === 0 && cout > 0 && cin >= CONV2D_MIN_CIN;
}

/**
 * Writes the filter packed for the kernels, `[ceil(Cout / 8), kh, kw, Cin, 8]`
 * (`wasm_conv2d_run.ts`), at float index `to` of the heap.
 */
export type FilterPacker = (heap: Float32Array, to: number) => void;

/**
 * Packs a `[kh, kw, Cin, Cout]` filter as it is (`Conv2D`).
 *
 * @param backend The wasm backend.
 * @param filter The filter.
 * @returns The packer.
 */
export function packFilter(backend: BackendWasm, filter: tf.TensorInfo): FilterPacker {
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  const rows = kh * kw * cin;
  return (_heap, to) => {
    const k = wasmOwnKernels()!, from = 4 * offsetF32(backend, filter);
    // rows of one block of 8 channels, 4 Cout bytes apart, copied 32 bytes apart
    for (let c = 0; 8 * c < cout; c++) {
      const w4 = 8 * c + 8 <= cout ? 2 : 1;
      k.stream.copyRows(from + 32 * c, 4 * cout, 4 * to + 32 * rows * c, 32, rows, w4);
    }
  };
}

/**
 * y = x * w on medmim's kernels, w given by its packer: the filter in blocks
 * of 8 output channels, so that a kernel reads its block's rows 32 bytes
 * apart, not 4 Cout (2 KiB at Cout 512: a new page every other row; a third
 * faster on the deep layers than reading the filter as stored).
 *
 * @param backend The wasm backend.
 * @param x The input, NHWC.
 * @param info The conv's geometry (`backend_util.computeConv2DInfo`, dilation 1).
 * @param pack Writes the packed filter.
 * @returns The new y tensor info.
 * @throws {Error} If `initWasmOwnKernels` did not run.
 */
export function wasmConv2d(
  backend: BackendWasm,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
  pack: FilterPacker,
): tf.TensorInfo {
  const k = wasmOwnKernels();
  if (!k) throw new Error("Cannot run medmim's wasm conv2d: not initialised");
  const g = convGeometry(info);
  const y = backend.makeOutput([g.n, g.ho, g.wo, g.cout], "float32");
  const packed = backend.makeOutput([Math.ceil(g.cout / 8) * g.kh * g.kw * g.cin * 8], "float32");
  const heap = heapF32(backend, y); // after makeOutput: malloc may grow the heap
  pack(heap, offsetF32(backend, packed));
  const job: Conv2dJob = {
    x: 4 * offsetF32(backend, x),
    w: 4 * offsetF32(backend, packed),
    y: 4 * offsetF32(backend, y),
    ...g,
  };
  runJob(
    k,
    JOBS.conv2d,
    CONV2D_JOB_FIELDS.map((f) => job[f]),
    convWork(g),
    (part, parts) => runConv2dPart(k.convs, heap, job, part, parts),
  );
  backend.disposeData(packed.dataId);
  return y;
}

function conv2D(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const backend = args.backend as BackendWasm;
  const x = inputs["x"]!, filter = inputs["filter"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DAttrs;
  const dilations = attrs.dilations ?? 1;
  const oneDilation = dilations === 1 ||
    (Array.isArray(dilations) && dilations.every((d) => d === 1));
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  if (
    !wasmConv2dApplies(cin, cout) || !oneDilation ||
    (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") || x.shape.length !== 4
  ) {
    return runStock("Conv2D", args);
  }
  const info = nhwcConvInfo(
    x.shape,
    [kh, kw, cin, cout],
    attrs.strides,
    attrs.pad,
    attrs.dimRoundingMode,
  );
  return wasmConv2d(backend, x, info, packFilter(backend, filter));
}

/**
 * Registers medmim's `Conv2D` for the wasm backend (once per process; the
 * stock kernel runs the cases it leaves out, and everything until
 * `initWasmOwnKernels` ran).
 */
export function registerWasmConv2d(): void {
  replaceWasmKernel("Conv2D", conv2D);
}
