/**
 * A thread of `wasm_kernel_pool.ts`: instantiates the kernel module on the
 * shared heap, says "ready", then runs the parts it is handed until the
 * process ends (it blocks in `Atomics.wait` between jobs).
 *
 * Jobs (`JOBS` of `wasm_own_kernels.ts`): 0 = the filter gradient
 * (`wasm_filter_grad_run.ts`), 1 = the convolution (`wasm_conv2d_run.ts`).
 *
 * @module
 */

import workerThreads from "node:worker_threads";
import { CTL } from "./wasm_kernel_pool.ts";
import {
  blockFns,
  FILTER_GRAD_JOB_FIELDS,
  type FilterGradJob,
  runFilterGradPart,
} from "./wasm_filter_grad_run.ts";
import { CONV2D_JOB_FIELDS, type Conv2dJob, convFns, runConv2dPart } from "./wasm_conv2d_run.ts";

/** The job's words as an object with the given fields. */
function fields<T>(names: readonly string[], control: Int32Array): T {
  return Object.fromEntries(names.map((k, i) => [k, control[CTL.args + i]!])) as T;
}

const { memory, module, control } = workerThreads.workerData as {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: Int32Array;
};
const port = workerThreads.parentPort!;
let blocks: ReturnType<typeof blockFns>, convs: ReturnType<typeof convFns>;
try {
  const { exports } = new WebAssembly.Instance(module, { env: { memory } });
  blocks = blockFns(exports);
  convs = convFns(exports);
  port.postMessage("ready");
} catch (e) {
  port.postMessage(e instanceof Error ? e.message : String(e));
  throw e;
}

let seen = Atomics.load(control, CTL.seq);
for (;;) {
  Atomics.wait(control, CTL.seq, seen);
  seen = Atomics.load(control, CTL.seq);
  try {
    const heap = new Float32Array(memory.buffer);
    const part = control[CTL.part]!, parts = control[CTL.parts]!;
    switch (control[CTL.job]) {
      case 0:
        runFilterGradPart(
          blocks,
          heap,
          fields<FilterGradJob>(FILTER_GRAD_JOB_FIELDS, control),
          part,
          parts,
        );
        break;
      case 1:
        runConv2dPart(convs, heap, fields<Conv2dJob>(CONV2D_JOB_FIELDS, control), part, parts);
        break;
      default:
        throw new Error(`unknown job ${control[CTL.job]}`);
    }
  } catch (e) {
    console.error(`medmim wasm kernel worker: ${e instanceof Error ? e.message : e}`);
    control[CTL.error] = 1;
  }
  Atomics.store(control, CTL.done, seen);
  Atomics.notify(control, CTL.done);
}
