/**
 * How many patches a masking step removes: the one count rule of medmim.
 *
 * At ratio r of L patches, `floor(L * r)` patches are removed: AMLP's
 * Algorithm 1, line 5, `n_m = floor(N * sigma)`, for both the fixed ratio and
 * AMR's growing one. MAE keeps `int(L * (1 - r))` instead, which removes
 * `ceil(L * r)`; the two agree whenever `L * r` is an integer (0.75 of 196 or
 * 256, 0.5 of 64), and medmim uses one rule.
 *
 * @module
 */

import type { Config } from "../config/pretrain_config.ts";
import { adaptiveMaskRatio } from "./amr.ts";

/**
 * Patches removed at a ratio: `floor(L * ratio)`.
 *
 * @param patches L.
 * @param ratio The masking ratio in [0, 1].
 * @returns An integer in [0, L].
 * @throws {RangeError} If the ratio is outside [0, 1] or L is not a non-negative integer.
 * @example
 * ```ts
 * import { removedPatchCount } from "./mask_count.ts";
 * if (removedPatchCount(64, 0.75) !== 48) throw new Error("48 of 64");
 * if (removedPatchCount(64, 0.3) !== 19) throw new Error("floor(19.2)");
 * ```
 */
export function removedPatchCount(patches: number, ratio: number): number {
  if (!(ratio >= 0 && ratio <= 1)) {
    throw new RangeError(`Cannot count masked patches: ratio ${ratio} is outside [0, 1]`);
  }
  if (!Number.isInteger(patches) || patches < 0) {
    throw new RangeError(`Cannot count masked patches: L ${patches} is not a non-negative integer`);
  }
  // the epsilon keeps e.g. 100 * 0.29 = 28.999999999999996 at 29
  return Math.floor(patches * ratio + 1e-9);
}

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
      tau: amrTau(config),
      maxRatio: amr.maxRatio,
    })
    : config.mask.maskRatio;
  return removedPatchCount(patches, ratio);
}

/**
 * AMR's tau: `mask.amr.tau`, or, when `mask.amr.finalRatio` is set, the tau
 * that reaches it at the last epoch, `ln(epochs) / (finalRatio - sigma0)`
 * (a one-epoch run stays at sigma0).
 *
 * @param config The run config.
 * @returns tau > 0.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/pretrain_config.ts";
 * import { amrTau } from "./mask_count.ts";
 * const c = { ...DEFAULT_CONFIG, mask: { ...DEFAULT_CONFIG.mask,
 *   amr: { ...DEFAULT_CONFIG.mask.amr, finalRatio: 0.8 } } };
 * if (Math.abs(0.25 + Math.log(20) / amrTau(c) - 0.8) > 1e-12) throw new Error("0.8 at epoch 20");
 * ```
 */
export function amrTau(config: Config): number {
  const { amr } = config.mask;
  const epochs = config.train.epochs;
  if (amr.finalRatio <= 0) return amr.tau;
  if (epochs <= 1) return Number.MAX_VALUE;
  return Math.log(epochs) / (amr.finalRatio - amr.sigma0);
}
