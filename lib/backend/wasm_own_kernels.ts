/**
 * medmim's own wasm kernels on tfjs-backend-wasm's heap: one instance of
 * `wasm_kernels_module.ts` importing the heap's memory, with
 * `f32x4.relaxed_madd` where the runtime has relaxed SIMD, and a
 * `wasm_kernel_pool.ts` of workers when the heap is shared (the threaded
 * build), so that the kernels (`wasm_filter_grad.ts`, `wasm_conv2d.ts`) run on
 * every wasm thread.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { fileURLToPath } from "node:url";
import { kernelsModule } from "./wasm_kernels_module.ts";
import { adamwName } from "./wasm_adamw_kernel.ts";
import { type BlockFns, blockFns } from "./wasm_filter_grad_run.ts";
import { type ConvFns, convFns } from "./wasm_conv2d_run.ts";
import { startWasmKernelPool, type WasmKernelPool } from "./wasm_kernel_pool.ts";

/** What `initWasmOwnKernels` set up. */
export interface WasmOwnKernelsSetup {
  /** `f32x4.relaxed_madd` in use. */
  readonly fma: boolean;
  /** Threads the kernels run on. */
  readonly threads: number;
  /** For logs, e.g. "medmim's conv kernels (relaxed-SIMD FMA, 2 threads)". */
  readonly description: string;
}

/** The streaming kernels (`wasm_stream_kernels.ts`); addresses and strides in bytes. */
export interface StreamFns {
  biasAdd(x: number, b: number, y: number, rows: number, c4: number): void;
  channelSum(x: number, acc: number, rows: number, c4: number): void;
  copyRows(
    src: number,
    srcStride: number,
    dst: number,
    dstStride: number,
    rows: number,
    w4: number,
  ): void;
}

/**
 * The AdamW update of `wasm_adamw_kernel.ts`: byte addresses of p, g, m, v
 * and of the three outputs, n / 4, then the float32 scalars (beta1,
 * 1 - beta1, beta2, 1 - beta2, c1, c2, eps, lr and, for `decay`, the weight
 * decay).
 */
export interface AdamWFns {
  plain(...args: number[]): void;
  decay(...args: number[]): void;
}

/** The instance, its functions and the pool. */
export interface WasmOwnKernels {
  readonly blocks: BlockFns;
  readonly convs: ConvFns;
  readonly stream: StreamFns;
  readonly adamw: AdamWFns;
  readonly pool: WasmKernelPool | null;
  readonly setup: WasmOwnKernelsSetup;
}

/** Jobs the kernel workers run (`_wasm_kernel_worker.ts`). */
export const JOBS = { filterGrad: 0, conv2d: 1 } as const;

/** Work (multiply-adds) below which a kernel runs on one thread. */
export const MIN_PARALLEL_WORK = 1 << 20;

/**
 * Runs a job in parts on every thread of the pool, or whole on this thread
 * when there is no pool or too little work.
 *
 * @param k The kernels.
 * @param job The worker's job number (`JOBS`).
 * @param args The job's fields as 32-bit words, for the workers.
 * @param work Its multiply-adds.
 * @param runPart Runs part `part` of `parts` on this thread.
 */
export function runJob(
  k: WasmOwnKernels,
  job: number,
  args: readonly number[],
  work: number,
  runPart: (part: number, parts: number) => void,
): void {
  if (k.pool && work >= MIN_PARALLEL_WORK) k.pool.run(job, args, runPart);
  else runPart(0, 1);
}

let kernels: WasmOwnKernels | null = null;
let enabled = true;

/**
 * The instance, after `initWasmOwnKernels`.
 *
 * @returns The kernels, or null before (or without) initialisation, or while
 *   switched off.
 */
export function wasmOwnKernels(): WasmOwnKernels | null {
  return enabled ? kernels : null;
}

/**
 * Switches medmim's own kernels off (the XNNPACK and stock kernels run
 * instead) or back on, e.g. to time both in one process.
 *
 * @param on Whether they run.
 */
export function useWasmOwnKernels(on: boolean): void {
  enabled = on;
}

/** The heap's `WebAssembly.Memory` (threaded build: shared). */
function heapMemory(backend: BackendWasm): WebAssembly.Memory | null {
  // deno-lint-ignore no-explicit-any
  const m = backend.wasm as any;
  const memory = m.wasmMemory ?? m.asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/**
 * Whether this runtime validates `f32x4.relaxed_madd` (relaxed SIMD).
 *
 * @returns true when it does.
 */
export function runtimeHasRelaxedSimd(): boolean {
  return WebAssembly.validate(kernelsModule(true, false));
}

/**
 * Compiles the kernels on the wasm backend's heap and starts `threads - 1`
 * workers when the heap is shared. Call once the backend is ready; later
 * calls return the first setup.
 *
 * @param options Threads (default 1) and whether to use FMA (default: when
 *   the runtime has relaxed SIMD).
 * @returns The setup, or null when tfjs does not run on wasm or its heap
 *   cannot be reached (tfjs's and the XNNPACK compositions are used then).
 */
export async function initWasmOwnKernels(
  options: { readonly threads?: number; readonly fma?: boolean } = {},
): Promise<WasmOwnKernelsSetup | null> {
  if (kernels) return kernels.setup;
  const memory = tf.getBackend() === "wasm" ? heapMemory(tf.backend() as BackendWasm) : null;
  if (!memory) return null;
  const fma = options.fma ?? runtimeHasRelaxedSimd();
  const shared = memory.buffer instanceof SharedArrayBuffer;
  const bytes = kernelsModule(fma, shared);
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { memory } });
  const wanted = options.threads ?? 1;
  let pool: WasmKernelPool | null = null;
  let why = "";
  if (wanted > 1 && shared) {
    const worker = fileURLToPath(new URL("./_wasm_kernel_worker.ts", import.meta.url));
    if (Deno.permissions.querySync({ name: "read", path: worker }).state !== "granted") {
      why = `; more threads need read access to ${worker}`;
    } else {
      pool = await startWasmKernelPool(memory, bytes, wanted);
    }
  }
  const threads = pool?.threads ?? 1;
  const setup = {
    fma,
    threads,
    description: `medmim's conv kernels (${fma ? "relaxed-SIMD FMA" : "SIMD mul+add"}, ` +
      `${threads} thread${threads > 1 ? "s" : ""}${why})`,
  };
  const e = instance.exports as Record<string, (...args: number[]) => void>;
  const stream: StreamFns = {
    biasAdd: e["bias_add"]!,
    channelSum: e["channel_sum"]!,
    copyRows: e["copy_rows"]!,
  };
  kernels = {
    blocks: blockFns(instance.exports),
    convs: convFns(instance.exports),
    stream,
    adamw: { plain: e[adamwName(false)]!, decay: e[adamwName(true)]! },
    pool,
    setup,
  };
  return setup;
}
