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

import process from "node:process";
import workerThreads from "node:worker_threads";
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
  drive.i32Const(4 * s.mr).i32Const(4 * s.nr).i32Const(0).i32Const(0).localGet(4).i32Const(4);
  drive.call(0);
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
 * @returns Floating-point operations done.
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
  return calls * flopsPerCall;
}

/** The ceiling's shape: 6 rows x 8 columns (12 accumulators of x64's 16 vector registers). */
export const CEILING_SHAPE = { mr: 6, nr: 8 } as const;

/** A ceiling measurement on several threads. */
export interface CeilingTiming {
  /** GFLOP/s of all threads together, by the wall clock. */
  readonly gflops: number;
  /**
   * GFLOP per second of CPU time this process used: the speed of one thread
   * while it runs, whatever else the machine does (on a busy machine the wall
   * clock shows only the share of the cores this process got).
   */
  readonly gflopsPerCpuSecond: number;
}

/**
 * The ceiling on `threads` threads at once: this thread and `threads - 1`
 * workers (`_wasm_ceiling_worker.ts`, each with its own module), started
 * together once all are ready, each running the kernel for `ms`.
 *
 * @param fma Use `f32x4.relaxed_madd`.
 * @param threads Threads (>= 1).
 * @param ms Time each runs.
 * @returns GFLOP/s of all threads together, and per CPU second.
 */
export async function runCeilingThreads(
  fma: boolean,
  threads: number,
  ms: number,
): Promise<CeilingTiming> {
  const shape = { ...CEILING_SHAPE, fma };
  const go = new Int32Array(new SharedArrayBuffer(4));
  const workers = Array.from(
    { length: threads - 1 },
    () =>
      new workerThreads.Worker(new URL("./_wasm_ceiling_worker.ts", import.meta.url), {
        workerData: { shape, ms, go },
        env: {}, // none read; copying process.env would ask for env access
      }),
  );
  try {
    const messages = workers.map((w) => {
      const next: Array<(m: unknown) => void> = [];
      w.on("message", (m: unknown) => next.shift()?.(m));
      return () =>
        new Promise<unknown>((resolve, reject) => {
          next.push(resolve);
          w.once("error", reject);
        });
    });
    const ready = messages.map((m) => m());
    await Promise.all(ready);
    const done = messages.map((m) => m() as Promise<number>);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    Atomics.store(go, 0, 1);
    Atomics.notify(go, 0);
    const here = runCeiling(shape, ms);
    const flops = here + (await Promise.all(done)).reduce((a, b) => a + b, 0);
    const wall = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    return {
      gflops: flops / wall / 1e6,
      gflopsPerCpuSecond: flops / ((cpu.user + cpu.system) / 1e3) / 1e6,
    };
  } finally {
    for (const w of workers) w.terminate();
  }
}
