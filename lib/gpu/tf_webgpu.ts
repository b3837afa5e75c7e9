/**
 * Registers tfjs's webgpu backend on medmim's one `GPUDevice`, so tensors and
 * the WGSL kernels share buffers.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import type { Gpu } from "./device.ts";

const registered = new WeakSet<GPUDevice>();

/**
 * Makes `webgpu`, backed by `gpu.device`, tfjs's active backend.
 *
 * Importing `@tensorflow/tfjs-backend-webgpu` registers a factory that would
 * create a second device; it is replaced here.
 *
 * @param gpu The process-wide GPU from `getGpu()`.
 */
export async function useWebGpuBackend(gpu: Gpu): Promise<void> {
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
}
