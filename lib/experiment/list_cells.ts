/**
 * `--list`: the grid's cells as a text table (index, stage, row, label
 * fraction, seed, state and its detail), read from the run folders.
 *
 * @module
 */

import { cellState } from "./cell_state.ts";
import type { GridPlan } from "./plan_grid.ts";

/**
 * The lines `--list` prints.
 *
 * @param plan The grid.
 * @returns A heading line and one aligned line per cell.
 */
export async function listCells(plan: GridPlan): Promise<string[]> {
  const pre = plan.cells.filter((c) => c.stage === "pretrain").length;
  const rows = [["cell", "stage", "row", "labels", "seed", "state", "detail"]];
  const states = await Promise.all(plan.cells.map((c) => cellState(c)));
  for (const cell of plan.cells) {
    const s = states[cell.index]!;
    const waits = cell.stage === "finetune" && cell.pretrain && s.state === "todo" &&
      states[cell.pretrain.index]?.state !== "done";
    rows.push([
      String(cell.index),
      cell.stage,
      cell.row.name,
      cell.stage === "finetune" ? `${Math.round(1000 * cell.fraction) / 10}%` : "-",
      String(cell.seed),
      s.state,
      waits ? `needs cell ${cell.pretrain!.index}` : s.detail,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return [
    `grid "${plan.config.name}": ${plan.cells.length} cells in ${plan.dir} ` +
    `(${pre} pretraining, ${plan.cells.length - pre} fine-tuning)`,
    ...rows.map((r) =>
      r.map((v, i) => (i === r.length - 1 ? v : v.padEnd(widths[i]!))).join("  ").trimEnd()
    ),
  ];
}
