/**
 * Loads every WGSL kernel medmim dispatches, once per device, so that the hot
 * loop can encode them synchronously (inside tfjs ops and `tf.tidy`).
 *
 * @module
 */

import { loadShader } from "./shader.ts";
import { RANDOM_SCORES } from "../masking/random_scores.ts";
import { RANK_MASK } from "../masking/rank_mask.ts";
import { APPLY_MASK } from "../masking/apply_mask.ts";
import { PATCH_LOSS, PATCH_LOSS_GRAD } from "../loss/patch_loss.ts";
import { PATCH_VECTORS } from "../masking/patch_vectors.ts";
import { SIMILARITY } from "../masking/similarity.ts";
import { KMEANS } from "../masking/kmeans.ts";
import { MPS_SCORES } from "../masking/mps.ts";
import { HPM_SCORES } from "../masking/hpm.ts";

const KERNELS = {
  randomScores: RANDOM_SCORES,
  rankMask: RANK_MASK,
  applyMask: APPLY_MASK,
  patchLoss: PATCH_LOSS,
  patchLossGrad: PATCH_LOSS_GRAD,
  patchVectors: PATCH_VECTORS,
  similarity: SIMILARITY,
  kmeans: KMEANS,
  mpsScores: MPS_SCORES,
  hpmScores: HPM_SCORES,
} as const;

/** The compiled pipelines, by kernel. */
export type Kernels = { readonly [K in keyof typeof KERNELS]: GPUComputePipeline };

const loaded = new WeakMap<GPUDevice, Promise<Kernels>>();

/**
 * Compiles all kernels on `device` (cached).
 *
 * @param device The device.
 * @returns The pipelines.
 * @throws {ShaderValidationError} If a shader does not compile.
 */
export function loadKernels(device: GPUDevice): Promise<Kernels> {
  let kernels = loaded.get(device);
  if (!kernels) {
    kernels = (async () => {
      const entries = await Promise.all(
        Object.entries(KERNELS).map(async ([key, spec]) =>
          [key, await loadShader(device, spec.name, { workgroupSize: spec.workgroupSize })] as const
        ),
      );
      return Object.fromEntries(entries) as unknown as Kernels;
    })();
    loaded.set(device, kernels);
  }
  return kernels;
}
