/**
 * Initialise `@tensorflow/tfjs-backend-wasm` under Deno: locate the `.wasm`
 * binaries in `node_modules`, keep SIMD on, and optionally run the threaded
 * build with Deno's `node:worker_threads`.
 *
 * Threads: tfjs 4.22.0 turns threads off whenever `IS_NODE` is true (tfjs#3830),
 * and Deno looks like Node to npm packages. Its threaded Emscripten runtime then
 * calls `new Worker("blob:...")` through `node:worker_threads`, which only
 * accepts file paths. We switch the flag on and swap `worker_threads.Worker`
 * for a subclass that starts `_wasm_pthread_worker.ts` whatever path it is
 * given, and that never keeps the process alive. Finally the C side caps threads at `emscripten_num_logical_cores() / 2`
 * (it assumes hyper-threading), read from `os.cpus()` at start-up, so a 2-core
 * machine would get 1; we report `2 * threads` cores while the runtime starts.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  getThreadsCount,
  setThreadsCount,
  setWasmPaths,
  version_wasm,
} from "@tensorflow/tfjs-backend-wasm";
import os from "node:os";
import workerThreads from "node:worker_threads";
import { fileURLToPath } from "node:url";
import { registerWasmConvGrads } from "./wasm_conv_grads.ts";
import { registerWasmMaxPoolGrad } from "./wasm_max_pool_grad.ts";
import { registerWasmChannelKernels } from "./wasm_channel_kernels.ts";
import { registerWasmBatchMatMul } from "./wasm_batch_matmul.ts";
import { initWasmOwnKernels } from "./wasm_own_kernels.ts";
import { registerWasmConv2d } from "./wasm_conv2d.ts";
import { registerWasmBiasAdd } from "./wasm_bias_add.ts";
import { registerWasmAdamW } from "./wasm_adamw.ts";

/** Names of the three binaries that tfjs-backend-wasm may load. */
export const WASM_BINARIES = [
  "tfjs-backend-wasm.wasm",
  "tfjs-backend-wasm-simd.wasm",
  "tfjs-backend-wasm-threaded-simd.wasm",
] as const;

/** Options for {@linkcode setupWasmBackend}. */
export interface WasmSetupOptions {
  /** Number of threads; 1 = single-threaded SIMD build (default 1). */
  readonly threads?: number;
  /** Use SIMD when the runtime supports it (default true). */
  readonly simd?: boolean;
  /** Also register the training kernels missing from the wasm backend (default true). */
  readonly registerGrads?: boolean;
  /**
   * Folder of the `.wasm` binaries, ending in `/` (default: tfjs-backend-wasm's
   * `dist/` in `node_modules`; the GPU bench pack carries its own).
   */
  readonly wasmDir?: string;
}

/** What {@linkcode setupWasmBackend} ended up with. */
export interface WasmSetupResult {
  /** Directory holding the `.wasm` binaries (a file path, ends with `/`). */
  readonly wasmDir: string;
  /** SIMD build in use. */
  readonly simd: boolean;
  /** Threads actually running in the wasm runtime (1 = no worker threads). */
  readonly threads: number;
  /** tfjs-backend-wasm version. */
  readonly version: string;
}

/**
 * Directory of the tfjs-backend-wasm `dist/` folder, resolved through the
 * import map, so it works from any cwd.
 *
 * @returns Absolute file path ending with `/`.
 * @example
 * ```ts
 * import { wasmDistDir } from "./wasm_setup.ts";
 * console.assert(wasmDistDir().endsWith("/dist/"));
 * ```
 */
export function wasmDistDir(): string {
  const main = import.meta.resolve("@tensorflow/tfjs-backend-wasm");
  return fileURLToPath(new URL("./", main));
}

let installedWorkerShim = false;

/** Make `node:worker_threads` start our pthread worker for Emscripten's blob URLs. */
function installWorkerShim(): void {
  if (installedWorkerShim) return;
  const Original = workerThreads.Worker;
  const shimUrl = new URL("./_wasm_pthread_worker.ts", import.meta.url);
  class PthreadWorker extends Original {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      const isBlob = typeof filename === "string" && filename.startsWith("blob:");
      // An empty environment: the pthreads read none, and copying `process.env`
      // would ask for access to every variable (a prompt on a terminal).
      super(isBlob ? shimUrl : filename, isBlob ? { ...options, env: {} } : options);
    }
    // Emscripten refs a worker while its pthread runs; XNNPACK's pool threads run
    // forever, so that ref would keep the process alive after the main script ends.
    override ref(): void {}
  }
  // deno-lint-ignore no-explicit-any
  (workerThreads as any).Worker = PthreadWorker;
  installedWorkerShim = true;
}

