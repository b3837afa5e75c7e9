/**
 * How many patches a masking step removes: the one count rule of medmim.
 *
 * At ratio r of L patches, MAE keeps `floor(L * (1 - r))` patches
 * (`len_keep = int(L * (1 - mask_ratio))`) and removes the rest, so the
 * removed count is `L - floor(L * (1 - r))`, i.e. `ceil(L * r)` for non-integer
 * `L * r`. AMLP writes n_m = L * sigma without a rounding rule; medmim uses
 * MAE's for both the fixed ratio and AMR's growing one.
 *
 * @module
 */

import type { Config } from "../config/pretrain_config.ts";
import { adaptiveMaskRatio } from "./amr.ts";

/**
 * Patches removed at a ratio: `L - floor(L * (1 - ratio))`.
 *
 * @param patches L.
 * @param ratio The masking ratio in [0, 1].
 * @returns An integer in [0, L].
 * @throws {RangeError} If the ratio is outside [0, 1] or L is not a non-negative integer.
 * @example
 * ```ts
 * import { removedPatchCount } from "./mask_count.ts";
 * if (removedPatchCount(64, 0.75) !== 48) throw new Error("48 of 64");
 * if (removedPatchCount(64, 0.3) !== 20) throw new Error("MAE keeps floor(64 * 0.7) = 44");
 * ```
 */
export function removedPatchCount(patches: number, ratio: number): number {
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`Cannot count masked patches: ratio ${ratio} is outside [0, 1]`);
  }
  if (!Number.isInteger(patches) || patches < 0) {
    throw new RangeError(`Cannot count masked patches: L ${patches} is not a non-negative integer`);
  }
  // the epsilon keeps e.g. 100 * 0.71 = 70.99999999999999 at 71
  return patches - Math.floor(patches * (1 - ratio) + 1e-9);
}

/**
 * Patches removed per sample in (0-based) `epoch`: at AMLP's adaptive ratio
 * `sigma0 + ln(epoch + 1) / tau` when `mask.amr.enabled`, else at `mask.maskRatio`.
 *
 * @param config The run config.
 * @param patches L.
 * @param epoch 0-based epoch.
 * @returns The count.
 */
export function removeCount(config: Config, patches: number, epoch: number): number {
  const { amr } = config.mask;
  const ratio = amr.enabled
    ? adaptiveMaskRatio(epoch + 1, { sigma0: amr.sigma0, tau: amr.tau, maxRatio: amr.maxRatio })
    : config.mask.maskRatio;
  return removedPatchCount(patches, ratio);
}
