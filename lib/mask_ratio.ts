/**
 * The masking ratio and the count of removed patches: AMLP's adaptive masking
 * ratio (AMR, sec. 3.4, eq. 9; MPS-AMS sec. 2.2), `sigma = sigma0 + ln(epoch) / tau`,
 * and the one count rule of medmim, `floor(L * ratio)` (AMLP's Algorithm 1,
 * line 5, n_m = floor(N * sigma), for the fixed ratio too). MAE keeps
 * `int(L * (1 - r))`, which removes `ceil(L * r)`; the two agree whenever
 * `L * r` is an integer (0.75 of 196 or 256, 0.5 of 64). Pure arithmetic, used by
 * the config's checks and by the masking step (`lib/masking/mask_count.ts`).
 *
 * `epoch` is 1-based, so the first epoch masks exactly sigma0 (ln 1 = 0). The
 * defaults are the papers': sigma0 = 0.25 ("set according to MAE") and
 * tau = 12 ("to ensure a final masking ratio of nearly 80%": at epoch 800,
 * 0.25 + ln(800) / 12 = 0.807). The papers do not clamp; we clamp at
 * `maxRatio` (default 0.9, which 800 epochs never reach) so long runs cannot
 * approach a ratio of 1.
 *
 * @module
 */

/** Options of {@linkcode adaptiveMaskRatio}. */
export interface AmrOptions {
  /** Ratio at epoch 1 (default 0.25). */
  readonly sigma0?: number;
  /** Growth constant: sigma grows by ln(epoch) / tau (default 12). */
  readonly tau?: number;
  /** Upper clamp of the ratio (default 0.9). */
  readonly maxRatio?: number;
}

/**
 * The masking ratio at a 1-based epoch.
 *
 * @param epoch The epoch, 1-based (may be fractional, e.g. epoch + step / steps).
 * @param options sigma0, tau and the clamp.
 * @returns `min(maxRatio, sigma0 + ln(epoch) / tau)`.
 * @throws {RangeError} If epoch < 1, tau <= 0, or sigma0 / maxRatio are outside [0, 1].
 * @example
 * ```ts
 * import { adaptiveMaskRatio } from "./mask_ratio.ts";
 * if (adaptiveMaskRatio(1) !== 0.25) throw new Error("sigma0 at epoch 1");
 * if (Math.abs(adaptiveMaskRatio(800) - 0.807) > 1e-3) throw new Error("~80% at 800");
 * ```
 */
export function adaptiveMaskRatio(epoch: number, options: AmrOptions = {}): number {
  const { sigma0 = 0.25, tau = 12, maxRatio = 0.9 } = options;
  if (!(epoch >= 1) || !Number.isFinite(epoch)) {
    throw new RangeError(
      `Cannot compute the masking ratio: epoch ${epoch} is not >= 1 (epochs are 1-based)`,
    );
  }
  if (!(tau > 0)) {
    throw new RangeError(`Cannot compute the masking ratio: tau ${tau} is not positive`);
  }
  for (const [name, v] of [["sigma0", sigma0], ["maxRatio", maxRatio]] as const) {
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(`Cannot compute the masking ratio: ${name} ${v} is outside [0, 1]`);
    }
  }
  return Math.min(maxRatio, sigma0 + Math.log(epoch) / tau);
}

/**
 * Patches removed at a ratio: `floor(L * ratio)`.
 *
 * @param patches L.
 * @param ratio The masking ratio in [0, 1].
 * @returns An integer in [0, L].
 * @throws {RangeError} If the ratio is outside [0, 1] or L is not a non-negative integer.
 * @example
 * ```ts
 * import { removedPatchCount } from "./mask_ratio.ts";
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
 * AMR's tau: `tau`, or, when `finalRatio` > 0, the tau that reaches it at the
 * last epoch, `ln(epochs) / (finalRatio - sigma0)` (a one-epoch run stays at sigma0).
 *
 * @param amr `sigma0`, `tau` and `finalRatio` (0: use tau).
 * @param epochs Epochs in the run.
 * @returns tau > 0.
 * @example
 * ```ts
 * import { amrTau } from "./mask_ratio.ts";
 * const tau = amrTau({ sigma0: 0.25, tau: 12, finalRatio: 0.8 }, 20);
 * if (Math.abs(0.25 + Math.log(20) / tau - 0.8) > 1e-12) throw new Error("0.8 at epoch 20");
 * ```
 */
export function amrTau(
  amr: { readonly sigma0: number; readonly tau: number; readonly finalRatio: number },
  epochs: number,
): number {
  if (amr.finalRatio <= 0) return amr.tau;
  if (epochs <= 1) return Number.MAX_VALUE;
  return Math.log(epochs) / (amr.finalRatio - amr.sigma0);
}
