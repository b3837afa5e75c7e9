/**
 * The CPU rows of the GPU bench: the U-Net step on tfjs-backend-wasm with
 * medmim's own kernels, on many threads of a quiet machine, and the wasm
 * SIMD ceiling there (`wasm_ceiling.ts`), to set beside PyTorch on the same
 * CPU. Switches tfjs to the wasm backend: run it after the GPU rows.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../backend/wasm_setup.ts";
import { wasmOwnKernels } from "../backend/wasm_own_kernels.ts";
import { createKernelContext } from "../kernels/registry.ts";
import { benchUNet, type UNetCase, type UNetTiming } from "./bench_unet.ts";
import { type CeilingTiming, runCeilingThreads } from "./wasm_ceiling.ts";

/** What {@linkcode benchWasmCpu} measured. */
export interface WasmCpuResult {
  readonly threads: number;
  /** The backend and kernels, for the report. */
  readonly description: string;
  readonly ceiling: ReadonlyArray<{ readonly fma: boolean } & CeilingTiming>;
  readonly unet: readonly UNetTiming[];
}

/**
 * Sets up the wasm backend and times the ceiling and the cases.
 *
 * @param cases U-Net cases.
 * @param o Threads, the binaries' folder, training steps per case.
 * @returns The timings.
 */
export async function benchWasmCpu(
  cases: readonly UNetCase[],
  o: { readonly threads: number; readonly wasmDir?: string; readonly steps: number },
): Promise<WasmCpuResult> {
  const wasm = await setupWasmBackend({
    threads: o.threads,
    ...(o.wasmDir ? { wasmDir: o.wasmDir } : {}),
  });
  await tf.setBackend("wasm");
  const own = wasmOwnKernels()?.setup;
  const ceiling = [];
  for (const fma of [false, ...(own?.fma ? [true] : [])]) {
    const runs = [];
    for (let i = 0; i < 3; i++) runs.push(await runCeilingThreads(fma, wasm.threads, 300));
    ceiling.push({ fma, ...runs.reduce((a, b) => (b.gflops > a.gflops ? b : a)) });
  }
  const ctx = await createKernelContext("cpu");
  const unet: UNetTiming[] = [];
  for (const c of cases) unet.push(await benchUNet(ctx, c, { steps: o.steps }));
  return {
    threads: wasm.threads,
    description: `tfjs-backend-wasm ${wasm.version}, ${wasm.threads} threads; ` +
      (own?.description ?? "medmim's own kernels not available"),
    ceiling,
    unet,
  };
}
