/**
 * The launcher behind `deno task <name>`: reads the task's config and
 * arguments, computes the paths they name (`_grants.ts`), and runs the task
 * in a second Deno process that may read exactly those paths plus medmim's
 * own `lib/`, `shaders/` and `node_modules/`, and write only its run (or
 * output) folder, with `--no-prompt`: an access outside them fails at once
 * with one line instead of asking on a terminal, so a batch job never hangs.
 *
 * ```sh
 * deno run --no-prompt --allow-read --allow-run=deno --allow-env=LOG_TOKENS,LOG_STREAM \
 *   tasks/launch.ts pretrain --config ~/exp/busi.yaml
 * ```
 *
 * The launcher itself only reads (configs and run folders) and starts Deno;
 * it writes nothing. Its exit code is the task's; SIGINT and SIGTERM are
 * passed on to the task.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { type Grants, taskGrants } from "./_grants.ts";
import { type FlagSpec, TASK_SPECS, type TaskName } from "./_task_specs.ts";

/** Environment variables a task may read. */
export const TASK_ENV = [
  "MEDMIM_WASM_THREADS",
  "MEDMIM_DEBUG",
  "MIM_PRINT_SHADER",
  "LOG_TOKENS", // read by the yaml package
  "LOG_STREAM",
  "SLURM_ARRAY_TASK_ID", // experiment --cell env
  "JOB_COMPLETION_INDEX", // experiment --cell env (Kubernetes Indexed Jobs)
];

/** System information a task may read: the core count for tfjs's wasm threads, the
 * host name for the run lock; the experiment records the machine of every cell. */
const SYS: Readonly<Partial<Record<string, string>>> = {
  pretrain: "cpus,hostname",
  finetune: "cpus,hostname",
  evaluate: "cpus,hostname",
  experiment: "cpus,hostname,osRelease,systemMemoryInfo",
};

/** medmim's root folder (absolute, ends with `/`). */
export const REPO = fileURLToPath(new URL("../", import.meta.url));

/**
 * The `deno run` arguments that start `task` with `grants`.
 *
 * @param task The task (its script is `tasks/<task with _ for ->.ts`).
 * @param grants Paths to read and write.
 * @param args The task's own arguments.
 * @param script The script to run instead of the task's (tests).
 * @returns Arguments for the Deno executable.
 */
export function taskCommand(
  task: TaskName,
  grants: Grants,
  args: readonly string[],
  script = `${REPO}tasks/${task.replaceAll("-", "_")}.ts`,
): string[] {
  const list = (paths: readonly string[]) => paths.map((p) => p.replaceAll(",", ",,")).join(",");
  const own = ["lib", "shaders", "node_modules"].map((p) => `${REPO}${p}`);
  const read = [...own, ...grants.read, ...grants.write];
  return [
    "run",
    "--no-prompt",
    `--config=${REPO}deno.json`,
    `--allow-read=${list(read)}`,
    ...(grants.write.length > 0 ? [`--allow-write=${list(grants.write)}`] : []),
    ...(SYS[task] ? [`--allow-sys=${SYS[task]}`] : []),
    `--allow-env=${TASK_ENV.join(",")}`,
    script,
    ...args,
  ];
}

/** The Deno executable this launcher may start: itself, else `deno` on the PATH. */
function denoExecutable(): string {
  const self = Deno.execPath();
  const allowed = (command: string) =>
    Deno.permissions.querySync({ name: "run", command }).state === "granted";
  if (allowed(self)) return self;
  if (allowed("deno")) return "deno";
  throw new Error(`Cannot start the task: no run permission for "${self}" or "deno"`);
}

if (import.meta.main) {
  const [task, ...args] = Deno.args;
  if (task === undefined || !(task in TASK_SPECS)) {
    console.error(`medmim: unknown task "${task ?? ""}" (${Object.keys(TASK_SPECS).join(", ")})`);
    Deno.exit(2);
  }
  const name = task as TaskName;
  let grants: Grants;
  try {
    grants = await taskGrants(name, args);
  } catch {
    // a bad argument or config: the task, started with medmim's folders (and
    // the config file to read), reports it in its own words
    const at = args.indexOf("--config");
    const flags: Readonly<Record<string, FlagSpec>> = TASK_SPECS[name].flags;
    const config = at >= 0
      ? args[at + 1]
      : args.find((a) => a.startsWith("--config="))?.slice(9) ?? flags.config?.default;
    grants = { read: config ? [resolve(config)] : [], write: [] };
  }
  const child = new Deno.Command(denoExecutable(), {
    args: taskCommand(name, grants, args),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    Deno.addSignalListener(signal, () => {
      try {
        child.kill(signal);
      } catch {
        // already gone
      }
    });
  }
  Deno.exit((await child.status).code);
}
