// Deterministic perturbations shared with tests/vectors/make_metric_vectors.py: the
// vector file stores these recipes, never mask data.

import { dilate } from "../lib/metrics/dilate.ts";
import { erode } from "../lib/metrics/erode.ts";

/** One op, as written in metric_vectors.json. */
export type Op =
  | { op: "shift"; offset: number[] }
  | { op: "empty" }
  | { op: "drop_label"; label: number }
  | { op: "erode" | "dilate" | "erode_labels"; passes: number; structure: "full" | "cross" };

/** out[x + o] = in[x] with zero fill, layout x + X * (y + Y * z). */
export function shiftVolume(
  a: Int32Array,
  dims: readonly number[],
  offset: readonly number[],
): Int32Array {
  const [X = 1, Y = 1, Z = 1] = dims;
  const [ox = 0, oy = 0, oz = 0] = offset;
  const out = new Int32Array(a.length);
  for (let z = 0; z < Z; z++) {
    const tz = z + oz;
    if (tz < 0 || tz >= Z) continue;
    for (let y = 0; y < Y; y++) {
      const ty = y + oy;
      if (ty < 0 || ty >= Y) continue;
      for (let x = 0; x < X; x++) {
        const tx = x + ox;
        if (tx < 0 || tx >= X) continue;
        out[tx + X * (ty + Y * tz)] = a[x + X * (y + Y * z)]!;
      }
    }
  }
  return out;
}

function toMask(a: Int32Array): Uint8Array {
  return Uint8Array.from(a, (v) => (v > 0 ? 1 : 0));
}

/** Applies one op; erode/dilate binarize (label > 0) first, as scipy's binary ops do. */
export function applyOp(a: Int32Array, dims: readonly number[], op: Op): Int32Array {
  switch (op.op) {
    case "shift":
      return shiftVolume(a, dims, op.offset);
    case "empty":
      return new Int32Array(a.length);
    case "drop_label":
      return a.map((v) => (v === op.label ? 0 : v));
    case "erode":
      return Int32Array.from(erode(toMask(a), dims, op));
    case "dilate":
      return Int32Array.from(dilate(toMask(a), dims, op));
    case "erode_labels": {
      const out = new Int32Array(a.length);
      for (const label of new Set(a)) {
        if (label === 0) continue;
        const e = erode(Uint8Array.from(a, (v) => (v === label ? 1 : 0)), dims, op);
        for (let i = 0; i < out.length; i++) if (e[i]) out[i] = label;
      }
      return out;
    }
  }
}

/** Applies ops left to right. */
export function applyOps(a: Int32Array, dims: readonly number[], ops: readonly Op[]): Int32Array {
  return ops.reduce((cur, op) => applyOp(cur, dims, op), a);
}
