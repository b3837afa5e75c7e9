/**
 * Directory helpers shared by the layouts.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import { inputError } from "../../io/read_input.ts";
import type { CaseRef } from "./case_ref.ts";

/**
 * A folder entry with symlinks followed: `isFile` / `isDirectory` describe the
 * target. A symlink that leads nowhere (dangling, or a loop) has both false and
 * `broken` saying why, so that a layout can report it instead of skipping it.
 */
export interface ListedEntry {
  readonly name: string;
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly isSymlink: boolean;
  /** Why a symlink cannot be followed, e.g. `is a symlink loop (...)`; absent otherwise. */
  readonly broken?: string;
}

/** Sorted entries of `dir` (symlinks followed), or an `InputFileError` if it cannot be listed. */
export async function listDir(dir: string, what: string): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isSymlink) {
        entries.push(entry);
        continue;
      }
      const path = join(dir, entry.name);
      try {
        const target = await Deno.stat(path);
        entries.push({ ...entry, isFile: target.isFile, isDirectory: target.isDirectory });
      } catch (error) {
        const reason = await inputError(what, path, error);
        if (!(reason instanceof InputFileError)) throw reason;
        entries.push({ ...entry, broken: reason.reason });
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputFileError(what, dir, "folder does not exist");
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new InputFileError(what, dir, "is not a folder");
    }
    throw await inputError(what, dir, error);
  }
  return entries.sort((a, b) => naturalCompare(a.name, b.name));
}

/**
 * A case that cannot be read because its entry is a broken symlink; loading it
 * fails with the reason, so the preprocess report lists it.
 *
 * @param caseId The case's id.
 * @param path The entry.
 * @param reason Why it is unreadable.
 * @param format The layout's format.
 * @returns The ref.
 */
export function brokenCase(
  caseId: string,
  path: string,
  reason: string,
  format: "nifti" | "png",
): CaseRef {
  return { caseId, format, images: [path], labels: [], missing: [], unreadable: { path, reason } };
}

/** Compares names so that "case 2" sorts before "case 10". */
export function naturalCompare(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}

/** `dir` joined with `name` with exactly one slash. */
export function join(dir: string, name: string): string {
  return dir.endsWith("/") ? `${dir}${name}` : `${dir}/${name}`;
}

/** True for `.nii` and `.nii.gz` names. */
export function isNiftiName(name: string): boolean {
  return /\.nii(\.gz)?$/i.test(name) && !name.startsWith(".");
}
