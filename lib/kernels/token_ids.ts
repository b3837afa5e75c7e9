/**
 * The token order of a masked batch, MAE's `ids_keep` and `ids_restore`:
 * `shaders/token_ids.wgsl`, its TS twin, and the tfjs-level op.
 *
 * Kept tokens come first, then the removed ones, each group in patch order;
 * `idsRestore[n, l]` is token l's position in that order and `idsKeep[n, :]`
 * lists the K kept tokens (the first K of the order). Any mask works, so every
 * strategy (random, MPS, MPS-AMS, HPM, with AMR's count) masks tokens.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import type { KernelContext } from "./kernel_context.ts";

/** Shader name and workgroup size of the kernel. */
export const TOKEN_IDS = { name: "token_ids", workgroupSize: 64 } as const;

/** MAE's token indices of a batch. */
export interface TokenIds<T> {
  /** `[N, K]` the kept tokens, in the order the encoder sees them. */
  readonly idsKeep: T;
  /** `[N, L]` position of every token in the kept-then-removed order. */
  readonly idsRestore: T;
}

/**
 * TS twin of `token_ids.wgsl`.
 *
 * @param mask `[N, L]`, 1 = remove.
 * @param shape `batch` N, `patches` L and `keep` K, the tokens every sample keeps.
 * @returns `idsKeep` `[N, K]` and `idsRestore` `[N, L]`.
 * @throws {RangeError} If a sample does not keep exactly K tokens or the sizes disagree.
 * @example
 * ```ts
 * import { tokenIdsCpu } from "./token_ids.ts";
 * const { idsKeep, idsRestore } = tokenIdsCpu(new Float32Array([1, 0, 1, 0]),
 *   { batch: 1, patches: 4, keep: 2 });
 * if (idsKeep.join() !== "1,3" || idsRestore.join() !== "2,0,3,1") throw new Error("order");
 * ```
 */
export function tokenIdsCpu(
  mask: Float32Array,
  shape: { readonly batch: number; readonly patches: number; readonly keep: number },
): TokenIds<Uint32Array> {
  const { batch, patches, keep } = shape;
  if (mask.length !== batch * patches) {
    throw new RangeError(
      `Cannot order tokens: mask has ${mask.length} values, expected N * L = ${batch} * ${patches}`,
    );
  }
  const idsKeep = new Uint32Array(batch * keep);
  const idsRestore = new Uint32Array(batch * patches);
  for (let n = 0; n < batch; n++) {
    let kept = 0;
    let removed = 0;
    for (let l = 0; l < patches; l++) {
      const i = n * patches + l;
      if ((mask[i] as number) < 0.5) {
        if (kept < keep) idsKeep[n * keep + kept] = l;
        idsRestore[i] = kept++;
      } else {
        idsRestore[i] = keep + removed++;
      }
    }
    if (kept !== keep) {
      throw new RangeError(
        `Cannot order tokens: sample ${n} keeps ${kept} tokens, expected ${keep} in every sample`,
      );
    }
  }
  return { idsKeep, idsRestore };
}

/**
 * Runs `token_ids.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `token_ids`.
 * @param mask `[N, L]` f32 mask buffer, 1 = remove.
 * @param shape `batch` N, `patches` L and `keep` K.
 * @returns New `idsKeep` `[N, K]` and `idsRestore` `[N, L]` u32 buffers; the caller destroys them.
 */
export function tokenIdsGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  mask: GPUBuffer,
  shape: { readonly batch: number; readonly patches: number; readonly keep: number },
): TokenIds<GPUBuffer> {
  const { batch, patches, keep } = shape;
  const idsKeep = createStorage(device, batch * keep * 4, "ids_keep");
  const idsRestore = createStorage(device, batch * patches * 4, "ids_restore");
  const params = uniformBuffer(device, [["u32", batch], ["u32", patches], ["u32", keep]]);
  dispatch(
    device,
    pipeline,
    [params, mask, idsKeep, idsRestore],
    workgroupCount(batch * patches, TOKEN_IDS.workgroupSize),
  );
  params.destroy();
  return { idsKeep, idsRestore };
}

/**
 * MAE's `ids_keep` and `ids_restore` of a mask, as int32 tensors.
 *
 * @param ctx Where to run.
 * @param mask `[N, L]`, 1 = remove; every sample removes the same count.
 * @param keep K, the tokens every sample keeps.
 * @returns `idsKeep` `[N, K]` and `idsRestore` `[N, L]` (int32).
 * @throws {RangeError} If K is outside [1, L] (or, on the CPU, a sample keeps another count).
 */
export function tokenIdsOp(
  ctx: KernelContext,
  mask: tf.Tensor2D,
  keep: number,
): TokenIds<tf.Tensor2D> {
  const [batch, patches] = mask.shape;
  if (!Number.isInteger(keep) || keep < 1 || keep > patches) {
    throw new RangeError(`Cannot order tokens: keep ${keep} is outside [1, ${patches}]`);
  }
  const shape = { batch, patches, keep };
  if (ctx.mode === "cpu") {
    const out = tokenIdsCpu(mask.dataSync() as Float32Array, shape);
    return {
      idsKeep: tf.tensor2d(Int32Array.from(out.idsKeep), [batch, keep], "int32"),
      idsRestore: tf.tensor2d(Int32Array.from(out.idsRestore), [batch, patches], "int32"),
    };
  }
  const m = tensorToBuffer(mask);
  const out = tokenIdsGpu(ctx.device, ctx.kernels.tokenIds, m.buffer, shape);
  m.release();
  return {
    idsKeep: bufferToTensor<tf.Rank.R2>(out.idsKeep, [batch, keep], "int32"),
    idsRestore: bufferToTensor<tf.Rank.R2>(out.idsRestore, [batch, patches], "int32"),
  };
}
