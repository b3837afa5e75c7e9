/**
 * One `GPUDevice` per process. The WGSL kernels in `shaders/` and tfjs's webgpu
 * backend both use the device returned here, so tensors and kernel buffers live
 * on the same device and never need a round trip through the CPU.
 *
 * @module
 */

import { GpuDeviceLostError, NoGpuAdapterError } from "../errors.ts";

/** The process-wide adapter and device. */
export interface Gpu {
  readonly adapter: GPUAdapter;
  readonly device: GPUDevice;
  /** Adapter description, e.g. `llvmpipe (LLVM 15.0.6, 256 bits)`. */
  readonly description: string;
}

const ADAPTER_TIMEOUT_MS = 30_000;

let pending: Promise<Gpu> | undefined;
let lost: GpuDeviceLostError | undefined;

/**
 * Returns the process-wide GPU, creating it on the first call.
 *
 * The device asks for the adapter's own storage and buffer limits (the defaults
 * are too small for batches of 160 px images on real GPUs).
 *
 * @returns The adapter and device.
 * @throws {NoGpuAdapterError} If WebGPU is missing or no adapter answers.
 * @throws {GpuDeviceLostError} If the device was lost earlier in this process.
 */
export function getGpu(): Promise<Gpu> {
  if (lost) return Promise.reject(lost);
  pending ??= createGpu().catch((error) => {
    pending = undefined; // a later call may try again
    throw error;
  });
  return pending;
}

async function createGpu(): Promise<Gpu> {
  if (typeof navigator === "undefined" || !("gpu" in navigator) || !navigator.gpu) {
    throw new NoGpuAdapterError("this runtime has no navigator.gpu");
  }
  const adapter = await withTimeout(
    navigator.gpu.requestAdapter({ powerPreference: "high-performance" }),
    "requestAdapter()",
  );
  if (!adapter) {
    throw new NoGpuAdapterError(
      "navigator.gpu.requestAdapter() returned null (install a GPU driver, or Mesa's " +
        "llvmpipe/lavapipe: apt-get install mesa-vulkan-drivers libvulkan1)",
    );
  }
  const device = await withTimeout(
    adapter.requestDevice({
      label: "medmim",
      requiredLimits: adapterLimits(adapter),
    }),
    "requestDevice()",
  );
  device.lost.then((info) => {
    if (info.reason === "destroyed") return; // we asked for it
    lost = new GpuDeviceLostError(String(info.reason), info.message);
    pending = undefined;
    console.error(`medmim: ${lost.message}`);
  });
  // Released when this runtime unloads, not left to native teardown at exit:
  // on llvmpipe, `deno test --parallel` runs whose workers left their devices
  // alive aborted at exit (glibc heap corruption) in 8 of 68 runs, 0 of 54
  // with this (README: "Tests and references").
  globalThis.addEventListener("unload", () => device.destroy());
  device.addEventListener("uncapturederror", (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    console.error(`medmim: uncaptured WebGPU error: ${error.message}`);
  });
  const info = adapter.info;
  return {
    adapter,
    device,
    description: info.description || `${info.vendor} ${info.device}`.trim(),
  };
}

async function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new NoGpuAdapterError(`${what} did not answer in ${ADAPTER_TIMEOUT_MS} ms`)),
      ADAPTER_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The adapter's own storage, buffer and workgroup limits, to request for a
 * device (the defaults are too small for batches of 160 px images on real GPUs).
 *
 * @param adapter The adapter.
 * @returns `requiredLimits` for `requestDevice`.
 */
export function adapterLimits(adapter: GPUAdapter): Record<string, number> {
  const limits = adapter.limits;
  return {
    maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
    maxBufferSize: limits.maxBufferSize,
    maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    maxStorageBuffersPerShaderStage: limits.maxStorageBuffersPerShaderStage,
  };
}
