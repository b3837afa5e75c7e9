/**
 * Moves data between tfjs tensors and raw GPU buffers on the shared device,
 * without a CPU round trip when tfjs runs on the webgpu backend.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { uploadBuffer } from "./compute.ts";

/** A GPU buffer holding a tensor's values, and how to let it go. */
export interface TensorBuffer {
  readonly buffer: GPUBuffer;
  /** Releases the buffer (back to tfjs's pool). Call after the last use is submitted. */
  release(): void;
}

/**
 * Returns a GPU buffer with the values of `tensor` (tfjs webgpu backend only).
 * The copy is made on the GPU and submitted before this returns, so kernels
 * submitted afterwards see the values.
 *
 * @param tensor A float32 or int32 tensor on the webgpu backend.
 * @returns The buffer and its release function.
 */
export function tensorToBuffer(tensor: tf.Tensor): TensorBuffer {
  try {
    const data = tensor.dataToGPU();
    return { buffer: data.buffer as GPUBuffer, release: () => data.tensorRef.dispose() };
  } catch (error) {
    // The values still live on the CPU (a fresh tf.tensor): upload them ourselves.
    const device = (tf.backend() as unknown as { device?: GPUDevice }).device;
    if (!device || !String(error).includes("on CPU")) throw error;
    const values = tensor.dataSync();
    const buffer = uploadBuffer(
      device,
      values instanceof Float32Array || values instanceof Int32Array
        ? values
        : Float32Array.from(values as ArrayLike<number>),
      "tensor_upload",
    );
    return { buffer, release: () => buffer.destroy() };
  }
}

/**
 * Wraps a GPU buffer as a tensor (tfjs copies it on the GPU and submits the
 * copy at once), then destroys the buffer.
 *
 * @param buffer The source; needs STORAGE and COPY_SRC usage.
 * @param shape The tensor shape.
 * @param dtype `float32` or `int32`.
 * @returns A new tensor on the webgpu backend.
 */
export function bufferToTensor<R extends tf.Rank>(
  buffer: GPUBuffer,
  shape: tf.ShapeMap[R],
  dtype: "float32" | "int32" = "float32",
): tf.Tensor<R> {
  const tensor = tf.tensor({ buffer } as unknown as tf.TensorLike, shape, dtype) as tf.Tensor<R>;
  buffer.destroy();
  return tensor;
}
