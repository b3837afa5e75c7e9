/**
 * `MaxPoolGrad` for tfjs-backend-wasm's 2x2, stride-2, unpadded pooling (the
 * U-Net's), as one pass over the wasm heap: each 2x2 window sends its dy to
 * the first position (row-major) holding the window's maximum, as tfjs's cpu
 * backend does (the stock wasm kernel picks another position on ties; either
 * is a subgradient). The stock kernel is a general scalar loop, ~40 ms for a batch
 * of 8 x 128 x 128 x 16 here, against a few ms for this one. Other pooling
 * shapes go to the stock kernel.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { replaceWasmKernel, runStock, type WasmKernelArgs } from "./_wasm_kernel.ts";

const pair = (v: number | [number, number]) => (typeof v === "number" ? [v, v] : v);

function maxPoolGrad(args: WasmKernelArgs): tf.TensorInfo | tf.TensorInfo[] {
  const backend = args.backend as BackendWasm;
  const inputs = args.inputs as tf.NamedTensorInfoMap;
  const dy = inputs["dy"]!, input = inputs["input"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.MaxPoolGradAttrs;
  const [fh, fw] = pair(attrs.filterSize), [sh, sw] = pair(attrs.strides);
  const [n, h, w, c] = input.shape as [number, number, number, number];
  const fits = fh === 2 && fw === 2 && sh === 2 && sw === 2 && h % 2 === 0 && w % 2 === 0 &&
    (attrs.pad === "valid" || attrs.pad === "same") && input.dtype === "float32";
  if (!fits) return runStock("MaxPoolGrad", args);
  const out = backend.makeOutput([n, h, w, c], "float32");
  // views after makeOutput: malloc may grow (and move) the heap
  const x = backend.typedArrayFromHeap(input) as Float32Array;
  const g = backend.typedArrayFromHeap(dy) as Float32Array;
  const dx = backend.typedArrayFromHeap(out) as Float32Array;
  dx.fill(0);
  const ho = h / 2, wo = w / 2, row = w * c;
  for (let b = 0; b < n; b++) {
    for (let oy = 0; oy < ho; oy++) {
      const top = (b * h + 2 * oy) * row;
      const outRow = (b * ho + oy) * wo * c;
      for (let ox = 0; ox < wo; ox++) {
        const p00 = top + 2 * ox * c, p01 = p00 + c, p10 = p00 + row, p11 = p10 + c;
        const o = outRow + ox * c;
        for (let ch = 0; ch < c; ch++) {
          let at = p00 + ch, best = x[at]!;
          if (x[p01 + ch]! > best) best = x[at = p01 + ch]!;
          if (x[p10 + ch]! > best) best = x[at = p10 + ch]!;
          if (x[p11 + ch]! > best) at = p11 + ch;
          dx[at] = g[o + ch]!;
        }
      }
    }
  }
  return out;
}

/**
 * Registers (once per process) the 2x2 `MaxPoolGrad` for the wasm backend,
 * keeping the stock kernel for other shapes.
 *
 * @returns The kernel names replaced.
 */
export function registerWasmMaxPoolGrad(): readonly string[] {
  replaceWasmKernel("MaxPoolGrad", maxPoolGrad);
  return ["MaxPoolGrad"];
}
