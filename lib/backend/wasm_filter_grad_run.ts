/**
 * The loops around `wasm_kernels_module.ts`'s block functions: one part
 * of the filter gradient dW = sum over output pixels of x_tap^T dy, computed
 * in place on the wasm heap. Shared by the main thread and the kernel
 * workers (`_wasm_kernel_worker.ts`), so it takes plain numbers.
 *
 * dW's rows are (tap, input channel); they come in units of up to 6 channels
 * of one tap, and part p of P owns units [p U / P, (p + 1) U / P): parts
 * write disjoint rows and need no reduction. Each part walks the output
 * pixels image by image in chunks of rows small enough to stay in cache, and
 * for each chunk runs every unit it owns over the pixels where that tap
 * falls inside the image (padding contributes nothing).
 *
 * @module
 */

import { blockName, FILTER_GRAD_MR, fnsByMr } from "./wasm_kernels_module.ts";
import { CONV_GEOMETRY_FIELDS, type ConvGeometry } from "./wasm_conv_job.ts";

/** Byte addresses of the operands and the conv geometry (all integers). */
export interface FilterGradJob extends ConvGeometry {
  readonly x: number;
  readonly dy: number;
  readonly dw: number;
}

/** The job's fields in a fixed order, for passing as 32-bit words. */
export const FILTER_GRAD_JOB_FIELDS = ["x", "dy", "dw", ...CONV_GEOMETRY_FIELDS] as const;

/** Bytes of x and dy a chunk of output rows may span (kept in the L2 cache). */
const CHUNK_BYTES = 256 * 1024;

/** The block functions by mr, as exported by the module. */
export type BlockFns = ReadonlyArray<(...args: number[]) => void>;

/**
 * The module's block functions, index mr (1..FILTER_GRAD_MR).
 *
 * @param exports The instance's exports.
 * @returns `fns[mr]`.
 */
export function blockFns(exports: WebAssembly.Exports): BlockFns {
  return fnsByMr(exports, blockName, FILTER_GRAD_MR);
}

/** Valid output range [lo, hi) of a tap along one axis. */
function tapRange(k: number, pad: number, stride: number, inSize: number, outSize: number) {
  const lo = Math.max(0, Math.ceil((pad - k) / stride));
  const hi = Math.min(outSize, Math.floor((inSize - 1 + pad - k) / stride) + 1);
  return [lo, hi] as const;
}

/**
 * Computes part `part` of `parts` of dW (its rows zeroed first).
 *
 * @param blocks The module's block functions (`blockFns`).
 * @param heap A float32 view of the whole heap (for zeroing).
 * @param j The job.
 * @param part This part, 0-based.
 * @param parts How many parts the job is cut into.
 */
export function runFilterGradPart(
  blocks: BlockFns,
  heap: Float32Array,
  j: FilterGradJob,
  part: number,
  parts: number,
): void {
  const perTap = Math.ceil(j.cin / FILTER_GRAD_MR);
  const taps = j.kh * j.kw;
  const units = taps * perTap;
  const u0 = Math.floor((part * units) / parts), u1 = Math.floor(((part + 1) * units) / parts);
  if (u0 >= u1) return;
  // this part's units, tap by tap: [tap, first block, end block)
  const mine: Array<readonly [number, number, number]> = [];
  for (let t = Math.floor(u0 / perTap); t * perTap < u1; t++) {
    mine.push([t, Math.max(u0 - t * perTap, 0), Math.min(u1 - t * perTap, perTap)]);
  }
  const dwF = j.dw / 4;
  for (const [t, b0, b1] of mine) {
    const ci0 = b0 * FILTER_GRAD_MR, ci1 = Math.min(j.cin, b1 * FILTER_GRAD_MR);
    heap.fill(0, dwF + (t * j.cin + ci0) * j.cout, dwF + (t * j.cin + ci1) * j.cout);
  }
  const co8 = Math.floor(j.cout / 8), co4 = (j.cout % 8) >> 2;
  const aStep = 4 * j.sw * j.cin, bStep = 4 * j.cout;
  const aRowStep = 4 * j.sh * j.wd * j.cin, bRowStep = 4 * j.wo * j.cout;
  const rowBytes = 4 * (j.wo * j.cout + j.sh * j.wd * j.cin);
  const chunk = Math.max(1, Math.min(j.ho, Math.floor(CHUNK_BYTES / rowBytes)));
  const ranges = mine.map(([t]) => {
    const ky = Math.floor(t / j.kw), kx = t % j.kw;
    return {
      ky,
      kx,
      oy: tapRange(ky, j.padTop, j.sh, j.h, j.ho),
      ox: tapRange(kx, j.padLeft, j.sw, j.wd, j.wo),
    };
  });
  for (let b = 0; b < j.n; b++) {
    for (let c0 = 0; c0 < j.ho; c0 += chunk) {
      for (let m = 0; m < mine.length; m++) {
        const [t, b0, b1] = mine[m]!;
        const { ky, kx, oy, ox } = ranges[m]!;
        const y0 = Math.max(c0, oy[0]), y1 = Math.min(c0 + chunk, oy[1]);
        const rows = y1 - y0, cols = ox[1] - ox[0];
        if (rows <= 0 || cols <= 0) continue;
        const iy = y0 * j.sh + ky - j.padTop, ix = ox[0] * j.sw + kx - j.padLeft;
        const ci0 = b0 * FILTER_GRAD_MR;
        const a = j.x + 4 * (((b * j.h + iy) * j.wd + ix) * j.cin + ci0);
        const bp = j.dy + 4 * (((b * j.ho + y0) * j.wo + ox[0]) * j.cout);
        const c = j.dw + 4 * ((t * j.cin + ci0) * j.cout);
        const ci1 = Math.min(j.cin, b1 * FILTER_GRAD_MR);
        const full = Math.floor((ci1 - ci0) / FILTER_GRAD_MR),
          rest = ci1 - ci0 - full * FILTER_GRAD_MR;
        const args = [rows, cols, aStep, bStep, aRowStep, bRowStep, j.cout] as const;
        if (full > 0) blocks[FILTER_GRAD_MR]!(a, bp, c, ...args, full, co8, co4);
        if (rest > 0) {
          const k = full * FILTER_GRAD_MR;
          blocks[rest]!(a + 4 * k, bp, c + 4 * k * j.cout, ...args, 1, co8, co4);
        }
      }
    }
  }
}
