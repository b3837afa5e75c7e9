/**
 * A thread of `wasm_kernel_pool.ts`: instantiates the kernel module on the
 * shared heap, says "ready", then runs the parts it is handed until the
 * process ends (it blocks in `Atomics.wait` between jobs).
 *
 * Jobs: 0 = the filter gradient (`wasm_filter_grad_run.ts`).
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

const { memory, module, control } = workerThreads.workerData as {
  memory: WebAssembly.Memory;
  module: WebAssembly.Module;
  control: Int32Array;
};
const port = workerThreads.parentPort!;
let blocks: ReturnType<typeof blockFns>;
try {
  blocks = blockFns(new WebAssembly.Instance(module, { env: { memory } }).exports);
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
    if (control[CTL.job] !== 0) throw new Error(`unknown job ${control[CTL.job]}`);
    const job = Object.fromEntries(
      FILTER_GRAD_JOB_FIELDS.map((k, i) => [k, control[CTL.args + i]!]),
    ) as unknown as FilterGradJob;
    runFilterGradPart(
      blocks,
      new Float32Array(memory.buffer),
      job,
      control[CTL.part]!,
      control[CTL.parts]!,
    );
  } catch (e) {
    console.error(`medmim wasm kernel worker: ${e instanceof Error ? e.message : e}`);
    control[CTL.error] = 1;
  }
  Atomics.store(control, CTL.done, seen);
  Atomics.notify(control, CTL.done);
}
