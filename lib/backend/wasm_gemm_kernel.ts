/**
 * A register-blocked SIMD matrix-multiply micro-kernel, written as wasm
 * bytes (`wasm_emit.ts`): C[mr x nr] += sum over k of a_k^T b_k, where step
 * k reads mr floats of A (`a_k`, contiguous) and nr floats of B (`b_k`,
 * contiguous, nr a multiple of 4). Steps walk a rows x cols grid: along a
 * row A and B advance by `aStep`/`bStep` bytes, from row to row by
 * `aRowStep`/`bRowStep` bytes, so the operands can be read in place (e.g.
 * the pixels of an image region, each pixel's channels contiguous) instead
 * of being packed first. Each step loads nr/4 vectors of B, splats mr values
 * of A and does mr x nr/4 vector multiply-adds into accumulators held in
 * registers (`relaxed_madd`, fused where the CPU has FMA, or a multiply and
 * an add); at the end the accumulators are added to C, or stored into it
 * (rows `ldc` floats apart).
 *
 * The layout is the classic one of BLIS-style GEMM (Van Zee and van de Geijn,
 * "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS
 * 2015): a small block of C in registers, both operands streamed.
 *
 * @module
 */

import { Body, I32, V128, type ValType } from "./wasm_emit.ts";

/** The kernel's shape and instruction choice. */
export interface GemmKernelShape {
  /** Rows of C per call (A values splatted per step). */
  readonly mr: number;
  /** Columns of C per call, a multiple of 4. */
  readonly nr: number;
  /** `f32x4.relaxed_madd` instead of `f32x4.mul` + `f32x4.add`. */
  readonly fma: boolean;
  /** C += the sum (true, default) or C = the sum (false). */
  readonly accumulate?: boolean;
}

/** A function for `writeModule`, less its export name. */
export interface EmittedFunc {
  readonly params: ValType[];
  readonly results: ValType[];
  readonly locals: ValType[];
  readonly body: Body;
}

/** The kernel's parameters, in order (all i32; addresses and steps in bytes). */
export const GEMM_KERNEL_PARAMS = [
  "a",
  "b",
  "c",
  "rows",
  "cols",
  "aStep",
  "bStep",
  "aRowStep",
  "bRowStep",
  "ldc",
  "aLane",
] as const;

/**
 * Emits the kernel `(a, b, c, rows, cols, aStep, bStep, aRowStep, bRowStep,
 * ldc, aLane)`: rows, cols >= 1; ldc in floats.
 *
 * @param s Shape and instruction choice.
 * @returns Parameters, locals and body for `writeModule`.
 * @throws {RangeError} If nr is not a positive multiple of 4 or mr not positive.
 */
export function gemmKernel(s: GemmKernelShape): EmittedFunc {
  if (s.nr % 4 !== 0 || s.nr <= 0 || s.mr <= 0) {
    throw new RangeError(
      `Cannot emit a GEMM kernel: nr ${s.nr} must be a positive multiple of 4 and mr ${s.mr} positive`,
    );
  }
  const [A, B, C, ROWS, COLS, ASTEP, BSTEP, AROW, BROW, LDC, LANE] = GEMM_KERNEL_PARAMS.map((
    _,
    i,
  ) => i);
  const AP = 11, BP = 12, K = 13; // i32 locals, then lane offsets i * aLane for i >= 1
  const lane = (i: number) => 14 + i - 1;
  const v0 = 14 + Math.max(0, s.mr - 1);
  const nv = s.nr / 4;
  const acc = (i: number, j: number) => v0 + i * nv + j;
  const bv = (j: number) => v0 + s.mr * nv + j;
  const av = v0 + s.mr * nv + nv;
  const locals: ValType[] = [
    I32,
    I32,
    I32,
    ...Array(Math.max(0, s.mr - 1)).fill(I32),
    ...Array(s.mr * nv + nv + 1).fill(V128),
  ];
  const body = new Body();
  for (let i = 1; i < s.mr; i++) body.localGet(LANE!).i32Const(i).i32Mul().localSet(lane(i));
  for (let i = 0; i < s.mr; i++) {
    for (let j = 0; j < nv; j++) body.f32x4Const(0).localSet(acc(i, j));
  }
  body.loop(); // rows
  body.localGet(A!).localSet(AP).localGet(B!).localSet(BP).localGet(COLS!).localSet(K);
  body.loop(); // cols
  for (let j = 0; j < nv; j++) body.localGet(BP).v128Load(16 * j, 2).localSet(bv(j));
  for (let i = 0; i < s.mr; i++) {
    body.localGet(AP);
    if (i > 0) body.localGet(lane(i)).i32Add();
    body.v128Load32Splat().localSet(av);
    for (let j = 0; j < nv; j++) {
      body.mulAdd(
        s.fma,
        (b) => b.localGet(av),
        (b) => b.localGet(bv(j)),
        (b) => b.localGet(acc(i, j)),
      ).localSet(acc(i, j));
    }
  }
  body.localGet(AP).localGet(ASTEP!).i32Add().localSet(AP);
  body.localGet(BP).localGet(BSTEP!).i32Add().localSet(BP);
  body.localGet(K).i32Const(1).i32Sub().localTee(K).brIf(0);
  body.end();
  body.localGet(A!).localGet(AROW!).i32Add().localSet(A!);
  body.localGet(B!).localGet(BROW!).i32Add().localSet(B!);
  body.localGet(ROWS!).i32Const(1).i32Sub().localTee(ROWS!).brIf(0);
  body.end();
  // C (+)= acc, row i at c + 4 * i * ldc
  for (let i = 0; i < s.mr; i++) {
    for (let j = 0; j < nv; j++) {
      body.localGet(C!);
      if (s.accumulate ?? true) {
        body.localGet(C!).v128Load(16 * j, 2).localGet(acc(i, j)).f32x4Add();
      } else body.localGet(acc(i, j));
      body.v128Store(16 * j, 2);
    }
    if (i + 1 < s.mr) body.localGet(C!).localGet(LDC!).i32Const(2).i32Shl().i32Add().localSet(C!);
  }
  return { params: Array(11).fill(I32), results: [], locals, body };
}
