/**
 * medmim's `Conv2D` for tfjs-backend-wasm: the NHWC convolution as an
 * implicit GEMM on the wasm heap (`wasm_conv2d_run.ts`), with
 * `f32x4.relaxed_madd` where the runtime has relaxed SIMD, on every wasm
 * thread (`wasm_own_kernels.ts`). XNNPACK's convolution in tfjs-backend-wasm
 * 4.22 is built without FMA and runs at about the speed of a multiply + add
 * micro-kernel; this one reaches the FMA micro-kernel's. It also serves
 * `Conv2DBackpropInput` at stride 1, which `wasm_conv_grads.ts` runs as a
 * `Conv2D` of dy with the flipped filter. The stock kernel stays for what this
 * one leaves out: dilation, NCHW, Cout not a multiple of 4, and fewer than 4
 * input channels (a U-Net's first layer, too little work per call).
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

import { CONV2D_JOB_FIELDS, type Conv2dJob, runConv2dPart } from "./wasm_conv2d_run.ts";
import { JOBS, MIN_PARALLEL_WORK, wasmOwnKernels } from "./wasm_own_kernels.ts";

/** Fewest input channels medmim's kernel takes (below, the stock kernel is faster). */
export const CONV2D_MIN_CIN = 4;

function conv2D(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const backend = args.backend as BackendWasm;
  const x = inputs["x"]!, filter = inputs["filter"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DAttrs;
  const k = wasmOwnKernels();
  const dilations = attrs.dilations ?? 1;
  const oneDilation = dilations === 1 ||
    (Array.isArray(dilations) && dilations.every((d) => d === 1));
  const [kh, kw, cin, cout] = filter.shape as [number, number, number, number];
  if (
    !k || !oneDilation || (attrs.dataFormat !== undefined && attrs.dataFormat !== "NHWC") ||
    x.shape.length !== 4 || cout % 4 !== 0 || cin < CONV2D_MIN_CIN
  ) {
    return runStock("Conv2D", args);
  }
  const info = tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    [kh, kw, cin, cout],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    "channelsLast",
  );
  const y = backend.makeOutput([info.batchSize, info.outHeight, info.outWidth, cout], "float32");
  // the filter in blocks of 8 output channels, [Cout / 8, kh, kw, Cin, 8] (the
  // last block half used when Cout % 8 = 4): a kernel then reads its block's
  // rows 32 bytes apart, not 4 Cout (2 KiB at Cout 512: a new page every other
  // row); a third faster on the deep layers, the same on the others
  const rows = kh * kw * cin, blocks = Math.ceil(cout / 8);
  const packed = backend.makeOutput([blocks * rows * 8], "float32");
  const heap = heapF32(backend, y); // after makeOutput: malloc may grow the heap
  const w = 4 * offsetF32(backend, filter), wp = 4 * offsetF32(backend, packed);
  for (let c = 0; c < blocks; c++) {
    k.stream.copyRows(
      w + 32 * c,
      4 * cout,
      wp + 32 * rows * c,
      32,
      rows,
      8 * c + 8 <= cout ? 2 : 1,
    );
  }
  const job: Conv2dJob = {
    x: 4 * offsetF32(backend, x),
    w: wp,
    y: 4 * offsetF32(backend, y),
    n: info.batchSize,
    h: info.inHeight,
    wd: info.inWidth,
    cin,
    ho: info.outHeight,
    wo: info.outWidth,
    cout,
    kh,
    kw,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const work = info.batchSize * info.outHeight * info.outWidth * kh * kw * cin * cout;
  if (k.pool && work >= MIN_PARALLEL_WORK) {
    k.pool.run(
      JOBS.conv2d,
      CONV2D_JOB_FIELDS.map((f) => job[f]),
      (part, parts) => runConv2dPart(k.convs, heap, job, part, parts),
    );
  } else {
    runConv2dPart(k.convs, heap, job, 0, 1);
  }
  backend.disposeData(packed.dataId);
  return y;
}

/**
 * Registers medmim's `Conv2D` for the wasm backend (once per process; the
 * stock kernel runs the cases it leaves out, and everything until
 * `initWasmOwnKernels` ran).
 */
export function registerWasmConv2d(): void {
  replaceWasmKernel("Conv2D", conv2D);
}
