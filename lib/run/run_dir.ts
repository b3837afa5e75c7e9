/**
 * The run folder rule shared by every training task: an existing run is never
 * overwritten silently; `resume` continues it, `force` starts it over. The
 * folder is locked for as long as the run holds the returned `RunDir`
 * (`run_lock.ts`), so `resume` and `force` refuse a folder another
 * live process is training into, and temporary files a killed run left
 * behind are removed.
 *
 * @module
 */

import { acquireRunLock, RUN_LOCK_FILE, type RunLock } from "./run_lock.ts";

/** Where a run lives and whether it continues from a checkpoint; dispose it to unlock. */
export interface RunDir extends AsyncDisposable {
  /** `<outDir>/<name>` */
  readonly runDir: string;
  /** `<runDir>/checkpoint_last.ckpt` */
  readonly last: string;
  /** True when `resume` was asked and `checkpoint_last.ckpt` exists. */
  readonly resuming: boolean;
  /** The folder's lock, held until released. */
  readonly lock: RunLock;
}

/**
 * Checks, locks and (with `force`) clears a run's folder, and removes the
 * `*.tmp` files of an interrupted write.
 *
 * @param run The config's `run` section.
 * @param options `resume` and `force` from the command line; `log` for the
 *   stale-lock message (default stderr).
 * @returns The folder (created, locked), its last checkpoint path and whether to resume.
 * @throws {Deno.errors.AlreadyExists} If the folder exists and neither option is set.
 * @throws {Deno.errors.Busy} If another live process holds the folder.
 */
export async function prepareRunDir(
  run: { readonly outDir: string; readonly name: string },
  options: {
    readonly resume?: boolean;
    readonly force?: boolean;
    readonly log?: (line: string) => void;
  },
): Promise<RunDir> {
  const runDir = `${run.outDir}/${run.name}`;
  const last = `${runDir}/checkpoint_last.ckpt`;
  const exists = await pathExists(runDir);
  if (exists && !options.resume && !options.force) {
    throw new Deno.errors.AlreadyExists(
      `Run folder "${runDir}" exists: pass --resume to continue it, --force to start it over, or set run.name`,
    );
  }
  const lock = await acquireRunLock(runDir, options.log ? { log: options.log } : {});
  try {
    for await (const entry of Deno.readDir(runDir)) {
      if (entry.name === RUN_LOCK_FILE) continue;
      if (options.force || entry.name.endsWith(".tmp")) {
        await Deno.remove(`${runDir}/${entry.name}`, { recursive: true });
      }
    }
  } catch (error) {
    await lock.release();
    throw error;
  }
  const resuming = options.resume === true && !options.force && await pathExists(last);
  return { runDir, last, resuming, lock, [Symbol.asyncDispose]: () => lock.release() };
}

function pathExists(path: string): Promise<boolean> {
  return Deno.stat(path).then(() => true, () => false);
}
