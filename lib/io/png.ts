/**
 * PNG input and output through `pngjs` (`PNG.sync.read` / `PNG.sync.write`),
 * for 2D datasets such as BUSI and for writing predictions and overlays.
 *
 * pngjs decodes every PNG (1/2/4/8/16-bit, gray, RGB, palette, with or without
 * alpha) to 8-bit RGBA, so the readers here accept all of them.
 *
 * Before pngjs sees a file, the readers check what libpng checks first: the
 * signature, that the first chunk is a 13-byte `IHDR` with a valid CRC, and
 * its fields (width and height in [1, 2^31 - 1], a bit depth allowed for the
 * colour type, compression, filter and interlace methods); then the pixel
 * count against `maxPixels`, so that a small file claiming a huge image is
 * refused before anything is allocated; then that every chunk is whole, that
 * the critical ones have valid CRCs, and that the `IDAT` data inflates to at least the bytes the header needs (pngjs
 * alone would fill missing rows silently; libpng stops with "Not enough
 * image data"). Bytes after `IEND` are ignored, as libpng ignores them.
 *
 * Reference: PNG specification (W3C, 2nd edition), sections 5.2-5.3 and 11.2.2.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import * as zlib from "node:zlib";
import { PNG } from "pngjs";
import { InputFileError } from "../errors.ts";
import { readInputFile } from "./read_input.ts";
import { writeAtomic } from "./write_atomic.ts";

/** Options of the PNG readers. */
export interface ReadPngOptions {
  /** Most pixels (width x height) accepted, checked from `IHDR` before decoding. Default: no limit. */
  readonly maxPixels?: number;
}

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Bit depths allowed per colour type (PNG spec 11.2.2). */
const DEPTHS: Readonly<Record<number, readonly number[]>> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};

/** Channels per colour type. */
const CHANNELS: Readonly<Record<number, number>> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7 passes: x0, y0, dx, dy. */
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [
  0,
  1,
  1,
  2,
]] as const;

interface PngHeader {
  readonly width: number;
  readonly height: number;
  readonly depth: number;
  readonly color: number;
  readonly interlace: number;
}

