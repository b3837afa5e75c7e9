/**
 * The safetensors file format (Hugging Face), float32 only: an 8-byte
 * little-endian header length N, N bytes of JSON (`{"<name>": {"dtype": "F32",
 * "shape": [...], "data_offsets": [begin, end]}, ..., "__metadata__": {...}}`,
 * padded with spaces so the data starts at a multiple of 8), then the tensors'
 * bytes, little-endian and row-major, back to back with no holes. Offsets count
 * from the first data byte. PyTorch, numpy and JAX read it without running
 * code from the file.
 *
 * @module
 */

/** One float32 tensor, row-major. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A decoded file. */
export interface Safetensors {
  readonly tensors: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;
  /** The `__metadata__` strings (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
}

const METADATA = "__metadata__";

/**
 * Encodes tensors and string metadata as a safetensors file, in the given order.
 *
 * @param tensors Float32 tensors; names must be unique and not `__metadata__`.
 * @param metadata Free-form strings stored in `__metadata__`.
 * @returns The file's bytes.
 * @throws {RangeError} On a duplicate name or a shape that does not match the data.
 * @example
 * ```ts
 * import { decodeSafetensors, encodeSafetensors } from "./safetensors.ts";
 * const bytes = encodeSafetensors([{ name: "w", shape: [2], data: Float32Array.of(1, 2) }], {});
 * if (decodeSafetensors(bytes).tensors.get("w")?.data[1] !== 2) throw new Error();
 * ```
 */
export function encodeSafetensors(
  tensors: readonly NamedTensor[],
  metadata: Readonly<Record<string, string>>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header[METADATA] = { ...metadata };
  let offset = 0;
  for (const t of tensors) {
    if (t.name === METADATA || t.name in header) {
      throw new RangeError(`Cannot encode safetensors: tensor name "${t.name}" is not unique`);
    }
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (size !== t.data.length) {
      throw new RangeError(
        `Cannot encode safetensors: tensor "${t.name}" has shape [${t.shape}] but ${t.data.length} values`,
      );
    }
    header[t.name] = {
      dtype: "F32",
      shape: [...t.shape],
      data_offsets: [offset, offset + 4 * size],
    };
    offset += 4 * size;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const headerLength = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + headerLength + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(headerLength), true);
  bytes.fill(0x20, 8, 8 + headerLength);
  bytes.set(json, 8);
  let at = 8 + headerLength;
  for (const t of tensors) {
    for (let i = 0; i < t.data.length; i++, at += 4) view.setFloat32(at, t.data[i]!, true);
  }
  return bytes;
}

/**
 * Decodes a safetensors file holding float32 tensors, checking what the format
 * requires: the header length, its JSON, every offset inside the data, and the
 * data covered exactly once.
 *
 * @param bytes The file's bytes.
 * @param path For messages.
 * @returns Tensors (copies) and metadata.
 * @throws {SyntaxError} If the file breaks the format or holds another dtype.
 */
export function decodeSafetensors(bytes: Uint8Array, path = "safetensors file"): Safetensors {
  const fail = (why: string) => new SyntaxError(`Cannot read "${path}": ${why}`);
  if (bytes.length < 8) throw fail("shorter than its 8-byte header length");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = Number(view.getBigUint64(0, true));
  if (8 + headerLength > bytes.length) throw fail(`header length ${headerLength} is past the end`);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    throw fail(`header is not JSON (${(error as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const dataLength = bytes.length - dataStart;
  const tensors = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  const spans: [number, number][] = [];
  for (const [name, entry] of Object.entries(header)) {
    if (name === METADATA) continue;
    const { dtype, shape, data_offsets: offsets } = entry as {
      dtype?: unknown;
      shape?: unknown;
      data_offsets?: unknown;
    };
    if (dtype !== "F32") throw fail(`tensor "${name}" has dtype ${JSON.stringify(dtype)}, not F32`);
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw fail(`tensor "${name}" has no valid shape`);
    }
    const [begin, end] = Array.isArray(offsets) ? offsets : [];
    const size = (shape as number[]).reduce((a, b) => a * b, 1);
    if (
      !Number.isInteger(begin) || !Number.isInteger(end) || begin < 0 || end > dataLength ||
      end - begin !== 4 * size
    ) {
      throw fail(
        `tensor "${name}" has data_offsets ${JSON.stringify(offsets)} for shape [${shape}]`,
      );
    }
    const data = new Float32Array(size);
    for (let i = 0; i < size; i++) data[i] = view.getFloat32(dataStart + begin + 4 * i, true);
    tensors.set(name, { shape, data });
    spans.push([begin, end]);
  }
  spans.sort((a, b) => a[0] - b[0]);
  let covered = 0;
  for (const [begin, end] of spans) {
    if (begin !== covered) throw fail(`data has a hole or an overlap at byte ${begin}`);
    covered = end;
  }
  if (covered !== dataLength) throw fail(`data has ${dataLength - covered} bytes no tensor uses`);
  const metadata = (header[METADATA] ?? {}) as Record<string, string>;
  return { tensors, metadata };
}
