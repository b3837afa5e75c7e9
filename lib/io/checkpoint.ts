/**
 * Checkpoints: named float32 tensors plus a JSON header (the resolved config,
 * epoch, step, anything else a run needs to resume), in one file written
 * atomically (temp file + rename), so a crash never leaves half a checkpoint.
 *
 * Layout: `MEDMIMCK` | u32 version | u32 header bytes | header JSON (UTF-8,
 * padded with spaces to 4 bytes) | the tensors' float32 data, little-endian,
 * at the offsets the header lists.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { writeAtomic } from "./write_atomic.ts";

export { writeAtomic };

const MAGIC = "MEDMIMCK";
const VERSION = 1;

/** A tensor's place in a checkpoint. */
export interface TensorEntry {
  readonly name: string;
  readonly shape: readonly number[];
  /** Offset in float32 elements from the start of the data section. */
  readonly offset: number;
}

/** A loaded checkpoint. */
export interface Checkpoint {
  /** Whatever the writer put in the header (config, epoch, ...). */
  readonly meta: Record<string, unknown>;
  /** Tensors by name. */
  readonly tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
}

/**
 * Writes `tensors` and `meta` to `path` atomically.
 *
 * @param path The checkpoint file.
 * @param tensors Named tensors (read asynchronously from any backend).
 * @param meta JSON-serialisable metadata.
 */
export async function saveCheckpoint(
  path: string,
  tensors: ReadonlyMap<string, tf.Tensor>,
  meta: Record<string, unknown>,
): Promise<void> {
  const entries: TensorEntry[] = [];
  const arrays: Float32Array[] = [];
  let offset = 0;
  for (const [name, tensor] of tensors) {
    const data = await tensor.data();
    const values = data instanceof Float32Array
      ? data
      : Float32Array.from(data as ArrayLike<number>);
    entries.push({ name, shape: tensor.shape, offset });
    arrays.push(values);
    offset += values.length;
  }
  let header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const padded = Math.ceil(header.length / 4) * 4;
  if (padded !== header.length) {
    const withPad = new Uint8Array(padded).fill(0x20);
    withPad.set(header);
    header = withPad;
  }
  const bytes = new Uint8Array(16 + header.length + offset * 4);
  bytes.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, header.length, true);
  bytes.set(header, 16);
  const data = new Float32Array(bytes.buffer, 16 + header.length, offset);
  entries.forEach((entry, i) => data.set(arrays[i] as Float32Array, entry.offset));
  await writeAtomic(path, bytes);
}

/**
 * Reads a checkpoint.
 *
 * @param path The file.
 * @returns Its metadata and tensors.
 * @throws {SyntaxError} If the file is not a medmim checkpoint or is truncated.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await Deno.readFile(path);
  const magic = new TextDecoder().decode(bytes.subarray(0, 8));
  if (bytes.length < 16 || magic !== MAGIC) {
    throw new SyntaxError(`Cannot load checkpoint "${path}": not a medmim checkpoint`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new SyntaxError(`Cannot load checkpoint "${path}": version ${version} is not ${VERSION}`);
  }
  const headerLength = view.getUint32(12, true);
  if (16 + headerLength > bytes.length) {
    throw new SyntaxError(`Cannot load checkpoint "${path}": the file is truncated`);
  }
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength))) as {
    meta: Record<string, unknown>;
    tensors: TensorEntry[];
  };
  const start = bytes.byteOffset + 16 + headerLength;
  const total = (bytes.length - 16 - headerLength) / 4;
  const copy = new Float32Array(bytes.buffer.slice(start, start + total * 4));
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const entry of header.tensors) {
    const size = entry.shape.reduce((a, b) => a * b, 1);
    if (entry.offset + size > copy.length) {
      throw new SyntaxError(
        `Cannot load checkpoint "${path}": tensor "${entry.name}" is truncated`,
      );
    }
    tensors.set(entry.name, {
      shape: entry.shape,
      data: copy.subarray(entry.offset, entry.offset + size),
    });
  }
  return { meta: header.meta, tensors };
}
