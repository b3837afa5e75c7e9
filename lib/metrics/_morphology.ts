// Binary erosion / dilation passes shared by erode.ts and dilate.ts (private).
// Voxels outside the volume count as background (zero padding by one voxel), so
// erosion eats into masks that touch the border and dilation never wraps around.

import { dims3 } from "../volume.ts";

/** Structuring element: `"full"` is 3x3 (3x3x3), `"cross"` is the face-connected one. */
export type Structure = "full" | "cross";

/** One axis as (stride, length) in the flat array. */
function axes(dims: readonly number[]): Array<[number, number]> {
  const { x, y, z, ndim } = dims3(dims);
  const all: Array<[number, number]> = [[1, x], [x, y], [x * y, z]];
  return all.slice(0, ndim);
}

/** 3-tap min (erode) or max (dilate) along one axis, out-of-range neighbours = 0. */
function passAxis(
  src: Uint8Array,
  dst: Uint8Array,
  stride: number,
  length: number,
  erode: boolean,
): void {
  // Blocks of `length` lines; inside a block, coordinate c along the axis is i / stride.
  const block = stride * length;
  for (let b = 0; b < src.length; b += block) {
    for (let c = 0; c < length; c++) {
      const row = b + c * stride;
      for (let i = row; i < row + stride; i++) {
        const lo = c > 0 ? src[i - stride]! : 0;
        const hi = c < length - 1 ? src[i + stride]! : 0;
        const v = src[i]!;
        dst[i] = erode ? (v & lo & hi) : (v | lo | hi);
      }
    }
  }
}

/** Cross (face-connected) element: centre plus its 2 * ndim face neighbours. */
function passCross(
  src: Uint8Array,
  dst: Uint8Array,
  ax: Array<[number, number]>,
  erode: boolean,
): void {
  for (let i = 0; i < src.length; i++) {
    let v = src[i]!;
    for (const [stride, length] of ax) {
      const c = Math.floor(i / stride) % length;
      const lo = c > 0 ? src[i - stride]! : 0;
      const hi = c < length - 1 ? src[i + stride]! : 0;
      v = erode ? (v & lo & hi) : (v | lo | hi);
    }
    dst[i] = v;
  }
}

/**
 * `passes` erosions (`erode = true`) or dilations of a 0/1 mask. The full element is
 * separable (a 3x3x3 box is three 3-taps), the cross element is applied directly.
 */
export function morph(
  mask: Uint8Array,
  dims: readonly number[],
  passes: number,
  structure: Structure,
  erode: boolean,
): Uint8Array {
  const ax = axes(dims);
  let cur = new Uint8Array(mask.length);
  for (let i = 0; i < mask.length; i++) cur[i] = mask[i] !== 0 ? 1 : 0;
  let tmp = new Uint8Array(mask.length);
  for (let p = 0; p < passes; p++) {
    if (structure === "cross") {
      passCross(cur, tmp, ax, erode);
      [cur, tmp] = [tmp, cur];
    } else {
      for (const [stride, length] of ax) {
        passAxis(cur, tmp, stride, length, erode);
        [cur, tmp] = [tmp, cur];
      }
    }
  }
  return cur;
}
