/**
 * The AdamW update of one parameter tensor as one pass over memory, written
 * as wasm bytes (`wasm_emit.ts`): `adamw(p, g, m, v, pOut, mOut, vOut, n4,
 * beta1, 1 - beta1, beta2, 1 - beta2, c1, c2, eps, lr)` and
 * `adamw_decay(..., lr, weightDecay)` update 4 n4 floats, four at a time:
 *
 *   m' = m beta1 + g (1 - beta1)
 *   v' = v beta2 + (g g) (1 - beta2)
 *   u  = (m' / c1) / (sqrt(v' / c2) + eps)      [+ p weightDecay]
 *   p' = p - u lr
 *
 * Each line is the same float32 operations, in the same order, as
 * `lib/optim/adamw.ts`'s tensor ops (no fused multiply-add), so the result is
 * bit for bit theirs; it reads p, g, m, v once and writes p', m', v' once,
 * where those ops make thirteen passes. Addresses in bytes, 16-byte steps.
 *
 * @module
 */

import { Body, F32, I32, V128, type ValType } from "./wasm_emit.ts";
import type { EmittedFunc } from "./wasm_gemm_kernel.ts";

/** Export name of the kernel with (true) or without weight decay. */
export const adamwName = (decay: boolean) => decay ? "adamw_decay" : "adamw";

/**
 * Emits the kernel.
 *
 * @param decay Add `p weightDecay` to the update (one more parameter).
 * @returns Parameters, locals and body for `writeModule`.
 */
export function adamwKernel(decay: boolean): EmittedFunc {
  const [P, G, M, V, PO, MO, VO, N4] = [0, 1, 2, 3, 4, 5, 6, 7];
  const scalars = decay ? 9 : 8; // beta1 nb1 beta2 nb2 c1 c2 eps lr [wd], params 8..
  const splat = (i: number) => 8 + scalars + i; // v128 locals: the scalars splatted
  const [B1, NB1, B2, NB2, C1, C2, EPS, LR, WD] = Array.from({ length: 9 }, (_, i) => splat(i));
  const GV = splat(scalars), M1 = GV + 1, V1 = GV + 2, U = GV + 3, OFF = GV + 4; // OFF: i32
  const body = new Body();
  for (let i = 0; i < scalars; i++) body.localGet(8 + i).f32x4Splat().localSet(splat(i));
  body.i32Const(0).localSet(OFF);
  body.block().localGet(N4).i32Eqz().brIf(0).loop();
  const at = (base: number) => body.localGet(base).localGet(OFF).i32Add();
  at(G).v128Load(0, 2).localSet(GV);
  // m' = m beta1 + g (1 - beta1)
  at(MO);
  at(M).v128Load(0, 2).localGet(B1!).f32x4Mul();
  body.localGet(GV).localGet(NB1!).f32x4Mul().f32x4Add().localTee(M1).v128Store(0, 2);
  // v' = v beta2 + (g g) (1 - beta2)
  at(VO);
  at(V).v128Load(0, 2).localGet(B2!).f32x4Mul();
  body.localGet(GV).localGet(GV).f32x4Mul().localGet(NB2!).f32x4Mul().f32x4Add();
  body.localTee(V1).v128Store(0, 2);
  // u = (m' / c1) / (sqrt(v' / c2) + eps)
  body.localGet(M1).localGet(C1!).f32x4Div();
  body.localGet(V1).localGet(C2!).f32x4Div().f32x4Sqrt().localGet(EPS!).f32x4Add();
  body.f32x4Div().localSet(U);
  if (decay) {
    body.localGet(U);
    at(P).v128Load(0, 2).localGet(WD!).f32x4Mul().f32x4Add().localSet(U);
  }
  // p' = p - u lr
  at(PO);
  at(P).v128Load(0, 2).localGet(U).localGet(LR!).f32x4Mul().f32x4Sub().v128Store(0, 2);
  body.localGet(OFF).i32Const(16).i32Add().localSet(OFF);
  body.localGet(N4).i32Const(1).i32Sub().localTee(N4).brIf(0);
  body.end().end();
  const params: ValType[] = [...Array<ValType>(8).fill(I32), ...Array<ValType>(scalars).fill(F32)];
  const locals: ValType[] = [...Array<ValType>(scalars + 4).fill(V128), I32];
  return { params, results: [], locals, body };
}
