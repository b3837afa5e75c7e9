/**
 * `deno task experiment --config configs/experiment_<name>.yaml [--list | --cell N | --collect | --emit slurm|k8s] [--key.path=value ...]`
 *
 * A paper-shaped grid (pretraining rows x label fractions x seeds), run as
 * pretrain -> finetune -> evaluate cells; see `lib/experiment/`, the README
 * and `--help`.
 */

import { initTf } from "../lib/backend/init_tf.ts";
import { loadExperimentConfig } from "../lib/config/experiment_config.ts";
import { readEnv } from "../lib/env.ts";
import { Progress } from "../lib/run/progress.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import { listCells } from "../lib/experiment/list_cells.ts";
import { machineInfo } from "../lib/experiment/machine_info.ts";
import { cellIndex, type GridPlan, planGrid } from "../lib/experiment/plan_grid.ts";
import { runCell } from "../lib/experiment/run_cell.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { writeJobs } from "../lib/experiment/write_jobs.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values, overrides } = taskArgs(TASK_SPECS.experiment);

await runTask("experiment", async () => {
  const configPath = (values.config as string | undefined) ?? "configs/experiment_smoke.yaml";
  const grid = await loadExperimentConfig(configPath, overrides);
  const plan = await planGrid(grid);
  const command = ["deno task experiment --config", configPath, ...overrides.map((o) => `--${o}`)]
    .join(" ");
  const actions = ["list", "cell", "collect", "emit"].filter((k) => values[k] !== undefined);
  if (actions.length > 1) {
    throw new RangeError(`Cannot do --${actions.join(" and --")} at once: pick one`);
  }
  if (values.wait !== undefined && values.cell === undefined) {
    throw new RangeError("--wait goes with --cell");
  }

  if (values.list) return console.log((await listCells(plan)).join("\n"));
  if (values.collect) return await collect(plan, command);
  if (values.emit !== undefined) {
    const kind = String(values.emit);
    return console.log(await writeJobs(plan, { kind, config: configPath, overrides }));
  }

  const choice = await initTf(grid.backend);
  const machine = await machineInfo(choice);
  console.log(
    `medmim experiment "${grid.name}": ${plan.cells.length} cells in ${plan.dir}, ` +
      `backend ${choice.backend} (${choice.reason})`,
  );
  if (values.cell !== undefined) {
    const text = values.cell === true ? "env" : String(values.cell);
    const index = cellIndex(text, readEnv, plan.cells.length);
    const wait = values.wait === undefined ? 0 : Number(values.wait);
    if (!(wait >= 0)) throw new RangeError(`--wait "${values.wait}" is not a number of seconds`);
    const cell = plan.cells[index]!;
    const r = await runCell(plan, cell, {
      machine,
      wait,
      progress: new Progress(),
      ...(values.force ? { force: true } : {}),
    });
    console.log(
      r.skipped
        ? `cell ${index} (${cell.id}) was done: skipped`
        : `cell ${index} (${cell.id}) done in ${r.record.wallSeconds.toFixed(1)} s`,
    );
    return;
  }
  const start = performance.now();
  const r = await runGrid(plan, {
    machine,
    progress: new Progress(),
    ...(values.force ? { force: true } : {}),
  });
  const c = await collectGrid(plan, { command });
  console.log(`\n${c.markdown}`);
  console.log(
    `${r.ran} cells run, ${r.skipped} skipped (done before), ${r.failed.length} failed; ` +
      `${((performance.now() - start) / 1000).toFixed(0)} s; report: ${c.dir}/report.html`,
  );
  if (r.failed.length > 0) {
    throw new Error(
      `${r.failed.length} cell(s) failed: ${r.failed.map((f) => f.index).join(", ")} (see --list)`,
    );
  }
});

async function collect(plan: GridPlan, command: string): Promise<void> {
  const c = await collectGrid(plan, { command });
  console.log(c.markdown);
  console.log(
    `cells: ${Object.entries(c.counts).map(([k, v]) => `${v} ${k}`).join(", ")}; ` +
      `wrote ${c.dir}/ (table.md, table.csv, table.json, report.html)`,
  );
}
