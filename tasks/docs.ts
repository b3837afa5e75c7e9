/**
 * `deno task docs [--check]`: writes the README's tables of settings from the
 * config room's defaults, value rules and doc strings (the same text as every
 * task's `--help`); `--check` only says whether the README is up to date
 * (exit code 1 when not).
 *
 * @module
 */

import { withSettingsTables } from "./_readme_settings.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values } = taskArgs(TASK_SPECS.docs);

await runTask("docs", async () => {
  const path = new URL("../README.md", import.meta.url);
  const readme = await Deno.readTextFile(path);
  const updated = withSettingsTables(readme);
  if (values.check) {
    if (updated !== readme) {
      throw new Error("README.md's tables of settings are out of date: run deno task docs");
    }
    console.log("README.md's tables of settings are up to date");
    return;
  }
  if (updated !== readme) await Deno.writeTextFile(path, updated);
  console.log(`README.md: tables of settings ${updated === readme ? "unchanged" : "written"}`);
});
