/**
 * Gzip helpers. Decompression reads gzip as Python's `gzip` module (and so
 * nibabel) reads it: every member of a multi-member file in turn, trailing
 * bytes after the last member ignored, and never more output than asked for,
 * so a small file that claims a huge size cannot exhaust memory.
 *
 * Reference: RFC 1952 (GZIP file format), section 2.3 member header.
 *
 * @module
 */

import * as zlib from "node:zlib";

/** True if `bytes` start with the gzip magic number `1f 8b`. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** What {@linkcode gunzipPrefix} decoded. */
export interface GunzipResult {
  /** The first `min(keep, size)` decompressed bytes. */
  readonly data: Uint8Array;
  /** Bytes decompressed, at most `limit`. */
  readonly size: number;
  /** True when every member ended before `limit` bytes (the whole content is in `data`). */
  readonly complete: boolean;
  /** Why decompression stopped early, when it did before `limit` bytes. */
  readonly error: string | null;
}

/**
 * Decompresses at most `limit` bytes of gzip data and keeps the first `keep`
 * of them (the rest are only counted). Members are decoded one after the
 * other; after a member, anything that is not another gzip header (zero
 * padding, junk) is ignored. A corrupt or truncated stream is reported in
 * `error` with the bytes decoded before it, so a reader that needs fewer can
 * still use them, as Python's `gzip` reading only what it needs would.
 *
 * @param bytes Gzip data.
 * @param limit Most bytes decoded.
 * @param keep Most bytes kept (default `limit`).
 * @returns The bytes kept, how many were decoded, whether that was all, and
 *   the error that ended decoding early.
 * @example
 * ```ts
 * import { gunzipPrefix, gzip } from "./_gzip.ts";
 * const packed = await gzip(new Uint8Array(1000).fill(7));
 * const head = await gunzipPrefix(packed, 100, 10);
 * if (head.data.length !== 10 || head.size !== 100 || head.complete) throw new Error("bad prefix");
 * ```
 */
export async function gunzipPrefix(
  bytes: Uint8Array,
  limit: number,
  keep: number = limit,
): Promise<GunzipResult> {
  const parts: Uint8Array[] = [];
  let size = 0;
  let at = 0;
  const result = (complete: boolean, error: string | null): GunzipResult => ({
    data: join(parts, Math.min(size, keep)),
    size,
    complete,
    error,
  });
  while (size < limit) {
    if (at >= bytes.length || !isGzip(bytes.subarray(at))) {
      return at === 0 ? result(false, "not gzip data") : result(true, null);
    }
    const start = memberDataStart(bytes, at);
    if (typeof start === "string") return result(false, start);
    const member = await inflateMember(bytes.subarray(start), {
      limit: limit - size,
      keep: Math.max(0, keep - size),
    });
    parts.push(...member.parts);
    size += member.bytes;
    if (member.error !== null) return result(false, member.error);
    if (member.consumed === null) break; // stopped at the limit
    at = start + member.consumed + 8; // CRC32 and ISIZE follow the deflate data
  }
  return result(false, null);
}

/**
 * Decompresses a whole gzip buffer (all members).
 *
 * @param bytes Gzip data (one or more members, trailing bytes ignored).
 * @returns The decompressed bytes.
 * @throws {TypeError} If the data is truncated or corrupt.
 */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  const out = await gunzipPrefix(bytes, Number.MAX_SAFE_INTEGER);
  if (out.error !== null) throw new TypeError(out.error);
  return out.data;
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

/** Offset of a member's deflate data (RFC 1952 2.3), or what is wrong with its header. */
function memberDataStart(bytes: Uint8Array, at: number): number | string {
  const cut = "member header is truncated";
  if (at + 10 > bytes.length) return cut;
  if (bytes[at + 2] !== 8) return `compression method ${bytes[at + 2]} is not deflate (8)`;
  const flags = bytes[at + 3] as number;
  let p = at + 10;
  if (flags & 4) { // FEXTRA
    if (p + 2 > bytes.length) return cut;
    p += 2 + ((bytes[p] as number) | ((bytes[p + 1] as number) << 8));
  }
  for (const bit of [8, 16]) { // FNAME, FCOMMENT: zero-terminated
    if (flags & bit) {
      while (p < bytes.length && bytes[p] !== 0) p++;
      p++;
    }
  }
  if (flags & 2) p += 2; // FHCRC
  return p <= bytes.length ? p : cut;
}

/** Inflates one member's deflate data, stopping after `limit` output bytes, keeping `keep`. */
function inflateMember(
  data: Uint8Array,
  { limit, keep }: { limit: number; keep: number },
): Promise<{ parts: Uint8Array[]; bytes: number; consumed: number | null; error: string | null }> {
  const parts: Uint8Array[] = [];
  let bytes = 0;
  if (data.length === 0) {
    return Promise.resolve({ parts, bytes, consumed: null, error: "deflate data is missing" });
  }
  const inflate = zlib.createInflateRaw();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (consumed: number | null, error: string | null) => {
      if (settled) return;
      settled = true;
      inflate.removeAllListeners("data");
      inflate.destroy();
      resolve({ parts, bytes, consumed, error });
    };
    inflate.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      const take = Math.min(chunk.length, limit - bytes);
      const kept = Math.min(take, Math.max(0, keep - bytes));
      if (kept > 0) parts.push(new Uint8Array(chunk.buffer, chunk.byteOffset, kept));
      bytes += take;
      if (bytes >= limit) finish(null, null);
    });
    inflate.on("error", (error: Error) => finish(null, `deflate data: ${error.message}`));
    inflate.on("end", () => {
      finish((inflate as unknown as { bytesWritten: number }).bytesWritten, null);
    });
    inflate.end(data);
  });
}

function join(parts: readonly Uint8Array[], length: number): Uint8Array {
  if (parts.length === 1 && parts[0]?.length === length) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    const n = Math.min(part.length, length - at);
    out.set(part.subarray(0, n), at);
    at += n;
  }
  return out;
}
