/**
 * What medmim's two wasm convolution kernels (`wasm_conv2d_run.ts`,
 * `wasm_filter_grad_run.ts`) share: the conv's geometry as plain integers
 * (a job crosses to the kernel workers as 32-bit words), its fields in a
 * fixed order, and its multiply-add count.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/** An NHWC conv's geometry (dilation 1): input, output, filter, strides, top/left padding. */
export interface ConvGeometry {
  readonly n: number;
  readonly h: number;
  /** Input width (`w` is the filter in a conv job). */
  readonly wd: number;
  readonly cin: number;
  readonly ho: number;
  readonly wo: number;
  readonly cout: number;
  readonly kh: number;
  readonly kw: number;
  readonly sh: number;
  readonly sw: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/** The geometry's fields in a fixed order, for passing as 32-bit words. */
export const CONV_GEOMETRY_FIELDS = [
  "n",
  "h",
  "wd",
  "cin",
  "ho",
  "wo",
  "cout",
  "kh",
  "kw",
  "sh",
  "sw",
  "padTop",
  "padLeft",
] as const;

/**
 * The geometry of tfjs's conv info.
 *
 * @param info `backend_util.computeConv2DInfo`'s result (dilation 1).
 * @returns The geometry.
 */
export function convGeometry(info: tf.backend_util.Conv2DInfo): ConvGeometry {
  return {
    n: info.batchSize,
    h: info.inHeight,
    wd: info.inWidth,
    cin: info.inChannels,
    ho: info.outHeight,
    wo: info.outWidth,
    cout: info.outChannels,
    kh: info.filterHeight,
    kw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}

/**
 * Multiply-adds of the conv (and of each of its gradients).
 *
 * @param g The geometry.
 * @returns N Ho Wo kh kw Cin Cout.
 */
export function convWork(g: ConvGeometry): number {
  return g.n * g.ho * g.wo * g.kh * g.kw * g.cin * g.cout;
}
