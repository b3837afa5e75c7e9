/**
 * The table of the kernels medmim's masking and loss steps dispatch, and the
 * kernel context: every pipeline compiled once per device, so that the hot
 * loop can encode them synchronously (inside tfjs ops and `tf.tidy`).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { getGpu } from "../gpu/device.ts";
import { loadShader } from "../gpu/shader.ts";
import type { KernelContext, KernelName, Kernels } from "./kernel_context.ts";
import { RANDOM_SCORES } from "./random_scores.ts";
import { RANK_MASK } from "./rank_mask.ts";
import { APPLY_MASK } from "./apply_mask.ts";
import { PATCH_LOSS } from "./patch_loss.ts";
import { PATCH_LOSS_GRAD } from "./patch_loss_grad.ts";
import { PATCH_VECTORS } from "./patch_vectors.ts";
import { SIMILARITY } from "./similarity.ts";
import { KMEANS } from "./kmeans.ts";
import { MPS_SCORES } from "./mps_scores.ts";
import { HPM_SCORES } from "./hpm_scores.ts";
import { TOKEN_IDS } from "./token_ids.ts";
import { TOKEN_GATHER } from "./token_gather.ts";
import { TOKEN_LOSS } from "./token_loss.ts";
import { TOKEN_LOSS_GRAD } from "./token_loss_grad.ts";
import { AUGMENT_VIEWS } from "./augment_views.ts";

const KERNELS: { readonly [K in KernelName]: { name: string; workgroupSize: number } } = {
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
  tokenIds: TOKEN_IDS,
  tokenGather: TOKEN_GATHER,
  tokenLoss: TOKEN_LOSS,
  tokenLossGrad: TOKEN_LOSS_GRAD,
  augmentViews: AUGMENT_VIEWS,
};

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

/**
 * Chooses the kernel context matching tfjs's active backend.
 *
 * @param prefer `auto` follows tfjs (webgpu -> gpu, else cpu); `gpu`/`cpu` force it.
 * @returns The context, with all pipelines compiled when on the GPU.
 * @throws {RangeError} If `gpu` is forced while tfjs is not on webgpu.
 */
export async function createKernelContext(
  prefer: "auto" | "gpu" | "cpu" = "auto",
): Promise<KernelContext> {
  const onWebGpu = tf.getBackend() === "webgpu";
  if (prefer === "gpu" && !onWebGpu) {
    throw new RangeError(
      `Cannot run kernels on the GPU: tfjs runs on "${tf.getBackend()}", not "webgpu"`,
    );
  }
  if (prefer === "cpu" || !onWebGpu) return { mode: "cpu" };
  const { device } = await getGpu();
  return { mode: "gpu", device, kernels: await loadKernels(device) };
}
