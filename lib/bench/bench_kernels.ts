/**
 * Times every WGSL kernel against its TS twin (see `kernel_cases.ts`): GPU
 * time per kernel is a run of 10 dispatches, from the first submission until
 * the queue is idle, divided by 10.
 *
 * @module
 */

import { loadKernels } from "../kernels/registry.ts";
import type { ImageShape } from "../patchify.ts";
import { kernelCases } from "./kernel_cases.ts";
import { measure } from "./measure.ts";

/** Dispatches per timed run on the GPU. */
const DISPATCHES = 10;

/** One row of the kernel table (the TS twin's cells are NaN when it was not run). */
export interface KernelRow {
  readonly kernel: string;
  readonly shape: string;
  readonly gpuMs: number;
  readonly cpuMs: number;
  readonly gpuGBs: number;
  readonly cpuGBs: number;
}

/** Options of {@linkcode benchKernels}. */
export interface BenchKernelsOptions {
  /** Time budget per measurement (default 500 ms). */
  readonly budgetMs?: number;
  /** The batch (default `kernel_cases.ts`'s `BENCH_SHAPE`). */
  readonly shape?: ImageShape;
  /** Also time the TS twins (default true). */
  readonly twins?: boolean;
}

/**
 * Runs the kernel bench.
 *
 * @param device The device whose kernels to time.
 * @param options Time budget per measurement, batch shape, twins or not.
 * @returns One row per kernel.
 */
export async function benchKernels(
  device: GPUDevice,
  options: BenchKernelsOptions = {},
): Promise<KernelRow[]> {
  const kernels = await loadKernels(device);
  const { cases, release } = kernelCases(device, kernels, options.shape);
  const rows: KernelRow[] = [];
  try {
    for (const c of cases) {
      const budgetMs = options.budgetMs ?? 500;
      // a pipelined run of dispatches per wait, as in a training loop: the
      // per-submission round trip is paid once per run, not per kernel
      const gpu = await measure(async () => {
        const outputs = Array.from({ length: DISPATCHES }, () => c.gpu()).flat();
        await device.queue.onSubmittedWorkDone();
        outputs.forEach((b) => b.destroy());
      }, { budgetMs });
      const cpu = options.twins ?? true ? await measure(c.cpu, { budgetMs }) : { ms: NaN };
      rows.push({
        kernel: c.name,
        shape: c.shape,
        gpuMs: gpu.ms / DISPATCHES,
        cpuMs: cpu.ms,
        gpuGBs: (DISPATCHES * c.bytes) / gpu.ms / 1e6,
        cpuGBs: c.bytes / cpu.ms / 1e6,
      });
    }
  } finally {
    release();
  }
  return rows;
}
