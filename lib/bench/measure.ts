/**
 * Wall-clock timing for the bench: one warm-up call, then repetitions until
 * a time budget or a repetition cap is reached, reporting the median.
 *
 * @module
 */

/** How long and how often to repeat. */
export interface MeasureOptions {
  /** Stop repeating once this much time was spent (default 1000 ms). */
  readonly budgetMs?: number;
  /** At least this many timed repetitions (default 3). */
  readonly minReps?: number;
  /** At most this many timed repetitions (default 50). */
  readonly maxReps?: number;
}

/** A measurement. */
export interface Timing {
  /** Median milliseconds per call. */
  readonly ms: number;
  /** Timed repetitions. */
  readonly reps: number;
}

/**
 * Times an async (or sync) call; the call itself must wait for its work to
 * finish (e.g. read a result back, or await the GPU queue).
 *
 * @param run The call to time.
 * @param options Budget and repetition bounds.
 * @returns The median time and the repetitions.
 */
export async function measure(
  run: () => unknown | Promise<unknown>,
  options: MeasureOptions = {},
): Promise<Timing> {
  const { budgetMs = 1000, minReps = 3, maxReps = 50 } = options;
  await run(); // warm-up: compilation, allocation, caches
  const times: number[] = [];
  const start = performance.now();
  while (
    times.length < minReps ||
    (times.length < maxReps && performance.now() - start < budgetMs)
  ) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  const ms = times.length % 2 ? times[mid]! : (times[mid - 1]! + times[mid]!) / 2;
  return { ms, reps: times.length };
}
