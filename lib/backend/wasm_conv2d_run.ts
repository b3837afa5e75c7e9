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
 * channel of mr pixels, `aLane` = stride x Cin floats apart; B: 8 output
 * channels of one filter row, from the packed filter) without any copy of x.
 * Where taps fall outside the image (the padding) the call skips them:
 * output rows near the top and bottom read fewer filter rows, and output
 * pixels near the left and right edges, fewer filter columns; those edge
 * pixels are run as columns (mr pixels of mr consecutive rows, their inputs
 * an input row apart), so that they too get wide kernels. Every output value
 * is stored once, so y needs no zeroing (an output with no tap inside, which
 * only explicit paddings can make, is set to 0).
 *
 * Part p of P computes output rows [p R / P, (p + 1) R / P) of the R = N Ho.
 *
 * @module
 */

import { CONV_MR, convName, fnsByMr } from "./wasm_kernels_module.ts";
import { CONV_GEOMETRY_FIELDS, type ConvGeometry } from "./wasm_conv_job.ts";

/**
 * Byte addresses of the operands and the conv geometry (all integers). The
 * filter `w` is packed in blocks of 8 output channels, `[ceil(Cout / 8), kh,
 * kw, Cin, 8]` (the last block half used when Cout % 8 = 4), so that a
 * kernel reads its block's rows 32 bytes apart.
 */
export interface Conv2dJob extends ConvGeometry {
  readonly x: number;
  readonly w: number;
  readonly y: number;
}

/** The job's fields in a fixed order, for passing as 32-bit words. */
export const CONV2D_JOB_FIELDS = ["x", "w", "y", ...CONV_GEOMETRY_FIELDS] as const;

/** Bytes of input rows a group of output rows may span (kept in the L2 cache). */
const GROUP_X_BYTES = 256 * 1024;
/** Bytes of filter a chunk of output channels may span (kept in the L2 cache). */
const CHUNK_W_BYTES = 128 * 1024;

/** The module's convolution row functions, index mr (1..CONV_MR). */
export type ConvFns = ReadonlyArray<(...args: number[]) => void>;

/**
 * The module's convolution row functions.
 *
 * @param exports The instance's exports.
 * @returns `fns[mr]`.
 */
export function convFns(exports: WebAssembly.Exports): ConvFns {
  return fnsByMr(exports, convName, CONV_MR);
}

/**
 * n pixels as runs of equal kernels, `[mr, count]`: CONV_MR-wide runs, the
 * rest split so that no kernel is narrower than it must be (a narrow kernel
 * has few independent accumulators and waits on their latency): 14 = 6 + 4 + 4.
 */
