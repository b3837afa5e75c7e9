/**
 * The wasm module of medmim's own CPU kernels: the micro-kernels of
 * `wasm_gemm_kernel.ts` (mr = 1..6 rows, nr = 8 or 4 columns, adding to C or
 * storing it) and the loops that run them for the filter gradient
 * (`wasm_filter_grad_run.ts`) and the convolution (`wasm_conv2d_run.ts`). It
 * imports its memory (`env.memory`, tfjs-backend-wasm's heap) so that it
 * reads its operands and writes its result in place.
 *
 * `block_<mr>(a, b, c, rows, cols, aStep, bStep, aRowStep, bRowStep, ldc,
 * ciBlocks, co8, co4)` (mr 1..6; filter gradient): for each of `ciBlocks`
 * blocks of mr input channels (A advancing 4 mr bytes, C 4 mr ldc bytes),
 * `co8` accumulating kernels of 8 output channels then, when `co4` is 1, one
 * of 4 (B and C advancing 32 bytes); A's values contiguous.
 *
 * `conv_<mr>(a, b, c, rows, cols, aStep, bStep, aRowStep, bRowStep, ldc,
 * aLane, pixBlocks, co8, co4, aPix, cPix, bBlock)` (mr 1..6; convolution):
 * for each block of 8 output channels (B advancing `bBlock` bytes, C 32; then
 * one of 4 when `co4`), `pixBlocks` storing kernels of mr pixels (A advancing
 * `aPix` bytes, C `cPix` bytes).
 *
 * And the streaming kernels of `wasm_stream_kernels.ts` (`bias_add`,
 * `channel_sum`, `copy_rows`) and the AdamW update of `wasm_adamw_kernel.ts`
 * (`adamw`, `adamw_decay`).
 *
 * @module
 */

import { Body, type FuncSpec, I32, type ValType, writeModule } from "./wasm_emit.ts";
import { gemmKernel } from "./wasm_gemm_kernel.ts";
import { streamKernels } from "./wasm_stream_kernels.ts";
import { adamwKernel, adamwName } from "./wasm_adamw_kernel.ts";

/** Largest mr of the filter-gradient blocks (input channels per kernel call). */
export const FILTER_GRAD_MR = 6;
/** Largest mr of the convolution rows (pixels per kernel call). */
export const CONV_MR = 6;

/**
 * The module's functions `name(1)` .. `name(max)` by index (index 0: a no-op).
 *
 * @param exports The instance's exports.
 * @param name Export name of the function for `mr` (`blockName`, `convName`).
 * @param max The largest mr.
 * @returns `fns[mr]`.
 */
export function fnsByMr(
  exports: WebAssembly.Exports,
  name: (mr: number) => string,
  max: number,
): ReadonlyArray<(...args: number[]) => void> {
  return Array.from(
    { length: max + 1 },
    (_, mr) => mr === 0 ? () => {} : exports[name(mr)] as (...args: number[]) => void,
  );
}

/** Export name of the filter-gradient block function for `mr` rows. */
export const blockName = (mr: number) => `block_${mr}`;
/** Export name of the convolution row function for `mr` pixels. */
export const convName = (mr: number) => `conv_${mr}`;

const MRS = [1, 2, 3, 4, 5, 6];
/** Function index of kernel (mr, nr, accumulate). */
const kernelIndex = (mr: number, nr: number, accumulate: boolean) =>
  ((mr - 1) * 2 + (nr === 8 ? 0 : 1)) * 2 + (accumulate ? 0 : 1);

/** Pushes the kernel's 11 arguments from locals and calls it. */
function callKernel(body: Body, kernel: number, locals: readonly number[]): void {
  for (const l of locals) body.localGet(l);
  body.call(kernel);
}

