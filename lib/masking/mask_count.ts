/**
 * How many patches the masking step removes in an epoch, as the config says
 * (the arithmetic is `lib/mask_ratio.ts`).
 *
 * @module
 */

import type { Config } from "../config/pretrain_config.ts";
import { adaptiveMaskRatio, amrTau, removedPatchCount } from "../mask_ratio.ts";

/**
 * Patches removed per sample in (0-based) `epoch`: at AMLP's adaptive ratio
 * `sigma0 + ln(epoch + 1) / tau` when `mask.amr.enabled` (with
 * `tau = ln(epochs) / (finalRatio - sigma0)` when `mask.amr.finalRatio` is
 * set, so the last epoch masks exactly finalRatio), else at `mask.maskRatio`.
 *
 * @param config The run config.
 * @param patches L.
 * @param epoch 0-based epoch.
 * @returns The count.
 */
export function removeCount(config: Config, patches: number, epoch: number): number {
  const { amr } = config.mask;
  const ratio = amr.enabled
    ? adaptiveMaskRatio(epoch + 1, {
      sigma0: amr.sigma0,
      tau: amrTau(amr, config.train.epochs),
      maxRatio: amr.maxRatio,
    })
    : config.mask.maskRatio;
  return removedPatchCount(patches, ratio);
}
