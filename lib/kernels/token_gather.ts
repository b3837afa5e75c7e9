/**
 * Moving tokens of a ViT masked autoencoder: `shaders/token_gather.wgsl`, its
 * TS twin, and the two differentiable tfjs ops built on it.
 *
 * - {@linkcode keepTokensOp}: `x[:, idsKeep]`, `[N, L, D] -> [N, K, D]`, the
 *   encoder's visible tokens (MAE's `torch.gather(x, 1, ids_keep)`).
 * - {@linkcode restoreTokensOp}: `y[:, idsRestore]`, `[N, K, D] -> [N, L, D]`,
 *   tokens back on the patch grid with zeros where mask tokens go (MAE's
 *   unshuffle, whose mask tokens the caller adds).
 *
 * `idsKeep` and `idsRestore` are inverse permutations (`lib/kernels/token_ids.ts`),
 * so each op's gradient is the other: one gather kernel does all four moves.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createStorage, dispatch, uniformBuffer } from "../gpu/compute.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import type { KernelContext } from "./kernel_context.ts";
import { flatGrid } from "./_flat_grid.ts";
import type { TokenIds } from "./token_ids.ts";

/** Shader name and workgroup size of the kernel. */
export const TOKEN_GATHER = { name: "token_gather", workgroupSize: 64 } as const;

/** Sizes of one gather: N samples of R source rows, J output rows, D values per row. */
export interface GatherShape {
  readonly batch: number;
  readonly rows: number;
  readonly count: number;
  readonly dim: number;
}

/**
 * TS twin of `token_gather.wgsl`: `out[n, j, :] = src[n, ids[n, j], :]`, or 0
 * when `ids[n, j] >= R`.
 *
 * @param src `[N, R, D]`.
 * @param ids `[N, J]`.
 * @param shape N, R, J and D.
 * @returns `[N, J, D]`.
 * @throws {RangeError} If the lengths disagree with the shape.
 * @example
 * ```ts
 * import { tokenGatherCpu } from "./token_gather.ts";
 * const out = tokenGatherCpu(new Float32Array([1, 2, 3]), new Uint32Array([2, 0, 9]),
 *   { batch: 1, rows: 3, count: 3, dim: 1 });
 * if (out.join() !== "3,1,0") throw new Error("gather");
 * ```
 */
export function tokenGatherCpu(
  src: Float32Array,
  ids: Uint32Array | Int32Array,
  shape: GatherShape,
): Float32Array {
  const { batch, rows, count, dim } = shape;
  if (src.length !== batch * rows * dim || ids.length !== batch * count) {
    throw new RangeError(
      `Cannot gather tokens: src has ${src.length} values and ids ${ids.length}, expected ` +
        `N * R * D = ${batch} * ${rows} * ${dim} and N * J = ${batch} * ${count}`,
    );
  }
  const out = new Float32Array(batch * count * dim);
  for (let row = 0; row < batch * count; row++) {
    const id = ids[row] as number;
    if (id < 0 || id >= rows) continue;
    const from = (Math.floor(row / count) * rows + id) * dim;
    out.set(src.subarray(from, from + dim), row * dim);
  }
  return out;
}

/**
 * Runs `token_gather.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `token_gather`.
 * @param buffers `src` `[N, R, D]` f32 and `ids` `[N, J]` u32.
 * @param shape N, R, J and D.
 * @returns A new `[N, J, D]` f32 buffer; the caller destroys it.
 */
export function tokenGatherGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly src: GPUBuffer; readonly ids: GPUBuffer },
  shape: GatherShape,
): GPUBuffer {
  const total = shape.batch * shape.count * shape.dim;
  const out = createStorage(device, total * 4, "token_gather");
  const params = uniformBuffer(device, [
    ["u32", shape.batch],
    ["u32", shape.rows],
    ["u32", shape.count],
    ["u32", shape.dim],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.src, buffers.ids, out],
    flatGrid(total, TOKEN_GATHER.workgroupSize),
  );
  params.destroy();
  return out;
}

/**
 * `src[:, ids]` on the device or through the twin (no gradient).
 *
 * @param ctx Where to run.
 * @param src `[N, R, D]`.
 * @param ids `[N, J]` int32; entries >= R give zero rows.
 * @returns `[N, J, D]`.
 * @throws {RangeError} If the batch sizes differ.
 */
export function tokenGatherOp(ctx: KernelContext, src: tf.Tensor3D, ids: tf.Tensor2D): tf.Tensor3D {
  const [batch, rows, dim] = src.shape;
  const [idBatch, count] = ids.shape;
  if (idBatch !== batch) {
    throw new RangeError(`Cannot gather tokens: ids are for ${idBatch} samples, src has ${batch}`);
  }
  const shape = { batch, rows, count, dim };
  if (ctx.mode === "cpu") {
    const out = tokenGatherCpu(
      src.dataSync() as Float32Array,
      ids.dataSync() as Int32Array,
      shape,
    );
    return tf.tensor3d(out, [batch, count, dim]);
  }
  const s = tensorToBuffer(src);
  const i = tensorToBuffer(ids); // int32 ids are non-negative: the same bits as u32
  const out = tokenGatherGpu(
    ctx.device,
    ctx.kernels.tokenGather,
    { src: s.buffer, ids: i.buffer },
    shape,
  );
  s.release();
  i.release();
  return bufferToTensor<tf.Rank.R3>(out, [batch, count, dim]);
}

/**
 * The visible tokens, `x[:, idsKeep]` (differentiable in `x`).
 *
 * @param ctx Where to run.
 * @param x `[N, L, D]` all tokens in patch order.
 * @param ids From `tokenIdsOp`.
 * @returns `[N, K, D]`.
 */
export function keepTokensOp(
  ctx: KernelContext,
  x: tf.Tensor3D,
  ids: TokenIds<tf.Tensor2D>,
): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [v, save] = args as [tf.Tensor3D, tf.GradSaveFunc];
    save([ids.idsRestore]); // kept for the backward pass even when created inside the gradient scope
    return {
      value: tokenGatherOp(ctx, v, ids.idsKeep),
      gradFunc: (dy, saved) => tokenGatherOp(ctx, dy as tf.Tensor3D, saved[0] as tf.Tensor2D),
    };
  });
  return op(x) as tf.Tensor3D;
}

/**
 * Tokens back on the patch grid, `y[:, idsRestore]`, zero at removed tokens
 * (differentiable in `y`).
 *
 * @param ctx Where to run.
 * @param y `[N, K, D]` the kept tokens in `idsKeep` order.
 * @param ids From `tokenIdsOp`.
 * @returns `[N, L, D]`.
 */
export function restoreTokensOp(
  ctx: KernelContext,
  y: tf.Tensor3D,
  ids: TokenIds<tf.Tensor2D>,
): tf.Tensor3D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [v, save] = args as [tf.Tensor3D, tf.GradSaveFunc];
    save([ids.idsKeep]); // kept for the backward pass even when created inside the gradient scope
    return {
      value: tokenGatherOp(ctx, v, ids.idsRestore),
      gradFunc: (dy, saved) => tokenGatherOp(ctx, dy as tf.Tensor3D, saved[0] as tf.Tensor2D),
    };
  });
  return op(y) as tf.Tensor3D;
}