function filterGradBlock(mr: number): FuncSpec {
  // params: a b c rows cols aStep bStep aRowStep bRowStep ldc ciBlocks co8 co4; locals bb cc n
  const [A, B, C, ROWS, COLS, AS, BS, AR, BR, LDC, CIB, CO8, CO4] = Array.from(
    { length: 13 },
    (_, i) => i,
  ) as number[];
  const BB = 13, CC = 14, N = 15, LANE4 = 16;
  const args = [A!, BB, CC, ROWS!, COLS!, AS!, BS!, AR!, BR!, LDC!, LANE4];
  const body = new Body().i32Const(4).localSet(LANE4);
  body.loop(); // ci blocks
  body.localGet(B!).localSet(BB).localGet(C!).localSet(CC).localGet(CO8!).localSet(N);
  body.block().localGet(N).i32Eqz().brIf(0).loop(); // co blocks of 8
  callKernel(body, kernelIndex(mr, 8, true), args);
  body.localGet(BB).i32Const(32).i32Add().localSet(BB);
  body.localGet(CC).i32Const(32).i32Add().localSet(CC);
  body.localGet(N).i32Const(1).i32Sub().localTee(N).brIf(0);
  body.end().end();
  body.localGet(CO4!).if();
  callKernel(body, kernelIndex(mr, 4, true), args);
  body.end();
  body.localGet(A!).i32Const(4 * mr).i32Add().localSet(A!);
  body.localGet(C!).localGet(LDC!).i32Const(4 * mr).i32Mul().i32Add().localSet(C!);
  body.localGet(CIB!).i32Const(1).i32Sub().localTee(CIB!).brIf(0);
  body.end();
  return {
    params: Array<ValType>(13).fill(I32),
    results: [],
    locals: [I32, I32, I32, I32],
    body,
    export: blockName(mr),
  };
}

function convRow(mr: number): FuncSpec {
  // params: a b c rows cols aStep bStep aRowStep bRowStep ldc aLane pixBlocks co8 co4 aPix cPix
  // bBlock (the module's doc above)
  const [A, B, C, ROWS, COLS, AS, BS, AR, BR, LDC, LANE, PIX, CO8, CO4, APIX, CPIX, BBLOCK] = Array
    .from({ length: 17 }, (_, i) => i) as number[];
  const AP = 17, BB = 18, CC = 19, CP = 20, N = 21, P = 22;
  const args = [AP, BB, CP, ROWS!, COLS!, AS!, BS!, AR!, BR!, LDC!, LANE!];
  const pixels = (body: Body, kernel: number) => {
    body.localGet(A!).localSet(AP).localGet(CC).localSet(CP).localGet(PIX!).localSet(P);
    body.loop();
    callKernel(body, kernel, args);
    body.localGet(AP).localGet(APIX!).i32Add().localSet(AP);
    body.localGet(CP).localGet(CPIX!).i32Add().localSet(CP);
    body.localGet(P).i32Const(1).i32Sub().localTee(P).brIf(0);
    body.end();
  };
  const body = new Body();
  body.localGet(B!).localSet(BB).localGet(C!).localSet(CC).localGet(CO8!).localSet(N);
  body.block().localGet(N).i32Eqz().brIf(0).loop(); // co blocks of 8
  pixels(body, kernelIndex(mr, 8, false));
  body.localGet(BB).localGet(BBLOCK!).i32Add().localSet(BB);
  body.localGet(CC).i32Const(32).i32Add().localSet(CC);
  body.localGet(N).i32Const(1).i32Sub().localTee(N).brIf(0);
  body.end().end();
  body.localGet(CO4!).if();
  pixels(body, kernelIndex(mr, 4, false));
  body.end();
  return {
    params: Array<ValType>(17).fill(I32),
    results: [],
    locals: Array<ValType>(6).fill(I32),
    body,
    export: convName(mr),
  };
}

/**
 * Writes the module.
 *
 * @param fma Use `f32x4.relaxed_madd`.
 * @param shared Import a shared memory (tfjs's threaded build) or not.
 * @returns The module's bytes.
 */
export function kernelsModule(fma: boolean, shared: boolean): Uint8Array<ArrayBuffer> {
  const kernels: FuncSpec[] = [];
  for (const mr of MRS) {
    for (const nr of [8, 4]) {
      for (const accumulate of [true, false]) {
        kernels[kernelIndex(mr, nr, accumulate)] = gemmKernel({ mr, nr, fma, accumulate });
      }
    }
  }
  const blocks = MRS.filter((mr) => mr <= FILTER_GRAD_MR).map(filterGradBlock);
  const convs = MRS.filter((mr) => mr <= CONV_MR).map(convRow);
  return writeModule(
    { import: true, initial: 1, ...(shared ? { maximum: 65536, shared: true } : {}) },
    [
      ...kernels,
      ...blocks,
      ...convs,
      ...streamKernels(),
      ...[false, true].map((decay) => ({ ...adamwKernel(decay), export: adamwName(decay) })),
    ],
  );
}
