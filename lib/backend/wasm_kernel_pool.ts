/**
 * Threads for medmim's own wasm kernels: workers that share tfjs-backend-wasm's
 * heap (the threaded build's shared `WebAssembly.Memory`), each with its own
 * instance of a kernel module importing it. A kernel call stays synchronous,
 * as tfjs requires: the main thread hands part p of the job to worker p - 1
 * through a shared control block (`Atomics.notify`), computes part 0 itself,
 * then waits (`Atomics.wait`) until every worker has written its part.
 *
 * Workers are `node:worker_threads` workers (so they can be unref'd and never
 * keep the process alive) running `_wasm_kernel_worker.ts`; they need read
 * access to `lib/`.
 *
 * @module
 */

import workerThreads from "node:worker_threads";

/** Words of a worker's control block. */
export const CONTROL_WORDS = 64;
/** Control block layout: sequence number, done sequence, error flag, job id, part, parts, args. */
export const CTL = { seq: 0, done: 1, error: 2, job: 3, part: 4, parts: 5, args: 8 } as const;

/** A pool of kernel workers on one shared memory. */
export interface WasmKernelPool {
  /** Threads in all (workers + the calling thread). */
  readonly threads: number;
  /**
   * Runs job `job` with `args` in `threads` parts: parts 1.. on the workers,
   * part 0 by `runHere(0, threads)` on this thread; returns when all are done.
   *
   * @throws {Error} If a worker failed.
   */
  run(job: number, args: readonly number[], runHere: (part: number, parts: number) => void): void;
}

/**
 * Starts `threads - 1` workers on `memory`.
 *
 * @param memory tfjs's shared heap.
 * @param moduleBytes The kernel module (importing `env.memory`).
 * @param threads Threads in all (>= 2).
 * @returns The pool, once every worker has instantiated the module.
 * @throws {Error} If the memory is not shared or a worker fails to start.
 */
export async function startWasmKernelPool(
  memory: WebAssembly.Memory,
  moduleBytes: Uint8Array<ArrayBuffer>,
  threads: number,
): Promise<WasmKernelPool> {
  if (!(memory.buffer instanceof SharedArrayBuffer)) {
    throw new Error("Cannot start wasm kernel threads: the heap is not shared memory");
  }
  const module = await WebAssembly.compile(moduleBytes);
  const controls: Int32Array[] = [];
  await Promise.all(
    Array.from({ length: threads - 1 }, () => {
      const control = new Int32Array(new SharedArrayBuffer(4 * CONTROL_WORDS));
      controls.push(control);
      const worker = new workerThreads.Worker(
        new URL("./_wasm_kernel_worker.ts", import.meta.url),
        // an empty environment: the workers read none, and copying `process.env`
        // asks for every variable (a prompt on a terminal without --allow-env)
        { workerData: { memory, module, control }, env: {} },
      );
      worker.unref();
      return new Promise<void>((resolve, reject) => {
        worker.once(
          "message",
          (m: unknown) =>
            m === "ready"
              ? resolve()
              : reject(new Error(`Cannot start a wasm kernel worker: ${m}`)),
        );
        worker.once(
          "error",
          (e: Error) => reject(new Error(`Cannot start a wasm kernel worker: ${e.message}`)),
        );
      });
    }),
  );
  return {
    threads,
    run(job, args, runHere) {
      controls.forEach((c, i) => {
        c[CTL.job] = job;
        c[CTL.part] = i + 1;
        c[CTL.parts] = threads;
        args.forEach((v, k) => (c[CTL.args + k] = v));
        Atomics.add(c, CTL.seq, 1);
        Atomics.notify(c, CTL.seq);
      });
      let error: unknown;
      try {
        runHere(0, threads);
      } catch (e) {
        error = e;
      }
      for (const c of controls) {
        const seq = Atomics.load(c, CTL.seq);
        for (let done = Atomics.load(c, CTL.done); done !== seq; done = Atomics.load(c, CTL.done)) {
          Atomics.wait(c, CTL.done, done);
        }
        if (c[CTL.error]) {
          c[CTL.error] = 0;
          error ??= new Error("Cannot run a wasm kernel: a worker failed (see its message above)");
        }
      }
      if (error) throw error;
    },
  };
}
