/**
 * The run folder rule shared by every training task: an existing run is never
 * overwritten silently; `resume` continues it, `force` starts it over.
 *
 * @module
 */

/** Where a run lives and whether it continues from a checkpoint. */
export interface RunDir {
  /** `<outDir>/<name>` */
  readonly runDir: string;
  /** `<runDir>/checkpoint_last.ckpt` */
  readonly last: string;
  /** True when `resume` was asked and `checkpoint_last.ckpt` exists. */
  readonly resuming: boolean;
}

/**
 * Checks (and with `force` clears) a run's folder.
 *
 * @param run The config's `run` section.
 * @param options `resume` and `force` from the command line.
 * @returns The folder, its last checkpoint path and whether to resume.
 * @throws {Deno.errors.AlreadyExists} If the folder exists and neither option is set.
 */
export async function prepareRunDir(
  run: { readonly outDir: string; readonly name: string },
  options: { readonly resume?: boolean; readonly force?: boolean },
): Promise<RunDir> {
  const runDir = `${run.outDir}/${run.name}`;
  const last = `${runDir}/checkpoint_last.ckpt`;
  const exists = await pathExists(runDir);
  if (exists && !options.resume && !options.force) {
    throw new Deno.errors.AlreadyExists(
      `Run folder "${runDir}" exists: pass --resume to continue it, --force to start it over, or set run.name`,
    );
  }
  if (exists && options.force) await Deno.remove(runDir, { recursive: true });
  const resuming = options.resume === true && await pathExists(last);
  return { runDir, last, resuming };
}

function pathExists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}
