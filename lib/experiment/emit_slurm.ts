/**
 * `--emit slurm`: the grid as two Slurm job arrays, no scheduler of our own.
 * `slurm_job.sbatch` runs one cell per array task (`--cell $SLURM_ARRAY_TASK_ID`)
 * on the shared run folder; `slurm_submit.sh` submits the pretraining cells as
 * one array and the fine-tuning cells as a second array that starts once every
 * pretraining task has ended (`afterany`: a failed pretraining is recorded by
 * its cell, and its fine-tuning cells record why they cannot run; the others go on).
 *
 * @module
 */

import { experimentArgs, shellQuote } from "./job_command.ts";
import type { GridPlan } from "./plan_grid.ts";

/** The emitted files' text. */
export interface SlurmFiles {
  /** The job script (one array task = one cell). */
  readonly job: string;
  /** The submission script (two `sbatch` calls). */
  readonly submit: string;
  /** `[first, last]` cell index of each array, in submission order. */
  readonly arrays: readonly (readonly [number, number])[];
}

/**
 * Writes the Slurm files' text.
 *
 * @param plan The grid.
 * @param options The config file and overrides to repeat, the repository root
 *   (absolute) the jobs `cd` into, and where the job files lie (absolute).
 * @returns The files and the index ranges of the arrays.
 */
export function emitSlurm(
  plan: GridPlan,
  options: {
    readonly config: string;
    readonly overrides: readonly string[];
    readonly repoRoot: string;
    readonly jobsDir: string;
  },
): SlurmFiles {
  const s = plan.config.emit.slurm;
  const pre = plan.cells.filter((c) => c.stage === "pretrain").length;
  const total = plan.cells.length;
  const arrays: [number, number][] = [];
  if (pre > 0) arrays.push([0, pre - 1]);
  if (total > pre) arrays.push([pre, total - 1]);
  const command = ['"${DENO:-deno}"', ...experimentArgs(options).map(shellQuote)].join(" ");
  const job = [
    "#!/bin/bash",
    `#SBATCH --job-name=${shellQuote(`medmim-${plan.config.name}`)}`,
    `#SBATCH --output=${shellQuote(`${options.jobsDir}/logs/cell_%a.out`)}`,
    `#SBATCH --cpus-per-task=${s.cpusPerTask}`,
    `#SBATCH --mem=${shellQuote(s.mem)}`,
    `#SBATCH --time=${s.time}`,
    ...(s.partition ? [`#SBATCH --partition=${shellQuote(s.partition)}`] : []),
    ...(s.gpus > 0 ? [`#SBATCH --gres=gpu:${s.gpus}`] : []),
    `# Grid "${plan.config.name}": ${total} cells, run folder ${plan.dir}. One array task = one cell;`,
    "# a finished cell is skipped, a half-finished one resumes from its checkpoint.",
    "set -euo pipefail",
    `cd ${shellQuote(options.repoRoot)}`,
    'export MEDMIM_WASM_THREADS="${SLURM_CPUS_PER_TASK:-1}"',
    `exec ${command} --cell "\${SLURM_ARRAY_TASK_ID}" --wait 3600`,
    "",
  ].join("\n");
  const lines = [
    "#!/bin/bash",
    `# Submits grid "${plan.config.name}" (${total} cells) to Slurm: ` +
    (pre > 0 ? `pretraining cells 0-${pre - 1} first, then` : "") +
    ` fine-tuning cells ${pre}-${total - 1}` +
    (pre > 0 ? " once every pretraining task has ended." : "."),
    "set -euo pipefail",
    'here="$(cd "$(dirname "$0")" && pwd)"',
    'mkdir -p "$here/logs"',
  ];
  if (pre > 0) {
    lines.push(
      `pre=$(sbatch --parsable --array=0-${pre - 1} "$here/slurm_job.sbatch")`,
      'pre="${pre%%;*}"',
      `echo "pretraining cells 0-${pre - 1}: job $pre"`,
    );
  }
  if (total > pre) {
    const dep = pre > 0 ? ' --dependency="afterany:$pre"' : "";
    lines.push(
      `fine=$(sbatch --parsable --array=${pre}-${total - 1}${dep} "$here/slurm_job.sbatch")`,
      `echo "fine-tuning cells ${pre}-${total - 1}: job \${fine%%;*}"`,
    );
  }
  return { job, submit: lines.join("\n") + "\n", arrays };
}
