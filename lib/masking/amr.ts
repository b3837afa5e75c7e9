/**
 * AMLP's adaptive masking ratio (AMR, sec. 3.4, eq. 9; MPS-AMS sec. 2.2):
 * `sigma = sigma0 + ln(epoch) / tau` (the count of removed patches at sigma is
 * `mask_count.ts`'s rule).
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
 * import { adaptiveMaskRatio } from "./amr.ts";
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
