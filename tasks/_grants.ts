/**
 * The paths a task may read and write, computed from its resolved config and
 * arguments, wherever they are: the config file, the data, cache and
 * checkpoint it names to read; its run (or output) folder to read and write.
 * Nothing else, besides medmim's own `lib/`, `shaders/` and `node_modules/`,
 * which the launcher adds.
 *
 * @module
 */

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loadExperimentConfig } from "../lib/config/experiment_config.ts";
import { planGrid } from "../lib/experiment/plan_grid.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { preprocessConfigFromArgs } from "./_preprocess_args.ts";
import { parseTaskArgs } from "./_cli.ts";
import { TASK_SPECS, type TaskName } from "./_task_specs.ts";

/** Absolute paths a task needs. */
export interface Grants {
  readonly read: readonly string[];
  readonly write: readonly string[];
}

/**
 * Computes a task's paths from its arguments (reading its config file).
 *
 * @param task The task.
 * @param args Its command-line arguments.
 * @returns Absolute paths to read and to write (the write paths are also readable).
 * @throws Whatever parsing the arguments or loading the config throws; the
 *   launcher then starts the task with medmim's own folders only, and the
 *   task reports the problem itself.
 * @example
 * ```ts ignore
 * import { taskGrants } from "./_grants.ts";
 * const g = await taskGrants("pretrain", ["--config", "/home/me/exp/busi.yaml"]);
 * console.log(g.write); // [".../runs/<run.name>"] (run.outDir, wherever the config puts it)
 * ```
 */
export async function taskGrants(task: TaskName, args: readonly string[]): Promise<Grants> {
  const { values, overrides } = parseTaskArgs(args, TASK_SPECS[task]);
  const text = (name: string) => values[name] as string | undefined;
  const read: (string | undefined)[] = [text("config")];
  const write: (string | undefined)[] = [];
  switch (task) {
    case "pretrain": {
      const config = await loadConfig(text("config"), overrides);
      if (config.data.source === "cache") read.push(config.data.cacheDir);
      write.push(`${config.run.outDir}/${config.run.name}`);
      break;
    }
    case "finetune": {
      const config = await loadFinetuneConfig(text("config"), overrides);
      if (config.data.source === "cache") read.push(config.data.cacheDir);
      if (config.model.init !== "scratch") read.push(config.model.checkpoint);
      write.push(`${config.run.outDir}/${config.run.name}`);
      break;
    }
    case "evaluate": {
      const config = await loadFinetuneConfig(text("config"), overrides);
      const runDir = text("run") ?? `${config.run.outDir}/${config.run.name}`;
      read.push(runDir, await savedCacheDir(runDir));
      write.push(`${runDir}/eval`);
      break;
    }
    case "export": {
      const runDir = text("run");
      const checkpoint = text("checkpoint");
      read.push(runDir);
      if (checkpoint !== undefined && checkpoint !== "best" && checkpoint !== "last") {
        read.push(checkpoint);
      }
      write.push(text("out") ?? (runDir === undefined ? undefined : `${runDir}/export`));
      break;
    }
    case "preprocess": {
      const config = await preprocessConfigFromArgs(values);
      read.push(config.input, config.output);
      if (values.check !== true) write.push(config.output);
      break;
    }
    case "draw-masks":
      read.push(text("data") ?? "../shared/data/busi");
      write.push(text("out") ?? "runs/draw_masks");
      break;
    case "experiment": {
      // the grid file, its rows' config files and caches; its folder (every cell's run)
      const plan = await planGrid(
        await loadExperimentConfig(text("config") ?? "configs/experiment_smoke.yaml", overrides),
      );
      const g = plan.config;
      read.push(text("config") ?? "configs/experiment_smoke.yaml", ...g.rows.map((r) => r.config));
      if (g.data.source === "cache") read.push(g.data.cacheDir, g.data.pretrainCacheDir);
      read.push(fileURLToPath(new URL("../deno.json", import.meta.url))); // medmim's version
      write.push(plan.dir);
      break;
    }
    default:
      throw new RangeError(`Cannot compute the paths of task "${task}": it has a fixed list`);
  }
  const absolute = (
    paths: (string | undefined)[],
  ) => [...new Set(paths.filter((p): p is string => !!p).map((p) => resolve(p)))];
  return { read: absolute(read), write: absolute(write) };
}

/** The cache folder a fine-tuning run's `config.json` names, if it names one. */
async function savedCacheDir(runDir: string): Promise<string | undefined> {
  try {
    const saved = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`));
    return saved?.data?.source === "cache" && typeof saved.data.cacheDir === "string"
      ? saved.data.cacheDir
      : undefined;
  } catch {
    return undefined; // the task itself will say what is wrong with the run folder
  }
}
