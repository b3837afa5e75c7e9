/**
 * Streaming kernels of medmim's wasm module (`wasm_kernels_module.ts`): one
 * SIMD pass over the heap each, for the memory-bound ops around the U-Net's
 * convolutions, written as wasm bytes (`wasm_emit.ts`). Channel counts are
 * multiples of 4, so a pixel's channels are whole vectors.
 *
 * - `bias_add(x, b, y, rows, c4)`: y[r, :] = x[r, :] + b for rows of 4 c4 floats.
 * - `channel_sum(x, acc, rows, c4)`: acc[c] += x[r, c] over the rows, acc in
 *   f64 (2 c4 f64x2 vectors), row after row: the same additions in the same
 *   order as a scalar loop with f64 accumulators.
 * - `copy_rows(src, srcStride, dst, dstStride, rows, w4)`: rows of 4 w4
 *   floats from src to dst, strides in bytes (channel-axis concat and split).
 *
 * @module
 */

import { Body, type FuncSpec, I32, type ValType } from "./wasm_emit.ts";

const i32s = (n: number) => Array<ValType>(n).fill(I32);

/** Decrements local `n` and loops while it is not 0 (inside `loop`). */
function countDown(body: Body, n: number): Body {
  return body.localGet(n).i32Const(1).i32Sub().localTee(n).brIf(0);
}

/** Adds `by` to local `l`. */
function bump(body: Body, l: number, by: number): Body {
  return body.localGet(l).i32Const(by).i32Add().localSet(l);
}

function biasAdd(): FuncSpec {
  const [X, B, Y, ROWS, C4] = [0, 1, 2, 3, 4], BP = 5, J = 6;
  const body = new Body();
  body.block().localGet(ROWS).i32Eqz().brIf(0).loop();
  body.localGet(B).localSet(BP).localGet(C4).localSet(J);
  body.loop();
  body.localGet(Y).localGet(X).v128Load(0, 2).localGet(BP).v128Load(0, 2).f32x4Add().v128Store(
    0,
    2,
  );
  bump(body, X, 16), bump(body, Y, 16), bump(body, BP, 16);
  countDown(body, J).end();
  countDown(body, ROWS).end().end();
  return { params: i32s(5), results: [], locals: i32s(2), body, export: "bias_add" };
}

function channelSum(): FuncSpec {
  const [X, ACC, ROWS, C4] = [0, 1, 2, 3], AP = 4, J = 5;
  const V = 6; // v128 local
  const body = new Body();
  body.block().localGet(ROWS).i32Eqz().brIf(0).loop();
  body.localGet(ACC).localSet(AP).localGet(C4).localSet(J);
  body.loop();
  body.localGet(X).v128Load(0, 2).localSet(V);
  // acc[0..1] += f64(v[0..1]); acc[2..3] += f64(v[2..3])
  body.localGet(AP).localGet(AP).v128Load(0, 3).localGet(V).f64x2PromoteLowF32x4().f64x2Add()
    .v128Store(0, 3);
  body.localGet(AP).localGet(AP).v128Load(16, 3).localGet(V).localGet(V)
    .i8x16Shuffle([8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7])
    .f64x2PromoteLowF32x4().f64x2Add().v128Store(16, 3);
  bump(body, X, 16), bump(body, AP, 32);
  countDown(body, J).end();
  countDown(body, ROWS).end().end();
  return {
    params: i32s(4),
    results: [],
    locals: [...i32s(2), 0x7b],
    body,
    export: "channel_sum",
  };
}

function copyRows(): FuncSpec {
  const [SRC, SS, DST, DS, ROWS, W4] = [0, 1, 2, 3, 4, 5], S = 6, D = 7, J = 8;
  const body = new Body();
  body.block().localGet(ROWS).i32Eqz().brIf(0).localGet(W4).i32Eqz().brIf(0).loop();
  body.localGet(SRC).localSet(S).localGet(DST).localSet(D).localGet(W4).localSet(J);
  body.loop();
  body.localGet(D).localGet(S).v128Load(0, 2).v128Store(0, 2);
  bump(body, S, 16), bump(body, D, 16);
  countDown(body, J).end();
  body.localGet(SRC).localGet(SS).i32Add().localSet(SRC);
  body.localGet(DST).localGet(DS).i32Add().localSet(DST);
  countDown(body, ROWS).end().end();
  return { params: i32s(6), results: [], locals: i32s(3), body, export: "copy_rows" };
}

/** The streaming kernels, for `writeModule`. */
export function streamKernels(): FuncSpec[] {
  return [biasAdd(), channelSum(), copyRows()];
}
