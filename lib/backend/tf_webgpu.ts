/**
 * Registers tfjs's webgpu backend on medmim's one `GPUDevice`, so tensors and
 * the WGSL kernels share buffers, with medmim's webgpu kernels in place of
 * tfjs's where they are faster (`lib/backend/webgpu_kernels.ts`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type { Gpu } from "../gpu/device.ts";
import { registerWebGpuKernels, type WebGpuKernels } from "./webgpu_kernels.ts";

const registered = new WeakSet<GPUDevice>();

/**
 * Makes `webgpu`, backed by `gpu.device`, tfjs's active backend, and registers
 * medmim's webgpu kernels (today its `Conv2DBackpropFilter`) for it.
 *
 * Importing `@tensorflow/tfjs-backend-webgpu` registers a factory that would
 * create a second device; it is replaced here. medmim's kernels read their
 * shaders, so they need `--allow-read=shaders`; without it tfjs's kernels stay
 * and the returned description says why.
 *
 * @param gpu The process-wide GPU from `getGpu()`.
 * @returns The kernels medmim registered, and a description for logs.
 * @throws {Error} If tfjs cannot set the backend up.
 * @example
 * ```ts ignore
 * import { getGpu } from "../gpu/device.ts";
 * import { useWebGpuBackend } from "./tf_webgpu.ts";
 * const kernels = await useWebGpuBackend(await getGpu());
 * console.log(kernels.description); // "medmim's Conv2DBackpropFilter"
 * ```
 */
export async function useWebGpuBackend(gpu: Gpu): Promise<WebGpuKernels> {
  if (!registered.has(gpu.device)) {
    if (tf.findBackendFactory("webgpu")) tf.removeBackend("webgpu");
    tf.registerBackend(
      "webgpu",
      () => new WebGPUBackend(gpu.device, gpu.adapter.info as unknown as never),
      3,
    );
    registered.add(gpu.device);
  }
  // Keep every op on the GPU: tfjs would otherwise run small ops on the CPU and
  // leave their results there, out of reach of the WGSL kernels.
  tf.env().set("WEBGPU_CPU_FORWARD", false);
  if (!(await tf.setBackend("webgpu"))) {
    throw new Error('Cannot use tfjs\'s webgpu backend: tf.setBackend("webgpu") failed');
  }
  return await registerWebGpuKernels(gpu.device);
}
