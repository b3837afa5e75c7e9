/**
 * PNG input and output through `pngjs` (`PNG.sync.read` / `PNG.sync.write`),
 * for 2D datasets such as BUSI and for writing predictions and overlays.
 *
 * pngjs decodes every PNG (1/2/4/8/16-bit, gray, RGB, palette, with or without
 * alpha) to 8-bit RGBA, so the readers here accept all of them.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { PNG } from "pngjs";
import { InputFileError } from "../errors.ts";
import { writeAtomic } from "./write_atomic.ts";

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
): { width: number; height: number; rgba: Uint8Array } {
  try {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    return { width: png.width, height: png.height, rgba: new Uint8Array(png.data) };
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputFileError("PNG", path, `not a valid PNG (${detail})`);
  }
}

async function readBytes(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new InputFileError("PNG", path, "file does not exist");
    }
    throw error;
  }
}

/**
 * Reads a PNG as a single-channel float image: the BT.601 luma
 * `0.299 R + 0.587 G + 0.114 B` of each pixel, in [0, 255] (alpha is ignored).
 * For gray images (and BUSI's gray-in-RGB images) this is the gray value itself.
 *
 * @param path A `.png` file.
 * @returns `channels` 1, `data` float32 `[height, width]`.
 * @throws {InputFileError} If the file is missing or not a PNG.
 * @example
 * ```ts ignore
 * const img = await readPngImage("busi/benign/benign (1).png");
 * img.width; // 562
 * ```
 */
export async function readPngImage(path: string): Promise<Image2D<Float32Array>> {
  const { width, height, rgba } = decodeRgba(await readBytes(path), path);
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
 * @returns `channels` 1, `data` uint8 `[height, width]` in {0, 1}.
 * @throws {InputFileError} If the file is missing or not a PNG.
 */
export async function readPngMask(path: string): Promise<Image2D<Uint8Array>> {
  const { width, height, rgba } = decodeRgba(await readBytes(path), path);
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
