/**
 * Writes NIfTI-1 single-file volumes (`.nii` or `.nii.gz`), little-endian, with
 * the geometry (qform and sform) of a source volume kept, so that a mask
 * predicted on a scan overlays it in any viewer.
 *
 * Only `uint8` (masks) and `float32` (images) are written: these are the types
 * medmim produces, and both hold every value of the other without loss.
 *
 * Reference: https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h
 *
 * @module
 */

import { NIFTI_DATATYPE_CODES, type NiftiHeader } from "./nifti_read.ts";
import { gzip } from "./_gzip.ts";
import { writeAtomic } from "./write_atomic.ts";

/** The header fields that place voxels in the world. */
export type NiftiGeometry = Pick<
  NiftiHeader,
  "pixdim" | "qformCode" | "sformCode" | "quatern" | "qoffset" | "srow" | "xyztUnits"
>;

/** What {@linkcode writeNifti} writes. */
export interface NiftiWriteInput {
  /** Voxels in Fortran order (x fastest), `product(dims)` values. */
  readonly data: Float32Array | Uint8Array;
  /** `[nx, ny, nz]` or `[nx, ny, nz, nt]`. */
  readonly dims: readonly number[];
}

/** Options of {@linkcode writeNifti}. */
export interface NiftiWriteOptions {
  /** On-disk type; default `uint8` for a `Uint8Array`, else `float32`. */
  readonly datatype?: "uint8" | "float32";
  /**
   * Geometry to copy (e.g. `readNifti(src).header`): qform, sform, pixdim and
   * units are written as they were. Takes precedence over `affine`.
   */
  readonly geometry?: NiftiGeometry;
  /**
   * A 4x4 affine when there is no source header: written as the sform
   * (`sform_code` 2, aligned) with `qform_code` 0, and pixdim set to the norms
   * of its columns. Default: the identity.
   */
  readonly affine?: readonly (readonly number[])[];
  /** Up to 79 ASCII characters for `descrip`. */
  readonly description?: string;
}

const HEADER_BYTES = 348;
const VOX_OFFSET = 352; // header + 4-byte extension flag (no extensions)

/**
 * Encodes a volume as NIfTI-1 bytes (uncompressed).
 *
 * @param volume Voxels and dims.
 * @param options Datatype and geometry.
 * @returns The `.nii` file's bytes.
 * @throws {RangeError} If `data.length` is not `product(dims)`, a dim is not a
 *   positive integer below 32768, or a `uint8` value is not an integer in [0, 255].
 */
