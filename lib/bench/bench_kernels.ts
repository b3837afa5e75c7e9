/**
 * Times every WGSL kernel against its TS twin (see `kernel_cases.ts`): GPU
 * time per kernel is a run of 10 dispatches, from the first submission until
 * the queue is idle, divided by 10.
 *
 * @module
 */

import { loadKernels } from "../kernels/registry.ts";
import { kernelCases } from "./kernel_cases.ts";
import { measure } from "./measure.ts";

/** Dispatches per timed run on the GPU. */
const DISPATCHES = 10;

/** One row of the kernel table. */
export interface KernelRow {
  readonly kernel: string;
  readonly shape: string;
  readonly gpuMs: number;
  readonly cpuMs: number;
  readonly gpuGBs: number;
  readonly cpuGBs: number;
}

/**
 * Runs the kernel bench.
 *
 * @param device The device whose kernels to time.
 * @param options Time budget per measurement.
 * @returns One row per kernel.
 */
export async function benchKernels(
  device: GPUDevice,
  options: { readonly budgetMs?: number } = {},
): Promise<KernelRow[]> {
  const kernels = await loadKernels(device);
  const { cases, release } = kernelCases(device, kernels);
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
      const cpu = await measure(c.cpu, { budgetMs });
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
