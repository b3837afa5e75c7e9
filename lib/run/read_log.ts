/**
 * Reads a run's `log.jsonl` (one JSON object per epoch, appended as training
 * goes). A resumed run may have logged an epoch twice (logged, then killed
 * before the next checkpoint, then trained again): the last line of each epoch
 * wins, and lines come back sorted by epoch.
 *
 * @module
 */

/** One epoch's line: `epoch` (0-based) and whatever numbers the run logged. */
export type LogLine = { readonly epoch: number } & Readonly<Record<string, unknown>>;

/**
 * Parses `log.jsonl` text.
 *
 * @param text The file's contents.
 * @returns One line per epoch, the last one logged for it, ascending by epoch;
 *   blank, torn (a line cut by a crash) or epoch-less lines are skipped.
 * @example
 * ```ts
 * import { parseLog } from "./read_log.ts";
 * const lines = parseLog('{"epoch":0,"loss":2}\n{"epoch":1,"loss":1}\n{"epoch":1,"loss":0.5}\n{"ep');
 * if (lines.length !== 2 || lines[1]?.loss !== 0.5) throw new Error("last line per epoch wins");
 * ```
 */
export function parseLog(text: string): LogLine[] {
  const byEpoch = new Map<number, LogLine>();
  for (const raw of text.split("\n")) {
    if (raw.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(raw);
    } catch {
      continue; // a line torn by a kill
    }
    const epoch = (value as { epoch?: unknown } | null)?.epoch;
    if (typeof epoch === "number" && Number.isInteger(epoch)) {
      byEpoch.set(epoch, value as LogLine);
    }
  }
  return [...byEpoch.values()].sort((a, b) => a.epoch - b.epoch);
}

/**
 * Reads and parses `<runDir>/log.jsonl`.
 *
 * @param runDir A run folder.
 * @returns Its lines (see {@linkcode parseLog}); empty when there is no log yet.
 */
export async function readLog(runDir: string): Promise<LogLine[]> {
  try {
    return parseLog(await Deno.readTextFile(`${runDir}/log.jsonl`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}
