/**
 * `log.jsonl` on resume: a run killed after logging an epoch but before its
 * checkpoint (or in the middle of a line) left lines the restored state does
 * not cover. They are cut off, so that the resumed run logs each epoch
 * exactly once.
 *
 * @module
 */

/**
 * Keeps the leading lines of a JSON-lines log whose `epoch` is below
 * `epochs` and cuts the file there (at the first line that is later, not
 * JSON, or unfinished).
 *
 * @param path The log (a missing file is fine).
 * @param epochs Epochs the restored checkpoint covers (0-based `epoch` < `epochs` are kept).
 * @returns How many lines (complete or not) were removed.
 * @example
 * ```ts
 * import { truncateRunLog } from "./run_log.ts";
 * const path = await Deno.makeTempFile();
 * await Deno.writeTextFile(path, '{"epoch":0}\n{"epoch":1}\n{"epoch":2}\n{"ep');
 * const removed = await truncateRunLog(path, 2);
 * if (removed !== 2 || (await Deno.readTextFile(path)) !== '{"epoch":0}\n{"epoch":1}\n') {
 *   throw new Error("bad truncation");
 * }
 * ```
 */
export async function truncateRunLog(path: string, epochs: number): Promise<number> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return 0;
    throw error;
  }
  const decoder = new TextDecoder();
  let keep = 0;
  let start = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(0x0a, start);
    if (end < 0) break; // unfinished last line
    let epoch = NaN;
    try {
      epoch = Number(
        (JSON.parse(decoder.decode(bytes.subarray(start, end))) as { epoch?: unknown })
          .epoch,
      );
    } catch {
      break;
    }
    if (!(epoch < epochs)) break;
    start = end + 1;
    keep = start;
  }
  if (keep === bytes.length) return 0;
  const removed = decoder.decode(bytes.subarray(keep)).split("\n").filter((l) => l !== "").length;
  await Deno.truncate(path, keep);
  return removed;
}