function blocks(n: number): Array<readonly [number, number]> {
  if (n <= 0) return [];
  if (n <= CONV_MR) return [[n, 1]];
  const full = Math.floor(n / CONV_MR), rest = n % CONV_MR;
  if (rest === 0) return [[CONV_MR, full]];
  if (rest >= CONV_MR / 2) return [[CONV_MR, full], [rest, 1]];
  // the last full run and the rest as two runs of about equal width
  const tail = CONV_MR + rest, a = Math.ceil(tail / 2), b = tail - a;
  const out: Array<readonly [number, number]> = full > 1 ? [[CONV_MR, full - 1]] : [];
  return a === b ? [...out, [a, 2]] : [...out, [a, 1], [b, 1]];
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
  const aLane = 4 * j.sw * j.cin;
  const bStep = 32, bRowStep = 32 * j.kw * j.cin, bBlock = bRowStep * j.kh;
  // output columns whose every tap is inside: [oxA, oxB)
  let oxA = 0, oxB = j.wo;
  while (oxA < j.wo && taps(oxA, j.sw, j.padLeft, j.kw, j.wd).join() !== `0,${j.kw}`) oxA++;
  while (oxB > oxA && taps(oxB - 1, j.sw, j.padLeft, j.kw, j.wd).join() !== `0,${j.kw}`) oxB--;
  const interior = blocks(oxB - oxA);
  const borders: number[] = [];
  for (let ox = 0; ox < j.wo; ox++) if (ox < oxA || ox >= oxB) borders.push(ox);
  // Cache blocking: a group of output rows (their input rows stay in L2) is
  // run for a chunk of output channels at a time (that chunk of the filter
  // stays in L2 across the group's rows), instead of every channel per row,
  // which would stream the whole filter once per row (deep layers: MBs).
  const group = Math.max(1, Math.floor(GROUP_X_BYTES / (j.sh * xRow)));
  const chunk = Math.max(1, Math.floor(CHUNK_W_BYTES / (32 * j.kh * j.kw * j.cin)));
  const place = (r: number) => {
    const b = Math.floor(r / j.ho), oy = r - b * j.ho;
    return { b, oy, ky: taps(oy, j.sh, j.padTop, j.kh, j.h) };
  };
  /**
   * Output pixels starting at (r, ox): `count` runs of mr pixels, `lane` bytes
   * of x and `ldc` floats of y apart, taps ky0..ky1 x kx0..kx1, output
   * channels [8 c8, 8 (c8 + n8)) or, when `four`, the last 4.
   */
  const run = (
    r: number,
    ox: number,
    mr: number,
    count: number,
    lane: number,
    ldc: number,
    ky: readonly [number, number],
    kx: readonly [number, number],
    c8: number,
    n8: number,
    four: number,
  ) => {
    const { b, oy } = place(r);
    const iy = oy * j.sh - j.padTop + ky[0], ix = ox * j.sw - j.padLeft + kx[0];
    fns[mr]!(
      j.x + (b * j.h + iy) * xRow + 4 * ix * j.cin,
      j.w + ky[0] * bRowStep + kx[0] * j.cin * bStep + c8 * bBlock,
      j.y + 4 * ((r * j.wo + ox) * j.cout) + 32 * c8,
      ky[1] - ky[0],
      (kx[1] - kx[0]) * j.cin,
      4,
      bStep,
      xRow,
      bRowStep,
      ldc,
      lane,
      count,
      n8,
      four,
      mr * lane,
      4 * mr * ldc,
      bBlock,
    );
  };
  /** Zeroes an output pixel's channels of this chunk (no tap inside). */
  const zero = (r: number, ox: number, c8: number, n8: number, four: number) => {
    const at = (r * j.wo + ox) * j.cout + 8 * c8;
    heap.fill(0, j.y / 4 + at, j.y / 4 + at + (four ? 4 : 8 * n8));
  };
  const chunkOfGroup = (g0: number, g1: number, c8: number, n8: number, four: number) => {
    // interior columns, row by row, in runs of up to CONV_MR pixels
    for (let r = g0; r < g1; r++) {
      const { ky } = place(r);
      if (ky[1] <= ky[0]) {
        for (let ox = 0; ox < j.wo; ox++) zero(r, ox, c8, n8, four);
        continue;
      }
      let ox = oxA;
      for (const [mr, count] of interior) {
        run(r, ox, mr, count, aLane, j.cout, ky, [0, j.kw], c8, n8, four);
        ox += mr * count;
      }
    }
    // border columns: rows whose filter rows are all inside, in runs of up to
    // CONV_MR rows of one image (lanes an input row apart), the others alone
    for (const ox of borders) {
      const kx = taps(ox, j.sw, j.padLeft, j.kw, j.wd);
      for (let r = g0; r < g1;) {
        const { b, ky } = place(r);
        if (kx[1] <= kx[0] || ky[1] <= ky[0]) {
          if (ky[1] > ky[0]) zero(r, ox, c8, n8, four);
          r++;
          continue;
        }
        let end = r + 1;
        if (ky[0] === 0 && ky[1] === j.kh) {
          while (end < g1 && place(end).b === b && place(end).ky.join() === `0,${j.kh}`) end++;
        }
        let at = r;
        for (const [mr, count] of blocks(end - r)) {
          run(at, ox, mr, count, j.sh * xRow, j.wo * j.cout, ky, kx, c8, n8, four);
          at += mr * count;
        }
        r = end;
      }
    }
  };
  for (let g0 = r0; g0 < r1; g0 += group) {
    const g1 = Math.min(r1, g0 + group);
    for (let c8 = 0; c8 < co8; c8 += chunk) chunkOfGroup(g0, g1, c8, Math.min(chunk, co8 - c8), 0);
    if (co4) chunkOfGroup(g0, g1, co8, 0, 1);
  }
}
