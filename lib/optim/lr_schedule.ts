/**
 * Learning rate: linear warmup, then half-cycle cosine decay to `minLr`
 * (MAE's lr_sched.adjust_learning_rate), as a function of the fractional epoch.
 *
 * @module
 */

/** The schedule's settings. */
export interface LrSchedule {
  readonly lr: number;
  readonly minLr: number;
  readonly warmupEpochs: number;
  readonly epochs: number;
}

/**
 * The learning rate at fractional epoch `epoch` (0 at the first step).
 *
 * @param epoch Epochs done, e.g. 1.5 halfway through the second epoch.
 * @param s The schedule.
 * @returns The learning rate.
 * @example
 * ```ts
 * import { cosineWithWarmup } from "./lr_schedule.ts";
 * const s = { lr: 1, minLr: 0, warmupEpochs: 2, epochs: 10 };
 * if (cosineWithWarmup(1, s) !== 0.5) throw new Error("warmup is linear");
 * ```
 */
export function cosineWithWarmup(epoch: number, s: LrSchedule): number {
  // 1) warmup
  if (epoch < s.warmupEpochs) return (s.lr * epoch) / s.warmupEpochs;
  // 2) cosine from lr to minLr over the remaining epochs
  const span = Math.max(s.epochs - s.warmupEpochs, 1e-12);
  const progress = Math.min(1, (epoch - s.warmupEpochs) / span);
  return s.minLr + (s.lr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
