/**
 * The exact separable Euclidean distance transform (Felzenszwalb-Huttenlocher)
 * with anisotropic spacing: `shaders/edt.wgsl` (one dispatch per axis on one
 * buffer, f32) and its TS twin {@linkcode squaredEdt} (the same algorithm line
 * for line, in f64); squared distances agree to about 1e-6 relative. HD95
 * (`lib/metrics/hd95.ts`) uses either, as `lib/metrics/select_edt.ts` chooses.
 *
 * @module
 */

// References:
// - P. F. Felzenszwalb, D. P. Huttenlocher, "Distance Transforms of Sampled Functions",
//   Theory of Computing 8 (2012) 415-428. https://doi.org/10.4086/toc.2012.v008a019
//   (1D lower envelope of parabolas, applied once per axis; here with grid step = spacing).

import { getGpu } from "../gpu/device.ts";
import {
  createStorage,
  dispatch,
  readBuffer,
  uniformBuffer,
  uploadBuffer,
} from "../gpu/compute.ts";
import { loadShader } from "../gpu/shader.ts";
import { checkLength, dims3, resolveSpacing } from "../volume.ts";

/** Options for {@linkcode edt} and {@linkcode squaredEdt}. */
export interface EdtOptions {
  /** Voxel size in mm per axis, same order as `dims` (default 1 for every axis). */
  readonly spacing?: readonly number[];
}

/**
 * Squared distances of one line, in place: `f[q] <- min_r ((q - r) * step)^2 + f[r]`
 * (the TS twin of one invocation of `shaders/edt.wgsl`, step for step).
 * `f[r] = Infinity` marks "no site"; a line without sites stays Infinity.
 * `sites`, `values`, `starts` are scratch buffers of length >= n: the lower envelope,
 * parabola k (site `sites[k]`, value `values[k]`) lies lowest from `starts[k]` (k >= 1).
 */
function envelope1d(
  f: Float64Array,
  n: number,
  step: number,
  sites: Int32Array,
  values: Float64Array,
  starts: Float64Array,
): void {
  // 1) lower envelope
  let count = 0;
  for (let q = 0; q < n; q++) {
    const fq = f[q]!;
    if (fq === Infinity) continue;
    let s = 0;
    while (count > 0) {
      const k = count - 1;
      s = breakpoint(q, fq, sites[k]!, values[k]!, step);
      if (k === 0 || s > starts[k]!) break;
      count = k; // parabola k is hidden everywhere by k - 1 and q
    }
    sites[count] = q;
    values[count] = fq;
    starts[count] = s;
    count++;
  }
  if (count === 0) return;
  // 2) read it at every voxel, from pieces cur - 1, cur, cur + 1 (the shader keeps them in
  //    registers; the neighbours guard its f32 breakpoints)
  let prev = 0, cur = 0, next = Math.min(1, count - 1);
  for (let q = 0; q < n; q++) {
    const p = q * step;
    while (cur + 1 < count && starts[next]! < p) {
      prev = cur;
      cur = next;
      next = Math.min(cur + 1, count - 1);
    }
    f[q] = Math.min(
      parabola(q, sites[prev]!, values[prev]!, step),
      parabola(q, sites[cur]!, values[cur]!, step),
      parabola(q, sites[next]!, values[next]!, step),
    );
  }
}

/** Where the parabola of site q starts to lie below that of site r < q (mm, around their midpoint). */
function breakpoint(q: number, fq: number, r: number, fr: number, step: number): number {
  return 0.5 * (q + r) * step + (fq - fr) / (2 * (q - r) * step);
}

function parabola(q: number, site: number, value: number, step: number): number {
  const d = (q - site) * step;
  return d * d + value;
}

/**
 * Exact squared Euclidean distance (mm^2) from every voxel to the nearest zero voxel of
 * `mask` (0 on zero voxels), separable over axes with anisotropic spacing.
 * If `mask` has no zero voxel at all, every entry is `Infinity`.
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm.
 * @returns a new Float64Array of squared distances.
 * @throws {RangeError} if the mask does not match `dims` or a spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { squaredEdt } from "./edt.ts";
 * const d2 = squaredEdt(Uint8Array.of(0, 1, 1, 1), [4, 1], { spacing: [2, 1] });
 * assert.deepEqual([...d2], [0, 4, 16, 36]);
 * ```
 */
export function squaredEdt(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtOptions = {},
): Float64Array {
  checkLength(mask, dims, "compute distance transform", "mask");
  const spacing = resolveSpacing(options.spacing, dims, "compute distance transform");
  const { x, y, z, ndim } = dims3(dims);
  const sizes = [x, y, z];
  const strides = [1, x, x * y];
  const d2 = new Float64Array(mask.length);
  for (let i = 0; i < mask.length; i++) d2[i] = mask[i] === 0 ? 0 : Infinity;
  const maxLen = Math.max(x, y, z);
  const line = new Float64Array(maxLen);
  const sites = new Int32Array(maxLen);
  const values = new Float64Array(maxLen);
  const starts = new Float64Array(maxLen);
  for (let a = 0; a < ndim; a++) {
    const n = sizes[a]!;
    const stride = strides[a]!;
    const step = spacing[a]!;
    const lines = d2.length / n;
    for (let l = 0; l < lines; l++) {
      // Line l starts where its coordinate on axis a is 0 (as in edt.wgsl).
      const first = (l % stride) + Math.floor(l / stride) * stride * n;
      for (let q = 0; q < n; q++) line[q] = d2[first + q * stride]!;
      envelope1d(line, n, step, sites, values, starts);
      for (let q = 0; q < n; q++) d2[first + q * stride] = line[q]!;
    }
  }
  return d2;
}

/**
 * Exact Euclidean distance transform in mm: for every non-zero voxel, the distance to
 * the nearest zero voxel; 0 on zero voxels. Same contract as
 * `scipy.ndimage.distance_transform_edt(mask, sampling=spacing)` with the array indexed
 * `[x, y, z]`, except that a mask without any zero voxel gives `Infinity` everywhere.
 *
 * @param mask any non-zero is "inside"; layout `x + X * (y + Y * z)`.
 * @param dims `[X, Y]` or `[X, Y, Z]`.
 * @param options voxel spacing in mm.
 * @returns a new Float64Array of distances in mm.
 * @throws {RangeError} if the mask does not match `dims` or a spacing is not positive.
 * @throws {TypeError} if `dims` or `spacing` has the wrong number of entries.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { edt } from "./edt.ts";
 * const d = edt(Uint8Array.of(0, 1, 1, 1), [2, 2], { spacing: [3, 4] });
 * assert.deepEqual([...d], [0, 3, 4, 5]);
 * ```
 */
export function edt(
  mask: ArrayLike<number>,
  dims: readonly number[],
  options: EdtOptions = {},
): Float64Array {
  const d = squaredEdt(mask, dims, options);
  for (let i = 0; i < d.length; i++) d[i] = Math.sqrt(d[i]!);
  return d;
}

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
 * import { squaredEdtGpu } from "./edt.ts";
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
