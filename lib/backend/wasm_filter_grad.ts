/**
 * medmim's `Conv2DBackpropFilter` for tfjs-backend-wasm: dW computed in
 * place on the wasm heap by medmim's own SIMD kernels
 * (`wasm_kernels_module.ts`, `wasm_filter_grad_run.ts`; `wasm_own_kernels.ts`
 * sets them up on every wasm thread). It reads x and dy where they are: no
 * padding, no stacked windows, no transposes, so it runs at 2-3x the speed
 * of the XNNPACK composition in `wasm_conv_grads.ts`, which stays for the
 * shapes this one leaves out (Cout not a multiple of 4).
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import {
  FILTER_GRAD_JOB_FIELDS,
  type FilterGradJob,
  runFilterGradPart,
} from "./wasm_filter_grad_run.ts";
import { JOBS, runJob, wasmOwnKernels } from "./wasm_own_kernels.ts";
import { convGeometry, convWork } from "./wasm_conv_job.ts";
import { heapF32, offsetF32 } from "./_wasm_kernel.ts";

/**
 * Whether medmim's kernel handles a filter gradient: Cout a multiple of 4,
 * once `initWasmOwnKernels` ran.
 *
 * @param cout Output channels.
 * @returns true when `wasmFilterGrad` applies.
 */
export function wasmFilterGradApplies(cout: number): boolean {
  return wasmOwnKernels() !== null && cout % 4 === 0 && cout > 0;
}

/**
 * dW of an NHWC conv2d (`[kh, kw, Cin, Cout]`) from x `[N, H, W, Cin]` and
 * dy `[N, Ho, Wo, Cout]` (dilation 1).
 *
 * @param backend The wasm backend.
 * @param x The conv's input.
 * @param dy The gradient of its output.
 * @param info The conv's geometry (`backend_util.computeConv2DInfo`).
 * @returns The new dW tensor info.
 * @throws {Error} If `initWasmOwnKernels` did not run.
 */
export function wasmFilterGrad(
  backend: BackendWasm,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo {
  const k = wasmOwnKernels();
  if (!k) throw new Error("Cannot run medmim's wasm filter gradient: not initialised");
  const g = convGeometry(info);
  const dw = backend.makeOutput([g.kh, g.kw, g.cin, g.cout], "float32");
  const heap = heapF32(backend, dw); // after makeOutput: malloc may grow the heap
  const job: FilterGradJob = {
    x: 4 * offsetF32(backend, x),
    dy: 4 * offsetF32(backend, dy),
    dw: 4 * offsetF32(backend, dw),
    ...g,
  };
  runJob(
    k,
    JOBS.filterGrad,
    FILTER_GRAD_JOB_FIELDS.map((f) => job[f]),
    convWork(g),
    (part, parts) => runFilterGradPart(k.blocks, heap, job, part, parts),
  );
  return dw;
}
