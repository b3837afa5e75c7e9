/**
 * Patch vectors on the GPU: `shaders/patch_vectors.wgsl` turns an NHWC image
 * buffer into `[N, L, P*P*C]` flattened patches, the features MPS clusters.
 * Its TS twin is {@linkcode patchify} in `lib/patchify.ts`.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

/** Shader name and workgroup size of the kernel. */
export const PATCH_VECTORS = { name: "patch_vectors", workgroupSize: 64 } as const;

/**
 * Runs `patch_vectors.wgsl` (GPU patchify; the TS twin is `patchify()`).
 *
 * @param device The device.
 * @param pipeline The pipeline of `patch_vectors`.
 * @param images `[N, H, W, C]` f32 buffer.
 * @param shape The image shape and patch size.
 * @returns A new `[N, L, P*P*C]` f32 buffer; the caller destroys it.
 * @throws {RangeError} If H or W is not a multiple of the patch size.
 */
export function patchVectorsGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  images: GPUBuffer,
  shape: ImageShape,
): GPUBuffer {
  patchGrid(shape); // validates
  const count = shape.batch * shape.height * shape.width * shape.channels;
  const features = createStorage(device, count * 4, "patch_vectors");
  const params = uniformBuffer(device, [
    ["u32", count],
    ["u32", shape.height],
    ["u32", shape.width],
    ["u32", shape.channels],
    ["u32", shape.patchSize],
  ]);
  dispatch(
    device,
    pipeline,
    [params, images, features],
    workgroupCount(count, PATCH_VECTORS.workgroupSize),
  );
  params.destroy();
  return features;
}
