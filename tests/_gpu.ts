// Shared gate for GPU tests: `ignore: noGpu` skips them where WebGPU has no
// adapter (CI refuses to run without one, see .ci/run).
import { getGpu, type Gpu } from "../lib/gpu/device.ts";

export const gpu: Gpu | undefined = await getGpu().catch((error) => {
  console.warn(`GPU tests skipped: ${error instanceof Error ? error.message : error}`);
  return undefined;
});
export const noGpu = !gpu;

/** Returns the shared device (only call from tests gated by `noGpu`). */
export function device(): GPUDevice {
  if (!gpu) throw new Error("no GPU");
  return gpu.device;
}

/** Reads a whole f32 buffer of `count` values back. */
export async function readF32(buffer: GPUBuffer, count: number): Promise<Float32Array> {
  const { readBuffer } = await import("../lib/gpu/compute.ts");
  return new Float32Array(await readBuffer(device(), buffer, count * 4));
}

/** Reads a whole u32 buffer of `count` values back. */
export async function readU32(buffer: GPUBuffer, count: number): Promise<Uint32Array> {
  const { readBuffer } = await import("../lib/gpu/compute.ts");
  return new Uint32Array(await readBuffer(device(), buffer, count * 4));
}