/**
 * What keeps this process from running the threaded wasm build: the pthread
 * workers need read access to their script and `os.cpus()` (`--allow-sys=cpus`).
 *
 * @returns The missing permission, or null when threads can run.
 */
export function threadsBlockedBy(): string | null {
  const worker = fileURLToPath(new URL("./_wasm_pthread_worker.ts", import.meta.url));
  if (Deno.permissions.querySync({ name: "read", path: worker }).state !== "granted") {
    return `read access to ${worker} (--allow-read=lib)`;
  }
  if (Deno.permissions.querySync({ name: "sys", kind: "cpus" }).state !== "granted") {
    return "--allow-sys=cpus";
  }
  return null;
}

function threadsAvailable(): string | null {
  const blocked = threadsBlockedBy();
  if (blocked !== null) return `needs ${blocked}`;
  if (typeof SharedArrayBuffer === "undefined") return "SharedArrayBuffer is not defined";
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch (e) {
    return `shared WebAssembly.Memory failed: ${String(e)}`;
  }
  return null;
}

/**
 * Select the wasm backend (idempotent within a process: the first call's
 * options win; the wasm runtime cannot be re-initialised).
 *
 * @param options Threads and SIMD choice; see {@linkcode WasmSetupOptions}.
 * @returns The binaries' directory, SIMD and thread count in use.
 * @throws {Deno.errors.NotFound} If the `.wasm` binaries are missing.
 * @throws {RangeError} If `threads` is not a positive integer.
 * @throws {Error} If tfjs fails to initialise the backend.
 * @example
 * ```ts ignore
 * import { setupWasmBackend } from "./wasm_setup.ts";
 * const r = await setupWasmBackend({ threads: 2 });
 * console.log(`wasm: simd=${r.simd} threads=${r.threads}`);
 * ```
 */
export async function setupWasmBackend(options: WasmSetupOptions = {}): Promise<WasmSetupResult> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) {
    throw new RangeError(
      `Cannot set up wasm backend: threads must be a positive integer, got ${threads}`,
    );
  }
  const wasmDir = options.wasmDir ?? wasmDistDir();
  if (tf.findBackend("wasm") === null || tf.getBackend() !== "wasm") {
    for (const name of WASM_BINARIES) {
      try {
        Deno.statSync(wasmDir + name);
      } catch (e) {
        if (e instanceof Deno.errors.NotFound) {
          throw new Deno.errors.NotFound(
            `Cannot set up wasm backend: "${wasmDir}${name}" not found`,
          );
        }
        throw e;
      }
    }
    const simd = options.simd ?? true;
    if (!simd) tf.env().set("WASM_HAS_SIMD_SUPPORT", false);
    if (threads > 1) {
      const missing = threadsAvailable();
      if (missing !== null) {
        throw new Error(`Cannot set up wasm backend with ${threads} threads: ${missing}`);
      }
      if (!simd) {
        throw new RangeError("Cannot set up wasm backend: the threaded build requires simd");
      }
      installWorkerShim();
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", true);
    } else {
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    }
    setThreadsCount(threads);
    try {
      setWasmPaths(wasmDir);
    } catch {
      // already initialised once in this process; paths are fixed by then
    }
    // The C side uses min(threads, logicalCores / 2): report enough cores for `threads`.
    const cpus = os.cpus;
    if (threads > 1) {
      os.cpus = () => {
        const real = cpus();
        return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
      };
    }
    let ok: boolean;
    try {
      ok = await tf.setBackend("wasm");
    } finally {
      os.cpus = cpus;
    }
    if (!ok) throw new Error(`Cannot set up wasm backend: tf.setBackend("wasm") returned false`);
    await tf.ready();
  }
  if (options.registerGrads ?? true) {
    registerWasmConvGrads();
    registerWasmMaxPoolGrad();
    registerWasmChannelKernels();
    registerWasmBatchMatMul();
    registerWasmConv2d();
    registerWasmBiasAdd();
    registerWasmAdamW();
    await initWasmOwnKernels({ threads: getThreadsCount() });
  }
  return {
    wasmDir,
    simd: await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT") as boolean,
    threads: getThreadsCount(),
    version: version_wasm,
  };
}
