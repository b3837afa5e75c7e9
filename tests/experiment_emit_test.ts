import assert from "node:assert/strict";
import { parse } from "yaml";
import { loadExperimentConfig } from "../lib/config/experiment_config.ts";
import { emitK8s } from "../lib/experiment/emit_k8s.ts";
import { emitSlurm } from "../lib/experiment/emit_slurm.ts";
import { cellIndex, type GridPlan, planGrid } from "../lib/experiment/plan_grid.ts";
import { parseTaskArgs } from "../tasks/_cli.ts";
import { TASK_SPECS } from "../tasks/_task_specs.ts";
import { SMOKE_GRID, tinyGrid, tinyOverrides } from "./_tiny_grid.ts";

/** Splits a bash command line (plain words, single and double quotes). */
function shellWords(line: string): string[] {
  const words: string[] = [];
  const re = /'([^']*)'|"((?:[^"\\]|\\.)*)"|(\S+)/g;
  for (const m of line.matchAll(re)) words.push(m[1] ?? m[2] ?? m[3] ?? "");
  return words;
}

/** The grid the emitted command plans: its --config and overrides, through the task's parser. */
async function planOf(words: string[]): Promise<GridPlan> {
  const args = words.slice(words.indexOf("experiment") + 1);
  const { values, overrides } = parseTaskArgs(args, TASK_SPECS.experiment);
  return await planGrid(await loadExperimentConfig(String(values.config), overrides));
}

async function bashSyntaxOk(path: string): Promise<boolean> {
  const { code } = await new Deno.Command("bash", { args: ["-n", path], stderr: "null" }).output();
  return code === 0;
}

Deno.test("emitSlurm() writes bash-valid scripts whose two arrays cover every cell once, pretraining first, and plan the same grid", async () => {
  const dir = await Deno.makeTempDir();
  const overrides = [...tinyOverrides(dir), "rows.MPS-AMS=null"];
  const plan = await tinyGrid(dir);
  const files = emitSlurm(plan, {
    config: SMOKE_GRID,
    overrides,
    repoRoot: Deno.cwd(),
    jobsDir: `${dir}/jobs`,
  });
  await Deno.writeTextFile(`${dir}/job.sbatch`, files.job);
  await Deno.writeTextFile(`${dir}/submit.sh`, files.submit);
  assert.ok(await bashSyntaxOk(`${dir}/job.sbatch`));
  assert.ok(await bashSyntaxOk(`${dir}/submit.sh`));
  await Deno.writeTextFile(`${dir}/broken.sh`, files.submit.replace("fi", "").replace("$(", "$(("));
  assert.ok(!(await bashSyntaxOk(`${dir}/broken.sh`)), "bash -n can fail");

  const arrays = [...files.submit.matchAll(/--array=(\d+)-(\d+)/g)].map((
    m,
  ) => [Number(m[1]), Number(m[2])]);
  assert.deepEqual(arrays, files.arrays);
  const covered = arrays.flatMap(([a, b]) => Array.from({ length: b! - a! + 1 }, (_, i) => a! + i));
  assert.deepEqual(covered, plan.cells.map((c) => c.index), "each cell exactly once, in order");
  const pre = plan.cells.filter((c) => c.stage === "pretrain").map((c) => c.index);
  assert.deepEqual(covered.slice(0, pre.length), pre, "the first array is the pretraining cells");
  assert.match(files.submit, /--dependency="afterany:\$pre"/);

  const exec = files.job.split("\n").find((l) => l.startsWith("exec "))!;
  assert.match(exec, /--cell "\$\{SLURM_ARRAY_TASK_ID\}"/);
  const again = await planOf(shellWords(exec));
  assert.deepEqual(again.cells.map((c) => c.id), plan.cells.map((c) => c.id));
  for (const c of plan.cells) {
    const env = (k: string) => (k === "SLURM_ARRAY_TASK_ID" ? String(c.index) : undefined);
    assert.equal(again.cells[cellIndex("env", env, again.cells.length)]!.id, c.id);
  }
  await Deno.remove(dir, { recursive: true });
});

Deno.test("emitK8s() writes an Indexed Job that parses as YAML and maps every completion index to one cell", async () => {
  const dir = await Deno.makeTempDir();
  const overrides = [...tinyOverrides(dir), "rows.MPS-AMS=null"];
  const plan = await tinyGrid(dir);
  const manifest = parse(emitK8s(plan, { config: SMOKE_GRID, overrides })) as {
    kind: string;
    spec: {
      completionMode: string;
      completions: number;
      parallelism: number;
      template: {
        spec: { restartPolicy: string; containers: { command: string[]; args: string[] }[] };
      };
    };
  };
  assert.equal(manifest.kind, "Job");
  assert.equal(manifest.spec.completionMode, "Indexed");
  assert.equal(manifest.spec.completions, plan.cells.length);
  assert.ok(manifest.spec.parallelism >= 1 && manifest.spec.parallelism <= plan.cells.length);
  assert.equal(manifest.spec.template.spec.restartPolicy, "Never");
  const container = manifest.spec.template.spec.containers[0]!;
  const words = [...container.command, ...container.args];
  assert.deepEqual(words.slice(words.indexOf("--cell"), words.indexOf("--cell") + 2), [
    "--cell",
    "env",
  ]);
  const again = await planOf(words);
  const seen = new Set<string>();
  for (let i = 0; i < manifest.spec.completions; i++) {
    const env = (k: string) => (k === "JOB_COMPLETION_INDEX" ? String(i) : undefined);
    const cell = again.cells[cellIndex("env", env, again.cells.length)]!;
    assert.equal(cell.id, plan.cells[i]!.id);
    seen.add(cell.id);
  }
  assert.equal(seen.size, plan.cells.length, "no two indices share a cell");
  assert.throws(
    () => cellIndex("env", () => undefined, 3),
    /neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX/,
  );
  assert.throws(() => cellIndex("3", () => undefined, 3), /cells 0 to 2/);
  await Deno.remove(dir, { recursive: true });
});
