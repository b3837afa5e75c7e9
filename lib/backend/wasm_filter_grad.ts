/**
 * medmim's `Conv2DBackpropFilter` for tfjs-backend-wasm: dW computed in
 * place on the wasm heap by medmim's own SIMD kernels
 * (`wasm_filter_grad_module.ts`, `wasm_filter_grad_run.ts`), with
 * `f32x4.relaxed_madd` where the runtime has relaxed SIMD, on every wasm
 * thread (`wasm_kernel_pool.ts`). It reads x and dy where they are: no
 * padding, no stacked windows, no transposes, so it runs at 2-3x the speed
 * of the XNNPACK composition in `wasm_conv_grads.ts`, which stays for the
 * shapes this one leaves out (Cout not a multiple of 4, dilation).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { fileURLToPath } from "node:url";
import { filterGradModule } from "./wasm_filter_grad_module.ts";
import {
  type BlockFns,
  blockFns,
  FILTER_GRAD_JOB_FIELDS,
  type FilterGradJob,
  runFilterGradPart,
} from "./wasm_filter_grad_run.ts";
import { startWasmKernelPool, type WasmKernelPool } from "./wasm_kernel_pool.ts";
import { heapF32, offsetF32 } from "./_wasm_kernel.ts";

/** What `initWasmFilterGrad` set up. */
export interface WasmFilterGradSetup {
  /** `f32x4.relaxed_madd` in use. */
  readonly fma: boolean;
  /** Threads the kernel runs on. */
  readonly threads: number;
  /** For logs, e.g. "medmim's filter gradient (relaxed-SIMD FMA, 2 threads)". */
  readonly description: string;
}

interface State {
  readonly memory: WebAssembly.Memory;
  readonly blocks: BlockFns;
  readonly pool: WasmKernelPool | null;
  readonly setup: WasmFilterGradSetup;
}

let state: State | null = null;

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
  return WebAssembly.validate(filterGradModule(true, false));
}

/**
 * Compiles the kernels on the wasm backend's heap and starts `threads - 1`
 * workers when the heap is shared. Call once the backend is ready; later
 * calls return the first setup.
 *
 * @param options Threads (default 1) and whether to use FMA (default: when
 *   the runtime has relaxed SIMD).
 * @returns The setup, or null when the heap cannot be reached (the XNNPACK
 *   composition is used then).
 */
export async function initWasmFilterGrad(
  options: { readonly threads?: number; readonly fma?: boolean } = {},
): Promise<WasmFilterGradSetup | null> {
  if (state) return state.setup;
  const backend = tf.backend() as BackendWasm;
  const memory = tf.getBackend() === "wasm" ? heapMemory(backend) : null;
  if (!memory) return null;
  const fma = options.fma ?? runtimeHasRelaxedSimd();
  const shared = memory.buffer instanceof SharedArrayBuffer;
  const bytes = filterGradModule(fma, shared);
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
    description: `medmim's filter gradient (${fma ? "relaxed-SIMD FMA" : "SIMD mul+add"}, ` +
      `${threads} thread${threads > 1 ? "s" : ""}${why})`,
  };
  state = { memory, blocks: blockFns(instance.exports), pool, setup };
  return setup;
}

/**
 * Whether medmim's kernel handles a filter gradient: NHWC, dilation 1,
 * Cout a multiple of 4, after `initWasmFilterGrad`.
 *
 * @param cout Output channels.
 * @param dilations The conv's dilations.
 * @returns true when `wasmFilterGrad` applies.
 */
export function wasmFilterGradApplies(cout: number, dilations: unknown): boolean {
  const d = dilations === undefined ? 1 : dilations;
  const one = d === 1 || (Array.isArray(d) && d.every((v) => v === 1));
  return state !== null && cout % 4 === 0 && cout > 0 && one;
}

/**
 * dW of an NHWC conv2d (`[kh, kw, Cin, Cout]`) from x `[N, H, W, Cin]` and
 * dy `[N, Ho, Wo, Cout]`.
 *
 * @param backend The wasm backend.
 * @param x The conv's input.
 * @param dy The gradient of its output.
 * @param info The conv's geometry (`backend_util.computeConv2DInfo`).
 * @returns The new dW tensor info.
 * @throws {Error} If `initWasmFilterGrad` did not run.
 */
export function wasmFilterGrad(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  if (!state) throw new Error("Cannot run medmim's wasm filter gradient: not initialised");
  const s = state;
  const { filterHeight: kh, filterWidth: kw, inChannels: cin, outChannels: cout } = info;
  const dw = backend.makeOutput([kh, kw, cin, cout], "float32");
  const heap = heapF32(backend, dw); // after makeOutput: malloc may grow the heap
  const job: FilterGradJob = {
    x: 4 * offsetF32(backend, x),
    dy: 4 * offsetF32(backend, dy),
    dw: 4 * offsetF32(backend, dw),
    n: info.batchSize,
    h: info.inHeight,
    w: info.inWidth,
    cin,
    ho: info.outHeight,
    wo: info.outWidth,
    cout,
    kh,
    kw,
    sh: info.strideHeight,
    sw: info.strideWidth,
    padTop: info.padInfo.top,
    padLeft: info.padInfo.left,
  };
  const work = info.batchSize * info.outHeight * info.outWidth * kh * kw * cin * cout;
  if (s.pool && work >= 1 << 20) {
    s.pool.run(
      0,
      FILTER_GRAD_JOB_FIELDS.map((k) => job[k]),
      (part, parts) => runFilterGradPart(s.blocks, heap, job, part, parts),
    );
  } else {
    runFilterGradPart(s.blocks, heap, job, 0, 1);
  }
  return dw;
}
