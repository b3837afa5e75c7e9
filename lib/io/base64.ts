/**
 * Base64 of bytes (RFC 4648, with padding), for data URLs.
 *
 * @param bytes Any bytes.
 * @returns The base64 text.
 * @example
 * ```ts
 * import { encodeBase64 } from "./base64.ts";
 * if (encodeBase64(new TextEncoder().encode("medmim")) !== "bWVkbWlt") throw new Error();
 * ```
 */
export function encodeBase64(bytes: Uint8Array): string {
  const chunks: string[] = [];
  const step = 0x8000; // String.fromCharCode takes its arguments on the stack
  for (let i = 0; i < bytes.length; i += step) {
    chunks.push(String.fromCharCode(...bytes.subarray(i, i + step)));
  }
  return btoa(chunks.join(""));
}