/** `IHDR` of a PNG file's bytes, checked field by field; throws an `InputFileError` naming the field. */
function checkHeader(bytes: Uint8Array, path: string, maxPixels: number): PngHeader {
  const fail = (reason: string): never => {
    throw new InputFileError("PNG", path, reason);
  };
  if (bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) {
    fail("signature is not the PNG signature (not a PNG file)");
  }
  if (bytes.length < 33) fail(`file has ${bytes.length} bytes, too few for the IHDR chunk`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const type = String.fromCharCode(...bytes.subarray(12, 16));
  if (view.getUint32(8) !== 13 || type !== "IHDR") {
    fail(`first chunk is "${type}" of ${view.getUint32(8)} bytes, not the 13-byte IHDR`);
  }
  if (crc32(bytes.subarray(12, 29)) !== view.getUint32(29)) fail("IHDR CRC does not match");
  const width = view.getUint32(16), height = view.getUint32(20);
  const [depth = 0, color = 0, compression = 0, filter = 0, interlace = 0] = bytes.subarray(24, 29);
  for (const [name, v] of [["width", width], ["height", height]] as const) {
    if (v < 1 || v > 2 ** 31 - 1) fail(`IHDR ${name} is ${v}, not in [1, 2^31 - 1]`);
  }
  const allowed = DEPTHS[color];
  if (!allowed) fail(`IHDR colour type ${color} is not 0, 2, 3, 4 or 6`);
  if (!allowed?.includes(depth)) {
    fail(
      `IHDR bit depth ${depth} is not allowed for colour type ${color} (${allowed?.join(", ")})`,
    );
  }
  if (compression !== 0) fail(`IHDR compression method ${compression} is not 0`);
  if (filter !== 0) fail(`IHDR filter method ${filter} is not 0`);
  if (interlace > 1) fail(`IHDR interlace method ${interlace} is not 0 or 1`);
  if (width * height > maxPixels) {
    fail(
      `IHDR size ${width} x ${height} is ${width * height} pixels, more than maxPixels ` +
        `${maxPixels} (the maxPixels setting)`,
    );
  }
  return { width, height, depth, color, interlace };
}

/**
 * Walks the chunks after `IHDR` to `IEND` (each must be whole) and inflates
 * the `IDAT` data, which must hold at least the filtered rows the header needs.
 * Returns where `IEND` ends.
 */
function checkImageData(bytes: Uint8Array, header: PngHeader, path: string): number {
  const fail = (reason: string): never => {
    throw new InputFileError("PNG", path, reason);
  };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const idat: Uint8Array[] = [];
  let at = 33;
  for (;;) {
    if (at + 12 > bytes.length) fail(`file ends at byte ${bytes.length} before the IEND chunk`);
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + length > bytes.length) {
      fail(`chunk "${type}" at byte ${at} is truncated (${length} data bytes declared)`);
    }
    const critical = type.charCodeAt(0) < 0x61; // upper case: libpng stops on a bad CRC
    if (
      critical && crc32(bytes.subarray(at + 4, at + 8 + length)) !== view.getUint32(at + 8 + length)
    ) {
      fail(`chunk "${type}" at byte ${at}: CRC does not match`);
    }
    if (type === "IDAT") idat.push(bytes.subarray(at + 8, at + 8 + length));
    at += 12 + length;
    if (type === "IEND") break;
  }
  if (idat.length === 0) fail("has no IDAT chunk");
  const bits = header.depth * (CHANNELS[header.color] ?? 1);
  const rowBytes = (w: number) => (w > 0 ? 1 + Math.ceil((w * bits) / 8) : 0);
  const { width: w, height: h } = header;
  const need = header.interlace === 0 ? h * rowBytes(w) : ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) => {
      const cols = Math.max(0, Math.ceil((w - x0) / dx)),
        rows = Math.max(0, Math.ceil((h - y0) / dy));
      return sum + (cols > 0 ? rows * rowBytes(cols) : 0);
    },
    0,
  );
  const stream = new Uint8Array(idat.reduce((n, c) => n + c.length, 0));
  idat.reduce((offset, c) => (stream.set(c, offset), offset + c.length), 0);
  let got: number;
  try {
    // never more than the header needs: extra data is what libpng only warns about
    got =
      zlib.inflateSync(stream, { finishFlush: zlib.constants.Z_SYNC_FLUSH, maxOutputLength: need })
        .length;
  } catch (error) {
    if (error instanceof RangeError) return at; // more than needed
    return fail(`IDAT data cannot be inflated (${error instanceof Error ? error.message : error})`);
  }
  if (got < need) {
    fail(
      `IDAT data holds ${got} bytes of rows, IHDR ${w} x ${h} (bit depth ${header.depth}, colour ` +
        `type ${header.color}) needs ${need}`,
    );
  }
  return at;
}

let crcTable: Uint32Array | null = null;

