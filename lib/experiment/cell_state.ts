/**
 * Where a cell stands, read from its run folder alone (so any machine sharing
 * the folder sees the same):
 *
 * - `done`: `cell.json` exists (written last, atomically) for this very config;
 * - `failed`: `cell_failed.json` holds the error of its last attempt;
 * - `partial`: the run started (its `config.json` exists) and did not finish;
 *   running it again resumes from its last checkpoint;
 * - `todo`: nothing there yet;
 * - `stale`: the folder holds a run of another config (the grid file or an
 *   override changed); it is neither skipped nor resumed: `--force` starts it over.
 *
 * @module
 */

import { hashJson } from "../io/hash_file.ts";
import { readLog } from "../run/read_log.ts";
import type { GridCell } from "./plan_grid.ts";

/** A cell's state name. */
export type CellStateName = "done" | "partial" | "todo" | "failed" | "stale";

/** A cell's state and a short detail (progress, error, what differs). */
export interface CellState {
  readonly state: CellStateName;
  readonly detail: string;
}

/** The marker of a finished cell. */
export const CELL_DONE_FILE = "cell.json";
/** The record of a cell's last failed attempt. */
export const CELL_FAILED_FILE = "cell_failed.json";

/**
 * The hash that ties a run folder to a cell's resolved config.
 *
 * @param cell The cell.
 * @returns SHA-256 of its config (key order does not matter).
 */
export function cellConfigHash(cell: GridCell): Promise<string> {
  return hashJson(cell.config);
}

/**
 * Reads a cell's state from its folder.
 *
 * @param cell The cell.
 * @returns State and detail.
 */
export async function cellState(cell: GridCell): Promise<CellState> {
  const hash = await cellConfigHash(cell);
  const done = await readJson(`${cell.runDir}/${CELL_DONE_FILE}`);
  if (done !== undefined) {
    if ((done as { configHash?: string }).configHash === hash) {
      const seconds = Number((done as { wallSeconds?: number }).wallSeconds);
      return { state: "done", detail: Number.isFinite(seconds) ? `${seconds.toFixed(0)} s` : "" };
    }
    return { state: "stale", detail: "finished with another config; --force starts it over" };
  }
  const saved = await readJson(`${cell.runDir}/config.json`);
  if (saved !== undefined && await hashJson(saved) !== hash) {
    return {
      state: "stale",
      detail: `config.json differs (${firstDifference(saved, cell.config)})`,
    };
  }
  const failed = await readJson(`${cell.runDir}/${CELL_FAILED_FILE}`);
  if (failed !== undefined) {
    return { state: "failed", detail: String((failed as { error?: unknown }).error ?? "") };
  }
  if (saved !== undefined) {
    const epochs = (await readLog(cell.runDir)).length;
    const total = (cell.config as { train: { epochs: number } }).train.epochs;
    return { state: "partial", detail: `${epochs}/${total} epochs logged` };
  }
  return { state: "todo", detail: "" };
}

/**
 * The dotted path of the first value that differs between two configs.
 *
 * @param a A config.
 * @param b Another.
 * @param path Prefix (internal).
 * @returns e.g. `train.epochs: 60 vs 2`, or "" when equal.
 * @example
 * ```ts
 * import { firstDifference } from "./cell_state.ts";
 * const d = firstDifference({ train: { epochs: 60 } }, { train: { epochs: 2 } });
 * if (d !== "train.epochs: 60 vs 2") throw new Error(d);
 * ```
 */
export function firstDifference(a: unknown, b: unknown, path = ""): string {
  if (isRecord(a) && isRecord(b)) {
    for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
      const d = firstDifference(a[key], b[key], path ? `${path}.${key}` : key);
      if (d) return d;
    }
    return "";
  }
  return JSON.stringify(a) === JSON.stringify(b)
    ? ""
    : `${path || "(root)"}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
}

/**
 * Reads a JSON file, or undefined when it does not exist (or is torn).
 *
 * @param path The file.
 * @returns Its value, or undefined.
 */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
