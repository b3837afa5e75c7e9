// Test-only loaders for real masks under ../shared/data (never copied into the project).
// Decodes with pngjs / nifti-reader-js directly so the metric tests do not depend on lib/io.

import { Buffer } from "node:buffer";
import * as nifti from "nifti-reader-js";
import { PNG } from "pngjs";

/** ../shared/data next to the project root, or null (with the reason) when absent. */
export const DATA_DIR: string | null = (() => {
  const dir = new URL("../../shared/data/", import.meta.url).pathname;
  try {
    return Deno.statSync(dir).isDirectory ? dir : null;
  } catch {
    return null;
  }
})();

/** Why real-data tests are skipped, printed once by the callers. */
export const NO_DATA_MESSAGE = "skipping: ../shared/data not found (real-data metric vectors)";

/** A flat volume: layout x + X * (y + Y * z). */
export interface Volume {
  readonly data: Int32Array;
  readonly dims: number[];
  readonly spacing: number[];
}

/** OR of PNG masks (R channel > 127) as a 0/1 map with dims [W, H]. */
export function readPngMasks(paths: readonly string[]): Volume {
  let out: Int32Array | null = null;
  let dims: number[] = [];
  for (const p of paths) {
    const png = PNG.sync.read(Buffer.from(Deno.readFileSync(p)));
    dims = [png.width, png.height];
    out ??= new Int32Array(png.width * png.height);
    if (out.length !== png.width * png.height) throw new RangeError(`Mask size differs: ${p}`);
    for (let i = 0; i < out.length; i++) if (png.data[4 * i]! > 127) out[i] = 1;
  }
  if (out === null) throw new RangeError("Cannot read masks: no paths");
  return { data: out, dims, spacing: dims.map(() => 1) };
}

/** A 3D NIfTI label map, rounded to integers (some label files are float32). */
export function readNiftiLabels(path: string): Volume {
  let buf: ArrayBuffer = Deno.readFileSync(path).slice().buffer;
  if (nifti.isCompressed(buf)) buf = nifti.decompress(buf) as ArrayBuffer;
  const header = nifti.readHeader(buf);
  if (header === null) throw new TypeError(`Not NIfTI: ${path}`);
  const raw = nifti.readImage(header, buf);
  const dims = header.dims.slice(1, 1 + header.dims[0]!);
  const typed: ArrayLike<number> = header.datatypeCode === 2
    ? new Uint8Array(raw)
    : header.datatypeCode === 4
    ? new Int16Array(raw)
    : header.datatypeCode === 16
    ? new Float32Array(raw)
    : (() => {
      throw new TypeError(`Unsupported datatype ${header.datatypeCode}: ${path}`);
    })();
  const slope = header.scl_slope === 0 ? 1 : header.scl_slope;
  const data = new Int32Array(typed.length);
  for (let i = 0; i < data.length; i++) data[i] = Math.round(typed[i]! * slope + header.scl_inter);
  return { data, dims, spacing: header.pixDims.slice(1, 1 + dims.length) };
}

/** Source description as written by tests/vectors/make_metric_vectors.py. */
export type Source = { kind: "png"; files: string[] } | { kind: "nifti"; file: string };

/** Loads a vector-file source relative to DATA_DIR. */
export function loadSource(src: Source): Volume {
  if (DATA_DIR === null) throw new Error(NO_DATA_MESSAGE);
  return src.kind === "png"
    ? readPngMasks(src.files.map((f) => DATA_DIR + f))
    : readNiftiLabels(DATA_DIR + src.file);
}
