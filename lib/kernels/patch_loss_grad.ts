/**
 * The gradient of the per-patch reconstruction error with respect to the
 * prediction: `shaders/patch_loss_grad.wgsl` and its TS twin. It reads the
 * per-patch target statistics that `patch_loss` wrote (see
 * `lib/kernels/patch_loss.ts` for the definition of the error); the target
 * gets no gradient.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

/** Shader name and workgroup size of the kernel. */
export const PATCH_LOSS_GRAD = { name: "patch_loss_grad", workgroupSize: 64 } as const;

/**
 * TS twin of `patch_loss_grad.wgsl`: `d(sum_l dy[n,l] * loss[n,l]) / d pred`.
 *
 * @param pred `[N, H, W, C]`.
 * @param target `[N, H, W, C]`.
 * @param stats `[N, L, 2]` from {@linkcode patchLossCpu}.
 * @param dy `[N, L]` upstream gradient.
 * @param shape Shape and patch size.
 * @param power 1 or 2.
 * @returns `[N, H, W, C]` gradient.
 */
export function patchLossGradCpu(
  pred: Float32Array,
  target: Float32Array,
  stats: Float32Array,
  dy: Float32Array,
  shape: ImageShape & { readonly power: 1 | 2 },
): Float32Array {
  const { gw, patches } = patchGrid(shape);
  const { height, width, channels, patchSize: p, power } = shape;
  const size = p * p * channels;
  const grad = new Float32Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const pixel = Math.floor(i / channels);
    const x = pixel % width;
    const y = Math.floor(pixel / width) % height;
    const n = Math.floor(pixel / (width * height));
    const l = n * patches + Math.floor(y / p) * gw + Math.floor(x / p);
    const d = (pred[i] as number) -
      ((target[i] as number) - (stats[2 * l] as number)) * (stats[2 * l + 1] as number);
    const slope = power === 1 ? Math.sign(d) : 2 * d;
    grad[i] = (dy[l] as number) * slope / size;
  }
  return grad;
}

/**
 * Runs `patch_loss_grad.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `patch_loss_grad`.
 * @param buffers `pred`, `target`, `stats` (from {@linkcode patchLossGpu}) and `dy` `[N, L]`.
 * @param shape Shape, patch size and power.
 * @returns A new `[N, H, W, C]` gradient buffer; the caller destroys it.
 */
export function patchLossGradGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: {
    readonly pred: GPUBuffer;
    readonly target: GPUBuffer;
    readonly stats: GPUBuffer;
    readonly dy: GPUBuffer;
  },
  shape: ImageShape & { readonly power: 1 | 2 },
): GPUBuffer {
  patchGrid(shape);
  const count = shape.batch * shape.height * shape.width * shape.channels;
  const grad = createStorage(device, count * 4, "patch_loss_grad");
  const params = uniformBuffer(device, [
    ["u32", count],
    ["u32", shape.height],
    ["u32", shape.width],
    ["u32", shape.channels],
    ["u32", shape.patchSize],
    ["u32", shape.power],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.pred, buffers.target, buffers.stats, buffers.dy, grad],
    workgroupCount(count, PATCH_LOSS_GRAD.workgroupSize),
  );
  params.destroy();
  return grad;
}
