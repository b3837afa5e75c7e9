/**
 * The loops around `wasm_kernels_module.ts`'s convolution rows: one part of
 * an NHWC conv2d y = x * w (no dilation), computed in place on the wasm heap
 * as an implicit GEMM. Shared by the main thread and the kernel workers, so
 * it takes plain numbers.
 *
 * For an output pixel, the taps of one filter row ky read kw pixels of one
 * input row, whose channels are contiguous: kw Cin floats in a row, met in
 * the same order as the filter's rows [ky][kx][ci]. So a kernel call for mr
 * pixels of one output row steps over kh rows of kw Cin values (A: one
 * channel of mr pixels, `aLane` = stride x Cin floats apart; B: one filter
 * row of Cout) without any copy. Where taps fall outside the image (the
 * padding) the call skips them: output rows near the top and bottom read
 * fewer filter rows, and output pixels near the left and right edges are
 * computed one at a time with fewer filter columns. Every output value is
 * stored once, so y needs no zeroing (an output with no tap inside, which
 * only explicit paddings can make, is set to 0).
 *
 * Part p of P computes output rows [p R / P, (p + 1) R / P) of the R = N Ho.
 *
 * @module
 */

import { CONV_MR, convName } from "./wasm_kernels_module.ts";

/** Byte addresses of the operands and the conv geometry (all integers). */
export interface Conv2dJob {
  readonly x: number;
  readonly w: number;
  readonly y: number;
  readonly n: number;
  readonly h: number;
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

/** The job's fields in a fixed order, for passing as 32-bit words. */
export const CONV2D_JOB_FIELDS = [
  "x",
  "w",
  "y",
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

/** The module's convolution row functions, index mr (1..CONV_MR). */
export type ConvFns = ReadonlyArray<(...args: number[]) => void>;

/**
 * The module's convolution row functions.
 *
 * @param exports The instance's exports.
 * @returns `fns[mr]`.
 */
export function convFns(exports: WebAssembly.Exports): ConvFns {
  return Array.from(
    { length: CONV_MR + 1 },
    (_, mr) => mr === 0 ? () => {} : exports[convName(mr)] as (...args: number[]) => void,
  );
}

/** Taps [k0, k1) of a filter axis that fall inside the input for output position o. */
function taps(o: number, stride: number, pad: number, k: number, size: number) {
  const start = o * stride - pad;
  return [Math.max(0, -start), Math.min(k, size - start)] as const;
}

/**
 * Computes part `part` of `parts` of y.
 *
 * @param fns The module's convolution rows (`convFns`).
 * @param heap A float32 view of the whole heap (for outputs with no tap).
 * @param j The job.
 * @param part This part, 0-based.
 * @param parts How many parts the job is cut into.
 */
export function runConv2dPart(
  fns: ConvFns,
  heap: Float32Array,
  j: Conv2dJob,
  part: number,
  parts: number,
): void {
  const rowsAll = j.n * j.ho;
  const r0 = Math.floor((part * rowsAll) / parts), r1 = Math.floor(((part + 1) * rowsAll) / parts);
  const co8 = Math.floor(j.cout / 8), co4 = (j.cout % 8) >> 2;
  const xRow = 4 * j.wd * j.cin; // bytes per input row
  const aLane = 4 * j.sw * j.cin, cPix = 4 * j.cout;
  const bStep = 4 * j.cout, bRowStep = 4 * j.kw * j.cin * j.cout;
  // output columns whose every tap is inside: [oxA, oxB)
  let oxA = 0, oxB = j.wo;
  while (oxA < j.wo && taps(oxA, j.sw, j.padLeft, j.kw, j.wd).join() !== `0,${j.kw}`) oxA++;
  while (oxB > oxA && taps(oxB - 1, j.sw, j.padLeft, j.kw, j.wd).join() !== `0,${j.kw}`) oxB--;
  const interior = oxB - oxA;
  const full = Math.floor(interior / CONV_MR), rest = interior - full * CONV_MR;
  for (let r = r0; r < r1; r++) {
    const b = Math.floor(r / j.ho), oy = r - b * j.ho;
    const [ky0, ky1] = taps(oy, j.sh, j.padTop, j.kh, j.h);
    const yRowStart = j.y + 4 * (r * j.wo) * j.cout;
    if (ky1 <= ky0) {
      heap.fill(0, yRowStart / 4, yRowStart / 4 + j.wo * j.cout);
      continue;
    }
    const iy = oy * j.sh - j.padTop + ky0;
    const xRowStart = j.x + (b * j.h + iy) * xRow;
    const wRows = j.w + ky0 * bRowStep;
    // one output pixel (or a run of mr) starting at column ox, taps kx0..kx1
    const call = (mr: number, ox: number, blocks: number, kx0: number, kx1: number) => {
      const ix = ox * j.sw - j.padLeft + kx0;
      fns[mr]!(
        xRowStart + 4 * ix * j.cin,
        wRows + 4 * kx0 * j.cin * j.cout,
        yRowStart + ox * cPix,
        ky1 - ky0,
        (kx1 - kx0) * j.cin,
        4,
        bStep,
        xRow,
        bRowStep,
        j.cout,
        aLane,
        blocks,
        co8,
        co4,
        mr * aLane,
        mr * cPix,
      );
    };
    if (full > 0) call(CONV_MR, oxA, full, 0, j.kw);
    if (rest > 0) call(rest, oxA + full * CONV_MR, 1, 0, j.kw);
    for (let ox = 0; ox < j.wo; ox++) {
      if (ox === oxA) ox = oxB; // the interior is done
      if (ox >= j.wo) break;
      const [kx0, kx1] = taps(ox, j.sw, j.padLeft, j.kw, j.wd);
      if (kx1 > kx0) call(1, ox, 1, kx0, kx1);
      else heap.fill(0, (yRowStart + ox * cPix) / 4, (yRowStart + (ox + 1) * cPix) / 4);
    }
  }
}
