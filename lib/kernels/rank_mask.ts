/**
 * Turns per-patch scores into a binary mask that removes the top-scored
 * patches of every sample: `shaders/rank_mask.wgsl` and its TS twin. Random
 * masking, MPS and hard patches mining all end here.
 *
 * @module
 */

import {
  createStorage,
  dispatch,
  uniformBuffer,
  uploadBuffer,
  workgroupCount,
} from "../gpu/compute.ts";
import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";

/** Shader name and workgroup size of the kernel. */
export const RANK_MASK = { name: "rank_mask", workgroupSize: 64 } as const;

/** A mask and the order that produced it. */
export interface RankedMask<T> {
  /** `[N, L]`, 0 is keep, 1 is remove. */
  readonly mask: T;
  /** `[N, L]`, 0-based position of each patch in descending score order. */
  readonly ranks: T;
}

/**
 * TS twin of `rank_mask.wgsl`: removes the `counts[n]` highest-scored patches of
 * sample n (ties go to the lower patch index).
 *
 * @param scores `[N, L]` scores.
 * @param counts `[N]` number of patches to remove per sample.
 * @param patches L.
 * @returns The mask (f32) and ranks (u32).
 * @throws {RangeError} If the sizes disagree.
 * @example
 * ```ts
 * import { rankMaskCpu } from "./rank_mask.ts";
 * const { mask } = rankMaskCpu(new Float32Array([0.1, 0.9, 0.5]), new Uint32Array([1]), 3);
 * if (mask.join() !== "0,1,0") throw new Error("wrong mask");
 * ```
 */
export function rankMaskCpu(
  scores: Float32Array,
  counts: Uint32Array,
  patches: number,
): { mask: Float32Array; ranks: Uint32Array } {
  const batch = counts.length;
  if (scores.length !== batch * patches) {
    throw new RangeError(
      `Cannot rank patches: scores has ${scores.length} values, expected N * L = ${batch} * ${patches}`,
    );
  }
  const mask = new Float32Array(batch * patches);
  const ranks = new Uint32Array(batch * patches);
  for (let n = 0; n < batch; n++) {
    const base = n * patches;
    for (let l = 0; l < patches; l++) {
      const own = scores[base + l] as number;
      let rank = 0;
      for (let j = 0; j < patches; j++) {
        const other = scores[base + j] as number;
        if (other > own || (other === own && j < l)) rank++;
      }
      ranks[base + l] = rank;
      mask[base + l] = rank < (counts[n] as number) ? 1 : 0;
    }
  }
  return { mask, ranks };
}

/**
 * Runs `rank_mask.wgsl` on buffers already on the device.
 *
 * @param device The device.
 * @param pipeline The pipeline from `loadShader(device, "rank_mask", ...)`.
 * @param buffers `scores` `[N, L]` f32 and `counts` `[N]` u32.
 * @param shape `batch` N and `patches` L.
 * @returns New `mask` (f32) and `ranks` (u32) buffers; the caller destroys them.
 */
export function rankMaskGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly scores: GPUBuffer; readonly counts: GPUBuffer },
  shape: { readonly batch: number; readonly patches: number },
): RankedMask<GPUBuffer> {
  const count = shape.batch * shape.patches;
  const mask = createStorage(device, count * 4, "mask");
  const ranks = createStorage(device, count * 4, "ranks");
  const params = uniformBuffer(device, [["u32", shape.batch], ["u32", shape.patches]]);
  dispatch(
    device,
    pipeline,
    [params, buffers.scores, buffers.counts, mask, ranks],
    workgroupCount(count, RANK_MASK.workgroupSize),
  );
  params.destroy();
  return { mask, ranks };
}

/**
 * Removes the `counts[n]` highest-scored patches of every sample.
 *
 * @param ctx Where to run.
 * @param scores `[N, L]` scores.
 * @param counts `[N]` patches to remove per sample.
 * @returns `mask` `[N, L]` (1 = remove) and `ranks` `[N, L]` int32.
 */
export function rankMaskOp(
  ctx: KernelContext,
  scores: tf.Tensor2D,
  counts: Uint32Array,
): { mask: tf.Tensor2D; ranks: tf.Tensor2D } {
  const [batch, patches] = scores.shape;
  if (counts.length !== batch) {
    throw new RangeError(`Cannot rank patches: ${counts.length} counts for a batch of ${batch}`);
  }
  if (ctx.mode === "cpu") {
    const out = rankMaskCpu(scores.dataSync() as Float32Array, counts, patches);
    return {
      mask: tf.tensor2d(out.mask, [batch, patches]),
      ranks: tf.tensor2d(Int32Array.from(out.ranks), [batch, patches], "int32"),
    };
  }
  const s = tensorToBuffer(scores);
  const c = uploadBuffer(ctx.device, counts, "counts");
  const out = rankMaskGpu(ctx.device, ctx.kernels.rankMask, { scores: s.buffer, counts: c }, {
    batch,
    patches,
  });
  s.release();
  c.destroy();
  return {
    mask: bufferToTensor<tf.Rank.R2>(out.mask, [batch, patches]),
    ranks: bufferToTensor<tf.Rank.R2>(out.ranks, [batch, patches], "int32"),
  };
}
