/**
 * Content hashes of files and JSON values, used to skip cached work whose
 * inputs did not change.
 *
 * @module
 */

import { createHash } from "node:crypto";
import { inputError } from "./read_input.ts";

/**
 * SHA-256 of a file's bytes, read in chunks (memory does not grow with the
 * file). Symlinks are followed.
 *
 * @param path The file.
 * @returns Lowercase hex digest and the byte length.
 * @throws {InputFileError} If the file cannot be read (missing, a folder, a
 *   dangling symlink or a symlink loop).
 */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash("sha256");
  let bytes = 0;
  let file: Deno.FsFile | undefined;
  try {
    file = await Deno.open(path);
    const chunk = new Uint8Array(1 << 20);
    for (;;) {
      const n = await file.read(chunk);
      if (n === null) break;
      hash.update(chunk.subarray(0, n));
      bytes += n;
    }
  } catch (error) {
    throw await inputError("input file", path, error);
  } finally {
    file?.close();
  }
  return { sha256: hash.digest("hex"), bytes };
}

/**
 * SHA-256 of a JSON-serialisable value, with object keys sorted so that key
 * order does not matter.
 *
 * @param value Plain data.
 * @returns Lowercase hex digest.
 */
export async function hashJson(value: unknown): Promise<string> {
  const canonical = JSON.stringify(
    value,
    (_key, v: unknown) =>
      v && typeof v === "object" && !Array.isArray(v)
        ? Object.fromEntries(
          Object.entries(v as Record<string, unknown>).sort((
            [a],
            [b],
          ) => (a < b ? -1 : a > b ? 1 : 0)),
        )
        : v,
  );
  return await sha256Hex(new TextEncoder().encode(canonical));
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
