/**
 * A whole grid on this machine: every cell in index order (pretraining
 * first), finished cells skipped, half-finished ones resumed; a failed cell is
 * recorded and the grid goes on with the others.
 *
 * @module
 */

import type { Progress } from "../run/progress.ts";
import type { MachineInfo } from "./machine_info.ts";
import type { GridPlan } from "./plan_grid.ts";
import { runCell } from "./run_cell.ts";

/** What {@linkcode runGrid} did. */
export interface RunGridResult {
  readonly ran: number;
  readonly skipped: number;
  readonly failed: readonly { readonly index: number; readonly error: string }[];
}

/**
 * Runs every cell of the grid here, one after the other.
 *
 * @param plan The grid.
 * @param options Start cells over (`force`), machine description, output.
 * @returns Counts and the failures.
 */
export async function runGrid(
  plan: GridPlan,
  options: {
    readonly force?: boolean;
    readonly machine: MachineInfo;
    readonly progress?: Progress | null;
    readonly log?: (line: string) => void;
  },
): Promise<RunGridResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  let ran = 0, skipped = 0;
  const failed: { index: number; error: string }[] = [];
  const start = performance.now();
  for (const cell of plan.cells) {
    const at = `[${((performance.now() - start) / 1000).toFixed(0)} s] `;
    try {
      const r = await runCell(plan, cell, {
        machine: options.machine,
        log: (line) => log(at + line),
        ...(options.force ? { force: true } : {}),
        ...(options.progress !== undefined ? { progress: options.progress } : {}),
      });
      if (r.skipped) {
        skipped++;
        log(`${at}cell ${cell.index} (${cell.id}): done before, skipped`);
      } else ran++;
    } catch (error) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      failed.push({ index: cell.index, error: message });
      log(`${at}cell ${cell.index} (${cell.id}) FAILED: ${message}`);
    }
  }
  return { ran, skipped, failed };
}
