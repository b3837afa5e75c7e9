/**
 * The gradient of the per-token reconstruction error (`token_loss.ts`) with
 * respect to the decoder output: `shaders/token_loss_grad.wgsl` and its TS twin.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";
import { flatGrid } from "./_flat_grid.ts";
import { tokenPixel } from "./token_loss.ts";

/** Shader name and workgroup size of the kernel. */
export const TOKEN_LOSS_GRAD = { name: "token_loss_grad", workgroupSize: 64 } as const;

/**
 * TS twin of `token_loss_grad.wgsl`: `d(sum_l dy[n, l] * loss[n, l]) / d pred`.
 *
 * @param pred `[N, L, P*P*C]`.
 * @param target `[N, H, W, C]`.
 * @param stats `[N, L, 2]` from `tokenLossCpu`.
 * @param dy `[N, L]` upstream gradient.
 * @param shape The image shape, patch size and power.
 * @returns `[N, L, P*P*C]` gradient.
 * @example
 * ```ts
 * import { tokenLossGradCpu } from "./token_loss_grad.ts";
 * const g = tokenLossGradCpu(new Float32Array([3]), new Float32Array([1]), new Float32Array([0, 1]),
 *   new Float32Array([1]), { batch: 1, height: 1, width: 1, channels: 1, patchSize: 1, power: 2 });
 * if (g[0] !== 4) throw new Error("2 * (3 - 1)");
 * ```
 */
export function tokenLossGradCpu(
  pred: Float32Array,
  target: Float32Array,
  stats: Float32Array,
  dy: Float32Array,
  shape: ImageShape & { readonly power: 1 | 2 },
): Float32Array {
  const { patches } = patchGrid(shape);
  const size = shape.patchSize * shape.patchSize * shape.channels;
  if (pred.length !== shape.batch * patches * size) {
    throw new RangeError(
      `Cannot compute token loss gradient: pred has ${pred.length} values, expected ${
        shape.batch * patches * size
      }`,
    );
  }
  const grad = new Float32Array(pred.length);
  for (let i = 0; i < pred.length; i++) {
    const token = Math.floor(i / size);
    const t = target[tokenPixel(shape, Math.floor(token / patches), token % patches, i % size)];
    const d = (pred[i] as number) -
      ((t as number) - (stats[2 * token] as number)) * (stats[2 * token + 1] as number);
    const slope = shape.power === 1 ? Math.sign(d) : 2 * d;
    grad[i] = (dy[token] as number) * slope / size;
  }
  return grad;
}

/**
 * Runs `token_loss_grad.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `token_loss_grad`.
 * @param buffers `pred`, `target`, `stats` (from `tokenLossGpu`) and `dy` `[N, L]`.
 * @param shape The image shape, patch size and power.
 * @returns A new `[N, L, P*P*C]` gradient buffer; the caller destroys it.
 */
export function tokenLossGradGpu(
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
  const { patches } = patchGrid(shape);
  const count = shape.batch * patches * shape.patchSize * shape.patchSize * shape.channels;
  const grad = createStorage(device, count * 4, "token_loss_grad");
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
    flatGrid(count, TOKEN_LOSS_GRAD.workgroupSize),
  );
  params.destroy();
  return grad;
}
