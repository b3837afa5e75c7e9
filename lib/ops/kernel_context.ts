/**
 * Where medmim's own kernels run: on the GPU device shared with tfjs (when
 * tfjs uses the webgpu backend), or through their TS twins on the CPU (when
 * tfjs runs on wasm or cpu, whose tensors live in CPU memory anyway).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { getGpu } from "../gpu/device.ts";
import { type Kernels, loadKernels } from "../gpu/kernels.ts";

/** The kernels' execution place. */
export type KernelContext =
  | { readonly mode: "gpu"; readonly device: GPUDevice; readonly kernels: Kernels }
  | { readonly mode: "cpu" };

/**
 * Chooses the kernel context matching tfjs's active backend.
 *
 * @param prefer `auto` follows tfjs (webgpu -> gpu, else cpu); `gpu`/`cpu` force it.
 * @returns The context, with all pipelines compiled when on the GPU.
 * @throws {RangeError} If `gpu` is forced while tfjs is not on webgpu.
 */
export async function createKernelContext(
  prefer: "auto" | "gpu" | "cpu" = "auto",
): Promise<KernelContext> {
  const onWebGpu = tf.getBackend() === "webgpu";
  if (prefer === "gpu" && !onWebGpu) {
    throw new RangeError(
      `Cannot run kernels on the GPU: tfjs runs on "${tf.getBackend()}", not "webgpu"`,
    );
  }
  if (prefer === "cpu" || !onWebGpu) return { mode: "cpu" };
  const { device } = await getGpu();
  return { mode: "gpu", device, kernels: await loadKernels(device) };
}
