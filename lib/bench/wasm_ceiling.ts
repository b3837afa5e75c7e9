/**
 * The ceiling of medmim's wasm path on this machine: the speed of the best
 * SIMD inner loop the runtime gives, a register-blocked matrix-multiply
 * micro-kernel (`lib/backend/wasm_gemm_kernel.ts`) on operands that stay in
 * the L1 cache, with `f32x4.mul` + `f32x4.add` and with `f32x4.relaxed_madd`
 * (when the runtime validates it), on one thread and on several (workers,
 * each with its own module and memory, all running at once). No real kernel
 * of the step can run faster than this: it bounds what any wasm kernel, ours
 * or XNNPACK's, reaches here.
 *
 * @module
 */

import { Body, I32, writeModule } from "../backend/wasm_emit.ts";
import { gemmKernel, type GemmKernelShape } from "../backend/wasm_gemm_kernel.ts";

/** Steps of k per kernel call: A and B panels stay in L1 (k x (mr + nr) x 4 bytes). */
export const CEILING_K = 256;

/** One measurement. */
export interface CeilingRow {
  readonly mr: number;
  readonly nr: number;
  readonly fma: boolean;
  readonly threads: number;
  /** Achieved GFLOP/s, all threads together (median of the runs). */
  readonly gflops: number;
}

/**
 * The micro-kernel and a driver `run(a, b, c, k, ldc, reps)` that calls it
 * `reps` times, in one module with its own one-page memory.
 *
 * @param s The kernel's shape.
 * @returns The module's bytes.
 */
export function ceilingModule(s: GemmKernelShape): Uint8Array<ArrayBuffer> {
  const kernel = gemmKernel(s);
  const drive = new Body();
  // params a b c k ldc reps; loop reps times over kernel(a, b, c, k, ldc)
  drive.loop();
  drive.localGet(0).localGet(1).localGet(2).i32Const(1).localGet(3);
  drive.i32Const(4 * s.mr).i32Const(4 * s.nr).i32Const(0).i32Const(0).localGet(4).call(0);
  drive.localGet(5).i32Const(1).i32Sub().localTee(5).brIf(0);
  drive.end();
  return writeModule({ import: false, initial: 2 }, [
    { ...kernel, export: "kernel" },
    { params: [I32, I32, I32, I32, I32, I32], results: [], locals: [], body: drive, export: "run" },
  ]);
}

/**
 * Whether this runtime validates `f32x4.relaxed_madd`.
 *
 * @returns true when a module using it validates.
 */
export function hasRelaxedSimd(): boolean {
  return WebAssembly.validate(ceilingModule({ mr: 1, nr: 4, fma: true }));
}

/** Layout in the module's memory: A panel, B panel, C tile. */
export function ceilingLayout(s: GemmKernelShape): { a: number; b: number; c: number } {
  const a = 0, b = a + 4 * CEILING_K * s.mr;
  return { a, b, c: b + 4 * CEILING_K * s.nr };
}

/**
 * Runs the kernel on this thread for about `ms` milliseconds.
 *
 * @param s The kernel's shape.
 * @param ms Time to run.
 * @returns Achieved GFLOP/s.
 */
export function runCeiling(s: GemmKernelShape, ms: number): number {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(ceilingModule(s)));
  const memory = instance.exports["memory"] as WebAssembly.Memory;
  const run = instance.exports["run"] as (...args: number[]) => void;
  const { a, b, c } = ceilingLayout(s);
  const f32 = new Float32Array(memory.buffer);
  for (let i = 0; i < (c - a) / 4; i++) f32[i] = ((i * 7919) % 17) / 17 - 0.5;
  const flopsPerCall = 2 * s.mr * s.nr * CEILING_K;
  run(a, b, c, CEILING_K, s.nr, 100); // warm-up: tiering up
  let reps = 100, calls = 0;
  const start = performance.now();
  let elapsed = 0;
  while ((elapsed = performance.now() - start) < ms) {
    run(a, b, c, CEILING_K, s.nr, reps);
    calls += reps;
    if (elapsed < ms / 10) reps *= 2;
  }
  return (calls * flopsPerCall) / elapsed / 1e6;
}
