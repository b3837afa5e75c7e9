/**
 * One extra thread of `runCeilingThreads()` (`wasm_ceiling.ts`): says it is
 * ready, waits for the shared go flag, runs the micro-kernel, posts GFLOP/s.
 *
 * @module
 */

import workerThreads from "node:worker_threads";
import { runCeiling } from "./wasm_ceiling.ts";
import type { GemmKernelShape } from "../backend/wasm_gemm_kernel.ts";

const { shape, ms, go } = workerThreads.workerData as {
  shape: GemmKernelShape;
  ms: number;
  go: Int32Array;
};
const port = workerThreads.parentPort!;
port.postMessage("ready");
Atomics.wait(go, 0, 0);
port.postMessage(runCeiling(shape, ms));
