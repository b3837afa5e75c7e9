/**
 * Content hashes of files and JSON values, used to skip cached work whose
 * inputs did not change.
 *
 * @module
 */

/**
 * SHA-256 of a file's bytes.
 *
 * @param path The file.
 * @returns Lowercase hex digest and the byte length.
 */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const bytes = await Deno.readFile(path);
  return { sha256: await sha256Hex(bytes), bytes: bytes.length };
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
