/**
 * The geometry of one NHWC conv2d with dilation 1, as tfjs computes it (same
 * padding rule, same output size): what medmim's webgpu conv kernels, their
 * launch choice and their TS twins are written against.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** Geometry of one NHWC conv2d with dilation 1. */
export interface Conv2dGeometry {
  readonly batch: number;
  readonly inHeight: number;
  readonly inWidth: number;
  readonly inChannels: number;
  readonly outHeight: number;
  readonly outWidth: number;
  readonly outChannels: number;
  readonly filterHeight: number;
  readonly filterWidth: number;
  readonly strideHeight: number;
  readonly strideWidth: number;
  readonly padTop: number;
  readonly padLeft: number;
}

/**
 * The geometry tfjs computes for a conv2d (same padding rule, same output size).
 *
 * @param xShape `[N, H, W, Cin]`.
 * @param filterShape `[kh, kw, Cin, Cout]`.
 * @param strides One stride or `[sh, sw]`.
 * @param pad `"same"`, `"valid"`, a number or explicit `[[0,0],[t,b],[l,r],[0,0]]`.
 * @param dimRoundingMode As tfjs's conv2d.
 * @returns The geometry.
 * @example
 * ```ts
 * import { conv2dGeometry } from "./conv2d_geometry.ts";
 * const g = conv2dGeometry([2, 5, 7, 3], [3, 3, 3, 4], 1, "same");
 * if (g.outHeight !== 5 || g.padTop !== 1) throw new Error("wrong geometry");
 * ```
 */
export function conv2dGeometry(
  xShape: readonly [number, number, number, number],
  filterShape: readonly [number, number, number, number],
  strides: number | readonly [number, number],
  pad: tf.Conv2DAttrs["pad"],
  dimRoundingMode?: "floor" | "round" | "ceil",
): Conv2dGeometry {
  const info = tf.backend_util.computeConv2DInfo(
    [...xShape],
    [...filterShape],
    typeof strides === "number" ? strides : [strides[0], strides[1]],
    1,
    pad,
    dimRoundingMode,
    false,
    "channelsLast",
  );
  return {
    batch: info.batchSize,
    inHeight: info.inHeight,
    inWidth: info.inWidth,
    inChannels: info.inChannels,
    outHeight: info.outHeight,
    outWidth: info.outWidth,
    outChannels: info.outChannels,
    filterHeight: info.filterHeight,
    filterWidth: info.filterWidth,
    strideHeight: info.strideHeight,
    strideWidth: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
}
