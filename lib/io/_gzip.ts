/**
 * Gzip helpers on top of the web `CompressionStream` / `DecompressionStream`.
 *
 * @module
 */

/** True if `bytes` start with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a whole gzip buffer.
 *
 * @param bytes Gzip data (one or more members).
 * @returns The decompressed bytes.
 * @throws {TypeError} From the stream, if the data is truncated or corrupt.
 */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new DecompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * Compresses `bytes` into one gzip member.
 *
 * @param bytes Raw data.
 * @returns Gzip data.
 */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}
