/**
 * Hard patches mining's mask scores: `shaders/hpm_scores.wgsl` and its TS
 * twin. Given the ranks of a teacher's predicted per-patch loss (0 = hardest)
 * and a hard count h per sample, the score is 1 + u for the h top-ranked
 * patches and u otherwise (u uniform in [0, 1), PCG noise as `random_scores`),
 * so that rank_mask with `count` removes the h hard patches and `count - h`
 * random others. The masking step that uses it is `lib/masking/hpm.ts`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import {
  createStorage,
  dispatch,
  uniformBuffer,
  uploadBuffer,
  workgroupCount,
} from "../gpu/compute.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import type { KernelContext } from "./kernel_context.ts";
import { randomScoresCpu } from "./random_scores.ts";

/** Shader name and workgroup size of the kernel. */
export const HPM_SCORES = { name: "hpm_scores", workgroupSize: 64 } as const;

/**
 * TS twin of `hpm_scores.wgsl`.
 *
 * @param ranks `[N, L]` ranks of the teacher's predicted loss (0 = highest), e.g.
 *   `rankMaskCpu(predicted, hard, L).ranks`.
 * @param hard `[N]` hard patches per sample (see {@linkcode hpmHardCount}).
 * @param options `patches` L and the noise `seed`.
 * @returns `[N, L]` scores for rank_mask.
 * @throws {RangeError} If the sizes disagree.
 * @example
 * ```ts
 * import { hpmScoresCpu } from "./hpm_scores.ts";
 * const s = hpmScoresCpu(new Uint32Array([2, 0, 1]), new Uint32Array([1]), { patches: 3, seed: 1 });
 * if (!(s[1]! >= 1 && s[0]! < 1 && s[2]! < 1)) throw new Error("rank 0 is hard");
 * ```
 */
export function hpmScoresCpu(
  ranks: Uint32Array,
  hard: Uint32Array,
  options: { readonly patches: number; readonly seed: number },
): Float32Array {
  const { patches, seed } = options;
  if (ranks.length !== hard.length * patches) {
    throw new RangeError(
      `Cannot score hard patches: ranks has ${ranks.length} values, expected N * L = ${hard.length} * ${patches}`,
    );
  }
  const noise = randomScoresCpu(ranks.length, seed);
  return noise.map((u, i) =>
    (ranks[i] as number) < (hard[Math.floor(i / patches)] as number) ? Math.fround(1 + u) : u
  );
}

/**
 * Runs `hpm_scores.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `hpm_scores`.
 * @param buffers `ranks` `[N, L]` u32 (of the predicted loss) and `hard` `[N]` u32.
 * @param shape `batch` N, `patches` L and the noise `seed`.
 * @returns A new `[N, L]` f32 score buffer; the caller destroys it.
 */
export function hpmScoresGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly ranks: GPUBuffer; readonly hard: GPUBuffer },
  shape: { readonly batch: number; readonly patches: number; readonly seed: number },
): GPUBuffer {
  const count = shape.batch * shape.patches;
  const scores = createStorage(device, count * 4, "hpm_scores");
  const params = uniformBuffer(device, [
    ["u32", shape.batch],
    ["u32", shape.patches],
    ["u32", shape.seed >>> 0],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.ranks, buffers.hard, scores],
    workgroupCount(count, HPM_SCORES.workgroupSize),
  );
  params.destroy();
  return scores;
}

/**
 * The HPM scores as a tfjs-level op, on the shared device or through the TS twin.
 *
 * @param ctx Where to run.
 * @param ranks `[N, L]` int32 ranks of the predicted loss (0 = hardest).
 * @param hard `[N]` hard patches per sample.
 * @param seed A 32-bit noise seed.
 * @returns `[N, L]` scores for rank_mask.
 */
export function hpmScoresOp(
  ctx: KernelContext,
  ranks: tf.Tensor2D,
  hard: Uint32Array,
  seed: number,
): tf.Tensor2D {
  const [batch, patches] = ranks.shape;
  if (ctx.mode === "cpu") {
    const r = Uint32Array.from(ranks.dataSync() as Int32Array);
    return tf.tensor2d(hpmScoresCpu(r, hard, { patches, seed }), [batch, patches]);
  }
  const r = tensorToBuffer(ranks); // int32 ranks are non-negative: the same bits as u32
  const h = uploadBuffer(ctx.device, hard, "hard");
  const scores = hpmScoresGpu(ctx.device, ctx.kernels.hpmScores, { ranks: r.buffer, hard: h }, {
    batch,
    patches,
    seed,
  });
  r.release();
  h.destroy();
  return bufferToTensor<tf.Rank.R2>(scores, [batch, patches]);
}
