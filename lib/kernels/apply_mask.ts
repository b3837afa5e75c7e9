/**
 * Blanks the removed patches of a batch of NHWC images:
 * `shaders/apply_mask.wgsl` and its TS twin.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";
import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";

/** Shader name and workgroup size of the kernel. */
export const APPLY_MASK = { name: "apply_mask", workgroupSize: 64 } as const;

/**
 * TS twin of `apply_mask.wgsl`.
 *
 * @param images `[N, H, W, C]` values.
 * @param mask `[N, L]`, 1 = remove.
 * @param shape The image shape and patch size.
 * @param fill Value written into removed patches (0 is the mean after z-scoring).
 * @returns The masked images, a new array.
 * @example
 * ```ts
 * import { applyMaskCpu } from "./apply_mask.ts";
 * const out = applyMaskCpu(new Float32Array([1, 2, 3, 4]), new Float32Array([1, 0]),
 *   { batch: 1, height: 1, width: 4, channels: 1, patchSize: 1 });
 * ```
 */
export function applyMaskCpu(
  images: Float32Array,
  mask: Float32Array,
  shape: ImageShape,
  fill = 0,
): Float32Array {
  const { gw, patches } = patchGrid(shape);
  const { height, width, channels, patchSize } = shape;
  const out = new Float32Array(images.length);
  for (let i = 0; i < images.length; i++) {
    const pixel = Math.floor(i / channels);
    const x = pixel % width;
    const y = Math.floor(pixel / width) % height;
    const n = Math.floor(pixel / (width * height));
    const l = Math.floor(y / patchSize) * gw + Math.floor(x / patchSize);
    out[i] = (mask[n * patches + l] as number) > 0.5 ? fill : images[i] as number;
  }
  return out;
}

/**
 * Runs `apply_mask.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline from `loadShader(device, "apply_mask", ...)`.
 * @param buffers `images` `[N, H, W, C]` and `mask` `[N, L]`, both f32.
 * @param shape The image shape and patch size.
 * @param fill Value written into removed patches.
 * @returns A new buffer with the masked images; the caller destroys it.
 */
export function applyMaskGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly images: GPUBuffer; readonly mask: GPUBuffer },
  shape: ImageShape,
  fill = 0,
): GPUBuffer {
  patchGrid(shape); // validates
  const count = shape.batch * shape.height * shape.width * shape.channels;
  const out = createStorage(device, count * 4, "masked");
  const params = uniformBuffer(device, [
    ["u32", count],
    ["u32", shape.height],
    ["u32", shape.width],
    ["u32", shape.channels],
    ["u32", shape.patchSize],
    ["f32", fill],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.images, buffers.mask, out],
    workgroupCount(count, APPLY_MASK.workgroupSize),
  );
  params.destroy();
  return out;
}

/**
 * Fills the removed patches of NHWC images with `fill`.
 *
 * @param ctx Where to run.
 * @param images `[N, H, W, C]`.
 * @param mask `[N, L]`, 1 = remove.
 * @param options Patch size and fill value.
 * @returns The masked images.
 */
export function applyMaskOp(
  ctx: KernelContext,
  images: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: { readonly patchSize: number; readonly fill: number },
): tf.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  const shape: ImageShape = { batch, height, width, channels, patchSize: options.patchSize };
  if (ctx.mode === "cpu") {
    const out = applyMaskCpu(
      images.dataSync() as Float32Array,
      mask.dataSync() as Float32Array,
      shape,
      options.fill,
    );
    return tf.tensor4d(out, images.shape);
  }
  const i = tensorToBuffer(images);
  const m = tensorToBuffer(mask);
  const out = applyMaskGpu(
    ctx.device,
    ctx.kernels.applyMask,
    { images: i.buffer, mask: m.buffer },
    shape,
    options.fill,
  );
  i.release();
  m.release();
  return bufferToTensor<tf.Rank.R4>(out, images.shape);
}
