/**
 * Hard patches mining (HPM, Wang et al., CVPR 2023; SelfMedHPM): easy-to-hard
 * mask selection driven by a teacher's predicted per-patch loss.
 * `shaders/hpm_scores.wgsl` and its TS twin.
 *
 * At training progress t / T, alpha_t = alpha_0 * t / T (alpha_0 = 0.5) of the
 * count[n] removed patches are the ones with the highest predicted loss, and the
 * rest are drawn uniformly from the others: early training masks randomly
 * (easy), late training masks half hard patches. In rank_mask terms: rank the
 * predicted loss (rank_mask with `hard` as counts gives ranks, 0 = hardest),
 * score 1 + u for the `hard[n]` top ranks and u otherwise (u uniform in [0, 1),
 * PCG noise as `random_scores`), then rank_mask with `count` removes the hard
 * patches and `count - hard` random others.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { randomScoresCpu } from "./random_scores.ts";

/** Shader name and workgroup size of the kernel. */
export const HPM_SCORES = { name: "hpm_scores", workgroupSize: 64 } as const;

/**
 * The number of predicted-hardest patches among `count` removed ones:
 * `floor(alpha0 * progress * count)`.
 *
 * @param count Patches removed from the sample.
 * @param progress t / T in [0, 1] (epoch or step over the total).
 * @param alpha0 The final fraction (HPM: 0.5).
 * @returns The hard count, in [0, count].
 * @throws {RangeError} If progress or alpha0 is outside [0, 1].
 * @example
 * ```ts
 * import { hpmHardCount } from "./hpm.ts";
 * if (hpmHardCount(40, 1) !== 20) throw new Error("half at the end");
 * ```
 */
export function hpmHardCount(count: number, progress: number, alpha0 = 0.5): number {
  if (!(progress >= 0 && progress <= 1)) {
    throw new RangeError(`Cannot choose hard patches: progress ${progress} is outside [0, 1]`);
  }
  if (!(alpha0 >= 0 && alpha0 <= 1)) {
    throw new RangeError(`Cannot choose hard patches: alpha0 ${alpha0} is outside [0, 1]`);
  }
  // the epsilon keeps e.g. 0.5 * 0.6 * 10 = 2.9999999999999996 at 3
  return Math.min(count, Math.floor(alpha0 * progress * count + 1e-9));
}

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
 * import { hpmScoresCpu } from "./hpm.ts";
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
