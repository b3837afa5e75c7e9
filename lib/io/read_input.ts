/**
 * Reading input files (scans, images, masks) so that every file-system
 * failure becomes an `InputFileError` naming the file and what is wrong with
 * it: missing, a folder, a dangling symlink, a symlink loop, unreadable.
 * Symlinks are followed.
 *
 * @module
 */

import { InputFileError } from "../errors.ts";

/**
 * Says what is wrong with `path` after a file-system error, or `null` when the
 * error is not a file-system error.
 *
 * @param error What a `Deno` file call threw.
 * @returns A reason such as `"is a directory"`, or `null`.
 */
export function fsErrorReason(error: unknown): string | null {
  const e = Deno.errors;
  if (error instanceof e.NotFound) return "file does not exist";
  if (error instanceof e.IsADirectory) return "is a directory, not a file";
  if (error instanceof e.FilesystemLoop) {
    return "is a symlink loop (too many levels of symbolic links)";
  }
  if (error instanceof e.NotADirectory) return "a folder in its path is a file";
  if (error instanceof e.PermissionDenied || error instanceof e.NotCapable) {
    return `cannot be read (${(error as Error).message})`;
  }
  if (error instanceof Error && Object.values(e).some((cls) => error instanceof cls)) {
    return `cannot be read (${error.message})`;
  }
  return null;
}

/**
 * Turns a file-system error about `path` into an `InputFileError`; other
 * errors are returned unchanged. A missing file that is a symlink is called a
 * dangling symlink.
 *
 * @param what The kind of file, e.g. `"NIfTI"`.
 * @param path The file.
 * @param error What was thrown.
 * @returns The error to throw.
 */
export async function inputError(what: string, path: string, error: unknown): Promise<unknown> {
  const reason = fsErrorReason(error);
  if (reason === null) return error;
  if (error instanceof Deno.errors.NotFound) {
    const link = await Deno.lstat(path).then((s) => s.isSymlink, () => false);
    if (link) {
      const target = await Deno.readLink(path).catch(() => "?");
      return new InputFileError(what, path, `is a symlink to "${target}", which does not exist`);
    }
  }
  return new InputFileError(what, path, reason);
}

/**
 * Reads a whole file.
 *
 * @param path The file (symlinks followed).
 * @param what The kind of file, for messages.
 * @returns Its bytes.
 * @throws {InputFileError} If it cannot be read.
 */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw await inputError(what, path, error);
  }
}

/**
 * Reads the first `length` bytes of a file (fewer if it is shorter) and its size.
 *
 * @param path The file (symlinks followed).
 * @param what The kind of file, for messages.
 * @param length Bytes wanted from the start.
 * @returns The bytes and the file's size in bytes.
 * @throws {InputFileError} If it cannot be read.
 */
export async function readInputPrefix(
  path: string,
  what: string,
  length: number,
): Promise<{ bytes: Uint8Array; size: number }> {
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path);
    const { size, isFile, isDirectory } = await file.stat();
    if (isDirectory) throw new InputFileError(what, path, "is a directory, not a file");
    if (!isFile) throw new InputFileError(what, path, "is not a regular file");
    const bytes = new Uint8Array(Math.min(length, size));
    let at = 0;
    while (at < bytes.length) {
      const n = await file.read(bytes.subarray(at));
      if (n === null) break;
      at += n;
    }
    return { bytes: at === bytes.length ? bytes : bytes.subarray(0, at), size };
  } catch (error) {
    throw await inputError(what, path, error);
  } finally {
    file?.close();
  }
}
