/**
 * An exclusive lock on a run folder, so that two processes never train into
 * one folder: `<runDir>/run.lock` holds the owner's pid, host and start time,
 * and the owner holds an exclusive OS lock (`flock`) on it for as long as it
 * runs. The OS drops that lock when the process ends in any way (`kill -9`
 * included), so a lock file left by a dead process is recognised as stale and
 * taken over, with a message naming the old owner.
 *
 * Limits: `flock` is per host; on a network file system that does not pass
 * locks between hosts, two hosts can still both take a folder.
 *
 * @module
 */

/** Name of the lock file inside a run folder. */
export const RUN_LOCK_FILE = "run.lock";

/** Who holds (or held) a run folder. */
export interface RunLockOwner {
  readonly pid: number;
  readonly host: string;
  /** ISO time the lock was taken. */
  readonly started: string;
}

/** A held lock; release it (or let `await using` release it) when the run ends. */
export interface RunLock extends AsyncDisposable {
  /** The lock file. */
  readonly path: string;
  /** Removes the lock file and drops the OS lock; also removes a folder this lock created that stayed empty. */
  release(): Promise<void>;
}

/**
 * Takes the lock of `dir`, creating the folder if needed.
 *
 * @param dir The run folder.
 * @param options `log` receives the message when a stale lock is taken over
 *   (default: `console.error`).
 * @returns The held lock.
 * @throws {Deno.errors.Busy} If another live process holds the folder; the
 *   message names its pid, host and start time.
 * @example
 * ```ts
 * import { acquireRunLock } from "./run_lock.ts";
 * const dir = await Deno.makeTempDir();
 * await using _lock = await acquireRunLock(`${dir}/run`);
 * // a second acquireRunLock(`${dir}/run`) now throws Deno.errors.Busy
 * ```
 */
export async function acquireRunLock(
  dir: string,
  options: { readonly log?: (line: string) => void } = {},
): Promise<RunLock> {
  const log = options.log ?? ((line: string) => console.error(line));
  const created = !(await Deno.stat(dir).then(() => true, () => false));
  await Deno.mkdir(dir, { recursive: true });
  const path = `${dir}/${RUN_LOCK_FILE}`;
  for (let attempt = 0; attempt < 10; attempt++) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    let held = false;
    try {
      if (!(await file.tryLock(true))) {
        const owner = describeOwner(await readOwner(file));
        throw new Deno.errors.Busy(
          `Run folder "${dir}" is in use by ${owner}: wait for that run to end, or set another run.name`,
        );
      }
      // The file may have been removed (released) between our open and our lock.
      const mine = await file.stat();
      const now = await Deno.stat(path).catch(() => null);
      if (now === null || now.ino !== mine.ino || now.dev !== mine.dev) continue;
      const previous = await readOwner(file);
      if (previous !== null) {
        log(
          `Taking over the stale lock of run folder "${dir}": ${
            describeOwner(previous)
          } no longer holds it (the process ended without releasing it)`,
        );
      }
      const me: RunLockOwner = {
        pid: Deno.pid,
        host: hostname(),
        started: new Date().toISOString(),
      };
      await file.truncate(0);
      await file.seek(0, Deno.SeekMode.Start);
      await file.write(new TextEncoder().encode(JSON.stringify(me) + "\n"));
      await file.sync();
      held = true;
      let released = false;
      const release = async () => {
        if (released) return;
        released = true;
        await Deno.remove(path).catch(() => {});
        file.close(); // drops the OS lock
        if (created) await Deno.remove(dir).catch(() => {}); // only if still empty
      };
      return { path, release, [Symbol.asyncDispose]: release };
    } finally {
      if (!held) file.close();
    }
  }
  throw new Deno.errors.Busy(`Run folder "${dir}": its lock file keeps changing; try again`);
}

async function readOwner(file: Deno.FsFile): Promise<RunLockOwner | null> {
  await file.seek(0, Deno.SeekMode.Start);
  const buffer = new Uint8Array(4096);
  let length = 0;
  for (;;) {
    const n = await file.read(buffer.subarray(length));
    if (n === null || n === 0) break;
    length += n;
    if (length === buffer.length) break;
  }
  const text = new TextDecoder().decode(buffer.subarray(0, length)).trim();
  if (text === "") return null;
  try {
    const owner = JSON.parse(text) as Partial<RunLockOwner>;
    return {
      pid: Number(owner.pid),
      host: String(owner.host ?? "?"),
      started: String(owner.started ?? "?"),
    };
  } catch {
    return { pid: NaN, host: "?", started: "?" }; // a lock file cut short by a crash
  }
}

function describeOwner(owner: RunLockOwner | null): string {
  if (owner === null) return "another process (no owner written yet)";
  return `pid ${owner.pid} on host "${owner.host}" (since ${owner.started})`;
}

/** The host name where permission to read it was granted, else "unknown" (never prompts). */
function hostname(): string {
  try {
    if (Deno.permissions.querySync({ name: "sys", kind: "hostname" }).state !== "granted") {
      return "unknown";
    }
    return Deno.hostname();
  } catch {
    return "unknown";
  }
}