export function encodeNifti(volume: NiftiWriteInput, options: NiftiWriteOptions = {}): Uint8Array {
  const { data, dims } = volume;
  const datatype = options.datatype ?? (data instanceof Uint8Array ? "uint8" : "float32");
  if (
    dims.length < 1 || dims.length > 7 ||
    dims.some((d) => !Number.isInteger(d) || d < 1 || d > 32767)
  ) {
    throw new RangeError(
      `Cannot write NIfTI: dims [${dims.join(", ")}] must be 1 to 7 integers in [1, 32767]`,
    );
  }
  const count = dims.reduce((p, d) => p * d, 1);
  if (data.length !== count) {
    throw new RangeError(
      `Cannot write NIfTI: data has ${data.length} values but dims [${
        dims.join(", ")
      }] need ${count}`,
    );
  }
  const width = datatype === "uint8" ? 1 : 4;
  const bytes = new Uint8Array(VOX_OFFSET + count * width);
  const view = new DataView(bytes.buffer);
  const le = true;

  const geometry = options.geometry ?? geometryFromAffine(options.affine ?? IDENTITY);
  view.setInt32(0, HEADER_BYTES, le);
  bytes[38] = 0x72; // regular = 'r'
  view.setInt16(40, dims.length, le);
  dims.forEach((d, i) => view.setInt16(42 + 2 * i, d, le));
  for (let i = dims.length + 1; i < 8; i++) view.setInt16(40 + 2 * i, 1, le);
  view.setInt16(70, NIFTI_DATATYPE_CODES[datatype], le);
  view.setInt16(72, width * 8, le);
  for (let i = 0; i < 8; i++) {
    const fallback = i === 0 ? 1 : i <= dims.length ? 1 : 0;
    view.setFloat32(76 + 4 * i, geometry.pixdim[i] ?? fallback, le);
  }
  if ((geometry.pixdim[0] ?? 0) === 0) view.setFloat32(76, 1, le); // qfac must be +-1
  view.setFloat32(108, VOX_OFFSET, le);
  view.setFloat32(112, 1, le); // scl_slope: data are written already scaled
  view.setFloat32(116, 0, le);
  bytes[123] = geometry.xyztUnits & 0xff;
  const text = new TextEncoder().encode((options.description ?? "medmim").slice(0, 79));
  bytes.set(text.subarray(0, 79), 148);
  view.setInt16(252, geometry.qformCode, le);
  view.setInt16(254, geometry.sformCode, le);
  geometry.quatern.forEach((q, i) => view.setFloat32(256 + 4 * i, q, le));
  geometry.qoffset.forEach((q, i) => view.setFloat32(268 + 4 * i, q, le));
  geometry.srow.forEach((row, r) =>
    row.forEach((v, c) => view.setFloat32(280 + 16 * r + 4 * c, v, le))
  );
  bytes.set([0x6e, 0x2b, 0x31, 0], 344); // magic "n+1\0"

  if (datatype === "uint8") {
    for (let i = 0; i < count; i++) {
      const v = data[i] as number;
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) {
        throw new RangeError(
          `Cannot write NIfTI as uint8: voxel ${i} is ${v}, not an integer in [0, 255]`,
        );
      }
      bytes[VOX_OFFSET + i] = v;
    }
  } else {
    const floats = data instanceof Float32Array ? data : Float32Array.from(data);
    bytes.set(new Uint8Array(floats.buffer, floats.byteOffset, floats.byteLength), VOX_OFFSET);
  }
  return bytes;
}

/**
 * Writes a volume to `path` (gzipped when it ends in `.gz`), atomically: the
 * bytes go to `<path>.<random>.tmp`, which is then renamed over `path`.
 *
 * @param path Destination, `.nii` or `.nii.gz`.
 * @param volume Voxels and dims.
 * @param options Datatype and geometry, see {@linkcode NiftiWriteOptions}.
 * @returns Nothing; resolves when the file is in place.
 * @throws {RangeError} As {@linkcode encodeNifti}.
 * @example
 * ```ts ignore
 * const src = await readNifti("case_0/FLAIR.nii.gz");
 * await writeNifti("pred.nii.gz", { data: mask, dims: src.dims }, { geometry: src.header });
 * ```
 */
export async function writeNifti(
  path: string,
  volume: NiftiWriteInput,
  options: NiftiWriteOptions = {},
): Promise<void> {
  const raw = encodeNifti(volume, options);
  const bytes = path.toLowerCase().endsWith(".gz") ? await gzip(raw) : raw;
  await writeAtomic(path, bytes);
}

const IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

function geometryFromAffine(affine: readonly (readonly number[])[]): NiftiGeometry {
  if (affine.length < 3 || affine.some((row) => row.length !== 4)) {
    throw new RangeError(
      `Cannot write NIfTI: affine must be 4x4 (or 3x4), got ${affine.length} rows`,
    );
  }
  const norm = (c: number) =>
    Math.hypot(affine[0]?.[c] ?? 0, affine[1]?.[c] ?? 0, affine[2]?.[c] ?? 0);
  return {
    pixdim: [1, norm(0), norm(1), norm(2), 1, 1, 1, 1],
    qformCode: 0,
    sformCode: 2,
    quatern: [0, 0, 0],
    qoffset: [affine[0]?.[3] ?? 0, affine[1]?.[3] ?? 0, affine[2]?.[3] ?? 0],
    srow: [0, 1, 2].map((r) => [...(affine[r] ?? [0, 0, 0, 0])]),
    xyztUnits: 2, // mm
  };
}
