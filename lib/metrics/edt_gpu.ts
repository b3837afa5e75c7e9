/**
 * The exact separable EDT on the GPU: `shaders/edt.wgsl`, one dispatch per axis
 * on one buffer. Its TS twin is {@linkcode squaredEdt} in `edt.ts` (same
 * algorithm line for line, in f64); the GPU computes in f32, so squared
 * distances agree to about 1e-6 relative.
 *
 * @module
 */

import { getGpu } from "../gpu/device.ts";
import {
  createStorage,
  dispatch,
  readBuffer,
  uniformBuffer,
  uploadBuffer,
} from "../gpu/compute.ts";
import { loadShader } from "../gpu/shader.ts";
import type { EdtOptions } from "./edt.ts";
import { checkLength, dims3, resolveSpacing } from "./_shape.ts";

/** Shader name and workgroup size of the kernel. */
export const EDT = { name: "edt", workgroupSize: 64 } as const;

/** Options for {@linkcode squaredEdtGpu} and {@linkcode edtGpu}. */
export interface EdtGpuOptions extends EdtOptions {
  /** The device (default: the process-wide one from `getGpu()`). */
  readonly device?: GPUDevice;
}

/**
 * Longest axis (voxels) the kernel accepts. An invocation loops up to about 6n times
 * over a line of n voxels (4-5n measured on random lines), and Mesa's llvmpipe ends
 * every invocation after 65535 loop iterations in total (`LP_MAX_TGSI_LOOP_ITERATIONS`),
 * leaving the rest of the line unwritten. Medical image axes are far shorter.
 */
export const EDT_MAX_LINE = 8192;

/** "No site" in the shader's buffer (WGSL promises nothing about infinities). */
const NO_SITE = -1;

/**
 * Runs the passes of `edt.wgsl` over `d2` in place: on entry 0 on zero voxels and
 * -1 elsewhere, on exit squared distances in mm^2 (-1 where no zero voxel exists).
 * The work is submitted before this returns.
 *
 * @param device The device.
 * @param pipeline The pipeline from `loadShader(device, "edt", ...)`.
 * @param d2 `[N]` f32, layout `x + X * (y + Y * z)`.
 * @param shape `dims` ([X, Y] or [X, Y, Z]) and `spacing` in mm (same order).
 * @throws {RangeError} If an axis is longer than {@linkcode EDT_MAX_LINE} or the
 *   buffers exceed the device's storage binding size.
 */
export function squaredEdtPasses(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  d2: GPUBuffer,
  shape: { readonly dims: readonly number[]; readonly spacing: readonly number[] },
): void {
  const { x, y, z, ndim } = dims3(shape.dims);
  const voxels = x * y * z;
  const bytes = voxels * 4;
  const longest = Math.max(x, y, z);
  if (longest > EDT_MAX_LINE) {
    throw new RangeError(
      `Cannot compute distance transform on the GPU: an axis of ${longest} voxels is longer than ${EDT_MAX_LINE}`,
    );
  }
  if (bytes > device.limits.maxStorageBufferBindingSize) {
    throw new RangeError(
      `Cannot compute distance transform on the GPU: ${voxels} voxels need ${bytes} bytes per buffer, the device binds at most ${device.limits.maxStorageBufferBindingSize}`,
    );
  }
  // Every axis has N / n lines of n voxels, so N words of scratch serve every pass.
  const scratch = ["sites", "values", "starts"].map((label) => createStorage(device, bytes, label));
  const sizes = [x, y, z];
  const strides = [1, x, x * y];
  const perDimension = device.limits.maxComputeWorkgroupsPerDimension;
  for (let a = 0; a < ndim; a++) {
    const n = sizes[a]!;
    const lines = voxels / n;
    const params = uniformBuffer(device, [
      ["u32", n],
      ["u32", strides[a]!],
      ["u32", lines],
      ["f32", shape.spacing[a]!],
    ]);
    const groups = Math.ceil(lines / EDT.workgroupSize);
    const gx = Math.min(groups, perDimension);
    dispatch(device, pipeline, [params, d2, ...scratch], [gx, Math.ceil(groups / gx)]);
    params.destroy();
  }
  for (const buffer of scratch) buffer.destroy();
}

/**
 * GPU twin of {@linkcode squaredEdt}: exact squared Euclidean distance (mm^2) from
 * every voxel to the nearest zero voxel of `mask`, with anisotropic spacing;
 * `Infinity` everywhere when `mask` has no zero voxel. Computed in f32.
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm, and the device.
 * @returns a new Float64Array of squared distances (f32 precision).
 * @throws {RangeError} if the mask does not match `dims`, a spacing is not positive,
 *   an axis is longer than {@linkcode EDT_MAX_LINE}, or the volume is too large for the device.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 * @throws {NoGpuAdapterError} if no device is given and there is no WebGPU adapter.
 *
 * @example
 * ```ts ignore
 * import { squaredEdtGpu } from "./edt_gpu.ts";
 * const d2 = await squaredEdtGpu(Uint8Array.of(0, 1, 1, 1), [4, 1], { spacing: [2, 1] });
 * // [0, 4, 16, 36]
 * ```
 */
export async function squaredEdtGpu(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtGpuOptions = {},
): Promise<Float64Array> {
  checkLength(mask, dims, "compute distance transform", "mask");
  const spacing = resolveSpacing(options.spacing, dims, "compute distance transform");
  const device = options.device ?? (await getGpu()).device;
  const pipeline = await loadShader(device, EDT.name, { workgroupSize: EDT.workgroupSize });
  const init = new Float32Array(mask.length);
  for (let i = 0; i < mask.length; i++) init[i] = mask[i] === 0 ? 0 : NO_SITE;
  const d2 = uploadBuffer(device, init, "d2");
  try {
    squaredEdtPasses(device, pipeline, d2, { dims, spacing });
    const out = new Float64Array(new Float32Array(await readBuffer(device, d2, init.byteLength)));
    for (let i = 0; i < out.length; i++) if (out[i]! < 0) out[i] = Infinity;
    return out;
  } finally {
    d2.destroy();
  }
}

/**
 * GPU twin of {@linkcode edt}: distances in mm (the square roots of
 * {@linkcode squaredEdtGpu}).
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm, and the device.
 * @returns a new Float64Array of distances in mm.
 * @throws {RangeError} if the mask does not match `dims`, a spacing is not positive,
 *   an axis is longer than {@linkcode EDT_MAX_LINE}, or the volume is too large for the device.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 * @throws {NoGpuAdapterError} if no device is given and there is no WebGPU adapter.
 */
export async function edtGpu(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtGpuOptions = {},
): Promise<Float64Array> {
  const d = await squaredEdtGpu(mask, dims, options);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]!);
  return d;
}