/** CRC-32 as PNG and gzip use it (polynomial 0xEDB88320). */
function crc32(bytes: Uint8Array): number {
  if (crcTable === null) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = (crcTable[(c ^ b) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** A decoded 2D image, row-major (HWC). */
export interface Image2D<T extends Float32Array | Uint8Array> {
  readonly width: number;
  readonly height: number;
  readonly channels: number;
  /** `[height, width, channels]` values, row-major. */
  readonly data: T;
}

/** Decodes PNG bytes to 8-bit RGBA, or throws an `InputFileError` naming `path`. */
function decodeRgba(
  bytes: Uint8Array,
  path: string,
  options: ReadPngOptions,
): { width: number; height: number; rgba: Uint8Array } {
  const end = checkImageData(bytes, checkHeader(bytes, path, options.maxPixels ?? Infinity), path);
  try {
    // pngjs refuses bytes after IEND, which libpng ignores
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, end));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputFileError("PNG", path, `chunks after IHDR cannot be decoded (${detail})`);
  }
}

/**
 * Reads a PNG as a single-channel float image: the BT.601 luma
 * `0.299 R + 0.587 G + 0.114 B` of each pixel, in [0, 255] (alpha is ignored).
 * For gray images (and BUSI's gray-in-RGB images) this is the gray value itself.
 *
 * @param path A `.png` file.
 * @param options `maxPixels`.
 * @returns `channels` 1, `data` float32 `[height, width]`.
 * @throws {InputFileError} If the file is missing, not a valid PNG, or larger than `maxPixels`.
 * @example
 * ```ts ignore
 * const img = await readPngImage("busi/benign/benign (1).png");
 * img.width; // 562
 * ```
 */
export async function readPngImage(
  path: string,
  options: ReadPngOptions = {},
): Promise<Image2D<Float32Array>> {
  const { width, height, rgba } = decodeRgba(await readInputFile(path, "PNG"), path, options);
  const data = new Float32Array(width * height);
  for (let i = 0, p = 0; i < data.length; i++, p += 4) {
    data[i] = 0.299 * (rgba[p] as number) + 0.587 * (rgba[p + 1] as number) +
      0.114 * (rgba[p + 2] as number);
  }
  return { width, height, channels: 1, data };
}

/**
 * Reads a PNG mask as {0, 1}: a pixel is 1 when its brightest colour channel is
 * at least 128 and it is not transparent (alpha at least 128). This covers
 * 1-bit gray masks (0/1 scaled to 0/255 by the decoder) and 8-bit RGB/RGBA masks.
 *
 * @param path A `.png` file.
 * @param options `maxPixels`.
 * @returns `channels` 1, `data` uint8 `[height, width]` in {0, 1}.
 * @throws {InputFileError} If the file is missing, not a valid PNG, or larger than `maxPixels`.
 */
export async function readPngMask(
  path: string,
  options: ReadPngOptions = {},
): Promise<Image2D<Uint8Array>> {
  const { width, height, rgba } = decodeRgba(await readInputFile(path, "PNG"), path, options);
  const data = new Uint8Array(width * height);
  for (let i = 0, p = 0; i < data.length; i++, p += 4) {
    const bright = Math.max(rgba[p] as number, rgba[p + 1] as number, rgba[p + 2] as number);
    data[i] = bright >= 128 && (rgba[p + 3] as number) >= 128 ? 1 : 0;
  }
  return { width, height, channels: 1, data };
}

/**
 * Encodes an 8-bit gray (`channels` 1) or RGB (`channels` 3) image as PNG.
 * Masks in {0, 1} should be scaled (e.g. by 255) first to be visible.
 *
 * @param image Row-major 8-bit pixels.
 * @returns The PNG file's bytes.
 * @throws {RangeError} If `channels` is not 1 or 3, or `data.length` is not
 *   `width * height * channels`.
 */
export function encodePng(image: Image2D<Uint8Array>): Uint8Array {
  const { width, height, channels, data } = image;
  if (channels !== 1 && channels !== 3) {
    throw new RangeError(`Cannot write PNG: channels is ${channels}, not 1 (gray) or 3 (RGB)`);
  }
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`Cannot write PNG: size ${width}x${height} is not positive integers`);
  }
  if (data.length !== width * height * channels) {
    throw new RangeError(
      `Cannot write PNG: data has ${data.length} values, ${width}x${height}x${channels} needs ${
        width * height * channels
      }`,
    );
  }
  const png = new PNG({ width, height, colorType: channels === 1 ? 0 : 2, inputColorType: 6 });
  const rgba = png.data;
  for (let i = 0; i < width * height; i++) {
    const p = 4 * i;
    if (channels === 1) {
      const v = data[i] as number;
      rgba[p] = v;
      rgba[p + 1] = v;
      rgba[p + 2] = v;
    } else {
      rgba[p] = data[3 * i] as number;
      rgba[p + 1] = data[3 * i + 1] as number;
      rgba[p + 2] = data[3 * i + 2] as number;
    }
    rgba[p + 3] = 255;
  }
  const out = PNG.sync.write(png, { colorType: channels === 1 ? 0 : 2, inputColorType: 6 });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/**
 * Writes an 8-bit gray or RGB PNG atomically (temp file, then rename).
 *
 * @param path Destination `.png`.
 * @param image Row-major 8-bit pixels, `channels` 1 or 3.
 * @returns Nothing; resolves when the file is in place.
 * @throws {RangeError} As {@linkcode encodePng}.
 */
export async function writePng(path: string, image: Image2D<Uint8Array>): Promise<void> {
  const bytes = encodePng(image);
  await writeAtomic(path, bytes);
}
