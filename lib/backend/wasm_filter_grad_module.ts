/**
 * The wasm module of medmim's filter gradient (`wasm_filter_grad.ts`): the
 * micro-kernels of `wasm_gemm_kernel.ts` for mr = 1..4 rows and nr = 8 or 4
 * columns, and per mr a `block` function that runs them over a block of
 * input channels and all output channels. It imports its memory (`env.memory`,
 * tfjs-backend-wasm's heap) so that it reads x and dy and writes dW in place.
 *
 * `block_<mr>(a, b, c, rows, cols, aStep, bStep, aRowStep, bRowStep, ldc,
 * ciBlocks, co8, co4)`: for each of `ciBlocks` blocks of mr input channels
 * (A advancing 4 mr bytes, C 4 mr ldc bytes), `co8` kernels of 8 output
 * channels then, when `co4` is 1, one of 4 (B and C advancing 32 bytes).
 *
 * @module
 */

import { Body, type FuncSpec, I32, type ValType, writeModule } from "./wasm_emit.ts";
import { gemmKernel } from "./wasm_gemm_kernel.ts";

/** Rows (input channels) per kernel call: blocks of 4, then the rest. */
export const FILTER_GRAD_MR = 4;

/** Export name of the block function for `mr` rows. */
export const blockName = (mr: number) => `block_${mr}`;

/**
 * Writes the module.
 *
 * @param fma Use `f32x4.relaxed_madd`.
 * @param shared Import a shared memory (tfjs's threaded build) or not.
 * @returns The module's bytes.
 */
export function filterGradModule(fma: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const mrs = [1, 2, 3, 4];
  // functions 0..7: kernel (mr, nr) at index 2 * (mr - 1) + (nr === 8 ? 0 : 1)
  const kernels = mrs.flatMap((
    mr,
  ) => [gemmKernel({ mr, nr: 8, fma }), gemmKernel({ mr, nr: 4, fma })]);
  const blocks = mrs.map((mr): FuncSpec => {
    const k8 = 2 * (mr - 1), k4 = k8 + 1;
    // params 0..12 as documented; locals 13 bb, 14 cc, 15 n
    const [A, B, C, ROWS, COLS, AS, BS, AR, BR, LDC, CIB, CO8, CO4] = Array.from(
      { length: 13 },
      (_, i) => i,
    );
    const BB = 13, CC = 14, N = 15;
    const call = (body: Body, kernel: number) => {
      body.localGet(A!).localGet(BB).localGet(CC).localGet(ROWS!).localGet(COLS!);
      body.localGet(AS!).localGet(BS!).localGet(AR!).localGet(BR!).localGet(LDC!).call(kernel);
    };
    const body = new Body();
    body.loop(); // ci blocks
    body.localGet(B!).localSet(BB).localGet(C!).localSet(CC).localGet(CO8!).localSet(N);
    body.block().localGet(N).i32Eqz().brIf(0).loop(); // co blocks of 8
    call(body, k8);
    body.localGet(BB).i32Const(32).i32Add().localSet(BB);
    body.localGet(CC).i32Const(32).i32Add().localSet(CC);
    body.localGet(N).i32Const(1).i32Sub().localTee(N).brIf(0);
    body.end().end();
    body.localGet(CO4!).if();
    call(body, k4);
    body.end();
    body.localGet(A!).i32Const(4 * mr).i32Add().localSet(A!);
    body.localGet(C!).localGet(LDC!).i32Const(4 * mr).i32Mul().i32Add().localSet(C!);
    body.localGet(CIB!).i32Const(1).i32Sub().localTee(CIB!).brIf(0);
    body.end();
    return {
      params: Array<ValType>(13).fill(I32),
      results: [],
      locals: [I32, I32, I32],
      body,
      export: blockName(mr),
    };
  });
  return writeModule(
    { import: true, initial: 1, ...(shared ? { maximum: 65536, shared: true } : {}) },
    [...kernels, ...blocks],
  );
}
