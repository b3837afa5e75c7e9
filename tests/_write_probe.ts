/**
 * A stand-in task for tests/launch_test.ts: writes (or reads) the path it is
 * given, through the tasks' error handler, so a test can start it with the
 * permissions the launcher computes for a config.
 *
 * `deno run <flags> tests/_write_probe.ts write|read PATH`
 *
 * @module
 */

import { runTask } from "../tasks/_run_task.ts";

await runTask("probe", async () => {
  const [mode, path] = Deno.args;
  if (!path) throw new RangeError("usage: _write_probe.ts write|read PATH");
  if (mode === "write") await Deno.writeTextFile(path, "probe\n");
  else await Deno.readTextFile(path);
  console.log(`${mode} ${path}: ok`);
});
