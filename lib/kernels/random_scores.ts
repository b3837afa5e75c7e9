/**
 * Uniform per-patch noise from a counter-based hash: the GPU kernel
 * `shaders/random_scores.wgsl` and its TS twin give the same bits.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "./kernel_context.ts";
import { bufferToTensor } from "../gpu/tf_bridge.ts";

/** Shader name and workgroup size of the kernel. */
export const RANDOM_SCORES = { name: "random_scores", workgroupSize: 64 } as const;

/** PCG hash (Jarzynski and Olano, JCGT 2020), as in the shader. */
export function pcgHash(v: number): number {
  const state = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/**
 * TS twin of `random_scores.wgsl`.
 *
 * @param count Number of scores (N * L).
 * @param seed A 32-bit seed; use a new one every step.
 * @returns `[count]` uniform values in [0, 1).
 * @example
 * ```ts
 * import { randomScoresCpu } from "./random_scores.ts";
 * const s = randomScoresCpu(4, 1);
 * if (s.some((v) => v < 0 || v >= 1)) throw new Error("out of range");
 * ```
 */
export function randomScoresCpu(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const h = pcgHash((seed ^ pcgHash(i)) >>> 0);
    out[i] = (h >>> 8) / 16777216;
  }
  return out;
}

/**
 * Runs `random_scores.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline from `loadShader(device, "random_scores", ...)`.
 * @param count Number of scores.
 * @param seed A 32-bit seed.
 * @returns A storage buffer of `count` f32; the caller destroys it.
 */
export function randomScoresGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  count: number,
  seed: number,
): GPUBuffer {
  const scores = createStorage(device, count * 4, "scores");
  const params = uniformBuffer(device, [["u32", count], ["u32", seed >>> 0]]);
  dispatch(device, pipeline, [params, scores], workgroupCount(count, RANDOM_SCORES.workgroupSize));
  params.destroy();
  return scores;
}

/**
 * Random patch scores (MAE's noise), `[N, L]`.
 *
 * @param ctx Where to run.
 * @param shape `batch` N and `patches` L.
 * @param seed A 32-bit seed, new for every step.
 * @returns Scores in [0, 1).
 */
export function randomScoresOp(
  ctx: KernelContext,
  shape: { readonly batch: number; readonly patches: number },
  seed: number,
): tf.Tensor2D {
  const count = shape.batch * shape.patches;
  if (ctx.mode === "cpu") {
    return tf.tensor2d(randomScoresCpu(count, seed), [shape.batch, shape.patches]);
  }
  const buffer = randomScoresGpu(ctx.device, ctx.kernels.randomScores, count, seed);
  return bufferToTensor<tf.Rank.R2>(buffer, [shape.batch, shape.patches]);
}
