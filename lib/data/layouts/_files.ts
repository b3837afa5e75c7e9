/**
 * Directory helpers shared by the layouts.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";

/** Sorted entries of `dir`, or an `InputFileError` if it is missing or not a folder. */
export async function listDir(dir: string, what: string): Promise<Deno.DirEntry[]> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) entries.push(entry);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputFileError(what, dir, "folder does not exist");
    }
    if (error instanceof Deno.errors.NotADirectory) {
      throw new InputFileError(what, dir, "is not a folder");
    }
    throw error;
  }
  return entries.sort((a, b) => naturalCompare(a.name, b.name));
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
