/**
 * The exponential-moving-average (EMA) teacher of SelfMedHPM: after every
 * optimiser step, `teacher = d * teacher + (1 - d) * student`, with the decay d
 * rising from 0.999 to 0.9999 over training.
 *
 * Schedule: cosine by default, `d = end - (end - start) * (1 + cos(pi * s / S)) / 2`
 * for step s of S (BYOL's momentum schedule: slow change early, flat at the
 * end); `linear` interpolates instead. SelfMedHPM gives no schedule; both rise
 * monotonically from `start` at s = 0 to `end` at s = S.
 *
 * Fixed decays are tuned to runs of 10^5 steps: over a 320-step CPU run, a
 * teacher at 0.999 keeps about 3/4 of its random initial weights, so its
 * "hardest patches" are near random. {@linkcode runLengthDecay} scales the
 * decay to the run instead: the teacher lags the student by a fixed fraction
 * of the run (its time constant `1 / (1 - d)` is `lag * S` steps), the lag
 * rising on the same cosine from `lagStart` to `lagEnd`. At S = 80,000 steps
 * (800 epochs of 100) the defaults 1% and 5% give 0.99875 -> 0.99975, the
 * papers' range; at S = 320 they give 0.69 -> 0.94.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** Options of {@linkcode emaDecay}. */
export interface EmaDecayOptions {
  /** Decay at step 0 (default 0.999). */
  readonly start?: number;
  /** Decay at the last step (default 0.9999). */
  readonly end?: number;
  /** `cosine` (default) or `linear`. */
  readonly schedule?: "cosine" | "linear";
}

/**
 * The EMA decay at a step.
 *
 * @param step The step, 0-based (clamped to [0, totalSteps]).
 * @param totalSteps Steps in the run (> 0).
 * @param options Start, end and schedule.
 * @returns The decay in [start, end].
 * @throws {RangeError} If totalSteps is not positive or a decay is outside [0, 1].
 * @example
 * ```ts
 * import { emaDecay } from "./ema.ts";
 * if (emaDecay(0, 100) !== 0.999 || emaDecay(100, 100) !== 0.9999) throw new Error("ends");
 * ```
 */
export function emaDecay(step: number, totalSteps: number, options: EmaDecayOptions = {}): number {
  const { start = 0.999, end = 0.9999, schedule = "cosine" } = options;
  if (!(totalSteps > 0)) {
    throw new RangeError(`Cannot compute EMA decay: totalSteps ${totalSteps} is not positive`);
  }
  for (const [name, v] of [["start", start], ["end", end]] as const) {
    if (!(v >= 0 && v <= 1)) {
      throw new RangeError(`Cannot compute EMA decay: ${name} ${v} is outside [0, 1]`);
    }
  }
  const t = Math.min(1, Math.max(0, step / totalSteps));
  if (t === 1) return end;
  if (schedule === "linear") return start + (end - start) * t;
  return end - (end - start) * (1 + Math.cos(Math.PI * t)) / 2;
}

/** Options of {@linkcode runLengthDecay}. */
export interface RunLengthDecayOptions {
  /** The teacher's lag at step 0, as a fraction of the run (default 0.01). */
  readonly lagStart?: number;
  /** Its lag at the last step (default 0.05). */
  readonly lagEnd?: number;
}

/**
 * The EMA decay at a step when the teacher's lag is a fraction of the run:
 * `d = 1 - 1 / (lag * S)`, `lag` rising from `lagStart` to `lagEnd` on the
 * cosine of {@linkcode emaDecay}, and d >= 0 (a lag under one step copies the student).
 *
 * @param step The step, 0-based (clamped to [0, totalSteps]).
 * @param totalSteps Steps in the run (> 0).
 * @param options The lags.
 * @returns The decay in [0, 1).
 * @throws {RangeError} If totalSteps is not positive or a lag is not in (0, 1].
 * @example
 * ```ts
 * import { runLengthDecay } from "./ema.ts";
 * if (runLengthDecay(0, 80000) !== 1 - 1 / 800) throw new Error("a 1% lag at the start");
 * if (runLengthDecay(320, 320) !== 1 - 1 / 16) throw new Error("a 5% lag at the end");
 * ```
 */
export function runLengthDecay(
  step: number,
  totalSteps: number,
  options: RunLengthDecayOptions = {},
): number {
  const { lagStart = 0.01, lagEnd = 0.05 } = options;
  for (const [name, v] of [["lagStart", lagStart], ["lagEnd", lagEnd]] as const) {
    if (!(v > 0 && v <= 1)) {
      throw new RangeError(`Cannot compute EMA decay: ${name} ${v} is not in (0, 1]`);
    }
  }
  const lag = emaDecay(step, totalSteps, { start: lagStart, end: lagEnd });
  return Math.max(0, 1 - 1 / (lag * totalSteps));
}

/**
 * One EMA step: `teacher[i] = decay * teacher[i] + (1 - decay) * student[i]`.
 *
 * @param teacher The teacher's variables (updated in place).
 * @param student The student's variables or tensors, in the same order.
 * @param decay The decay in [0, 1].
 * @throws {RangeError} If the lists differ in length, a shape differs, or decay is outside [0, 1].
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { emaUpdate } from "./ema.ts";
 * const t = tf.variable(tf.scalar(0)), s = tf.variable(tf.scalar(1));
 * emaUpdate([t], [s], 0.75);
 * if (t.dataSync()[0] !== 0.25) throw new Error("moved a quarter");
 * ```
 */
export function emaUpdate(
  teacher: readonly tf.Variable[],
  student: readonly tf.Tensor[],
  decay: number,
): void {
  if (!(decay >= 0 && decay <= 1)) {
    throw new RangeError(`Cannot update EMA teacher: decay ${decay} is outside [0, 1]`);
  }
  if (teacher.length !== student.length) {
    throw new RangeError(
      `Cannot update EMA teacher: ${teacher.length} teacher variables but ${student.length} student tensors`,
    );
  }
  teacher.forEach((t, i) => {
    const s = student[i] as tf.Tensor;
    if (t.shape.join() !== s.shape.join()) {
      throw new RangeError(
        `Cannot update EMA teacher: variable ${i} "${t.name}" is [${t.shape}] but the student's is [${s.shape}]`,
      );
    }
  });
  tf.tidy(() => {
    teacher.forEach((t, i) =>
      t.assign(tf.add(tf.mul(t, decay), tf.mul(student[i] as tf.Tensor, 1 - decay)))
    );
  });
}
