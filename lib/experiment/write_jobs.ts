/**
 * `--emit slurm|k8s`: writes the job files into `<grid>/jobs/`.
 *
 * @module
 */

import { resolve } from "node:path";
import { writeAtomic } from "../io/write_atomic.ts";
import { emitK8s } from "./emit_k8s.ts";
import { emitSlurm } from "./emit_slurm.ts";
import type { GridPlan } from "./plan_grid.ts";

/**
 * Writes the Slurm or Kubernetes files of a grid.
 *
 * @param plan The grid.
 * @param options `slurm` or `k8s`, and the config file and overrides every job repeats.
 * @returns One line saying what was written and how to submit it.
 * @throws {RangeError} If the kind is neither.
 */
export async function writeJobs(
  plan: GridPlan,
  options: {
    readonly kind: string;
    readonly config: string;
    readonly overrides: readonly string[];
  },
): Promise<string> {
  const dir = `${plan.dir}/jobs`;
  const { config, overrides } = options;
  if (options.kind === "slurm") {
    await Deno.mkdir(dir, { recursive: true });
    const files = emitSlurm(plan, {
      config,
      overrides,
      repoRoot: Deno.cwd(),
      jobsDir: resolve(dir),
    });
    await writeAtomic(`${dir}/slurm_job.sbatch`, files.job);
    await writeAtomic(`${dir}/slurm_submit.sh`, files.submit);
    await Deno.chmod(`${dir}/slurm_submit.sh`, 0o755);
    const arrays = files.arrays.map(([a, b]) => `${a}-${b}`).join(", then ");
    return `wrote ${dir}/slurm_job.sbatch and slurm_submit.sh (arrays ${arrays}); ` +
      `submit with: bash ${dir}/slurm_submit.sh`;
  }
  if (options.kind === "k8s") {
    await Deno.mkdir(dir, { recursive: true });
    await writeAtomic(`${dir}/k8s_job.yaml`, emitK8s(plan, { config, overrides }));
    return `wrote ${dir}/k8s_job.yaml (${plan.cells.length} indexed completions); ` +
      `apply with: kubectl apply -f ${dir}/k8s_job.yaml`;
  }
  throw new RangeError(`--emit "${options.kind}" is not slurm or k8s`);
}
