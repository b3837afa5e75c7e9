/**
 * Atomic file placement: a file appears at its path complete or not at all,
 * whenever the process is killed. Contents go to a temporary file in the same
 * folder (`<path>.<random>.tmp`), are flushed to disk (`fsync`), and the
 * temporary file is renamed over the destination; the folder is then synced
 * so that the rename itself survives a power cut where the OS allows it.
 *
 * @module
 */

/**
 * Writes bytes to `path` atomically.
 *
 * @param path The destination.
 * @param bytes The contents.
 * @returns Nothing; resolves when the file is in place.
 * @example
 * ```ts
 * import { writeAtomic } from "./write_atomic.ts";
 * const dir = await Deno.makeTempDir();
 * await writeAtomic(`${dir}/a.txt`, "hello");
 * if ((await Deno.readTextFile(`${dir}/a.txt`)) !== "hello") throw new Error("not written");
 * ```
 */
export async function writeAtomic(path: string, bytes: Uint8Array | string): Promise<void> {
  const data = typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes;
  const tmp = tempName(path);
  try {
    const file = await Deno.open(tmp, { write: true, createNew: true });
    try {
      let at = 0;
      while (at < data.length) at += await file.write(data.subarray(at));
      await file.sync();
    } finally {
      file.close();
    }
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
  await syncFolder(path);
}

/**
 * Places a copy of the complete file `from` at `to` atomically: a hard link
 * (no bytes copied; `from` may later be replaced by a rename without changing
 * `to`), or where the file system has none, a copy flushed to disk, then a
 * rename over `to`.
 *
 * @param from An existing, complete file (e.g. written by {@linkcode writeAtomic}).
 * @param to The destination, in the same folder or file system.
 * @returns Nothing; resolves when `to` is in place.
 */
export async function copyAtomic(from: string, to: string): Promise<void> {
  const tmp = tempName(to);
  try {
    try {
      await Deno.link(from, tmp);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) throw error;
      await Deno.copyFile(from, tmp);
      const file = await Deno.open(tmp, { read: true, write: true });
      try {
        await file.sync();
      } finally {
        file.close();
      }
    }
    await Deno.rename(tmp, to);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw error;
  }
  await syncFolder(to);
}

function tempName(path: string): string {
  return `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

/** Best effort: not every OS or file system lets a folder be opened and synced. */
async function syncFolder(path: string): Promise<void> {
  const slash = path.lastIndexOf("/");
  const dir = slash < 0 ? "." : slash === 0 ? "/" : path.slice(0, slash);
  try {
    // never prompt for a read permission the task was not given
    if (Deno.permissions.querySync({ name: "read", path: dir }).state !== "granted") return;
    const handle = await Deno.open(dir, { read: true });
    try {
      await handle.sync();
    } finally {
      handle.close();
    }
  } catch {
    // e.g. Windows, or a read permission that stops at files
  }
}
