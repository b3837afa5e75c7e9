/**
 * Reads NIfTI-1, NIfTI-2 and Analyze 7.5 volumes (`.nii`, `.nii.gz`, `.hdr` +
 * `.img` pairs, either byte order) into float32 arrays, with the voxel-to-world
 * affine chosen the way nibabel chooses it.
 *
 * Header parsing of NIfTI files goes through `nifti-reader-js`; the affine and
 * the data conversion are done here, because nifti-reader-js prefers the qform
 * whenever `qform_code >= sform_code`, while nibabel (and this reader) prefer
 * the sform whenever `sform_code > 0`.
 *
 * Supported datatypes: uint8, int8, int16, uint16, int32, uint32, float32,
 * float64. Rejected with an `InputFileError`: binary (1), complex64 (32),
 * rgb24 (128), int64 (1024), uint64 (1280), float128 (1536), complex128 (1792),
 * complex256 (2048), rgba32 (2304). int32/uint32 values above 2^24 and float64
 * values lose precision in the float32 output.
 *
 * Validation, before any voxel is decoded (each failure one `InputFileError`
 * naming the file and the header field): `sizeof_hdr`; the magic (a `.nii`
 * file must say `n+1`/`n+2`; only a `.hdr` without NIfTI magic is Analyze);
 * `dim`; `datatype` and `bitpix`; `vox_offset` (past the header in a `.nii`);
 * `pixdim` of the spatial axes (finite, within {@linkcode PIXDIM_RANGE} mm
 * after nibabel's `abs`); `scl_inter` when `scl_slope` is used; a finite
 * affine (`srow_*`, or the quaternion and `qoffset_*`); the voxel count against
 * `maxVoxels`; and the data size: fewer bytes than `dim` x `datatype` need is
 * truncation, twice as many or more means `datatype` or `dim` disagree with
 * the file. Gzip is read as nibabel reads it (multi-member, trailing bytes
 * ignored, only the bytes needed decompressed).
 *
 * References:
 * - https://nifti.nimh.nih.gov/pub/dist/src/niftilib/nifti1.h
 * - https://nifti.nimh.nih.gov/pub/dist/doc/nifti2.h
 * - nibabel `Nifti1Header.get_best_affine`, `get_qform`, `shape_zoom_affine`,
 *   `SpmAnalyzeHeader.get_origin_affine`: https://github.com/nipy/nibabel
 *
 * @module
 */

import * as nifti from "nifti-reader-js";
import { InputFileError } from "../errors.ts";
import { gunzipPrefix, isGzip } from "./_gzip.ts";
import { readInputFile, readInputPrefix } from "./read_input.ts";

/** Voxel types this reader converts to float32. */
export type NiftiDatatype =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** NIfTI datatype codes of the supported types. */
export const NIFTI_DATATYPE_CODES: Readonly<Record<NiftiDatatype, number>> = {
  uint8: 2,
  int16: 4,
  int32: 8,
  float32: 16,
  float64: 64,
  int8: 256,
  uint16: 512,
  uint32: 768,
};

const BYTES_PER_VOXEL: Readonly<Record<NiftiDatatype, number>> = {
  uint8: 1,
  int8: 1,
  int16: 2,
  uint16: 2,
  int32: 4,
  uint32: 4,
  float32: 4,
  float64: 8,
};

const REJECTED_DATATYPES: Readonly<Record<number, string>> = {
  1: "binary",
  32: "complex64",
  128: "rgb24",
  1024: "int64",
  1280: "uint64",
  1536: "float128",
  1792: "complex128",
  2048: "complex256",
  2304: "rgba32",
};

/** Which header fields gave the affine. */
export type AffineSource = "sform" | "qform" | "spm-origin" | "fallback";

/** The header fields medmim uses, and those needed to write a volume back. */
export interface NiftiHeader {
  /** 1 or 2 for NIfTI, 0 for an Analyze 7.5 header. */
  readonly version: 0 | 1 | 2;
  readonly littleEndian: boolean;
  /** True for a `.hdr`/`.img` pair (magic `ni1`/`ni2`, or Analyze). */
  readonly pair: boolean;
  /** `dim[1..dim[0]]`. */
  readonly dims: readonly number[];
  /** `pixdim[0..7]` as stored; `pixdim[0]` is qfac. */
  readonly pixdim: readonly number[];
  readonly datatype: NiftiDatatype;
  readonly datatypeCode: number;
  readonly bitpix: number;
  /** Byte offset of the voxels in the data file. */
  readonly voxOffset: number;
  readonly sclSlope: number;
  readonly sclInter: number;
  readonly qformCode: number;
  readonly sformCode: number;
  /** `[quatern_b, quatern_c, quatern_d]`. */
  readonly quatern: readonly number[];
  /** `[qoffset_x, qoffset_y, qoffset_z]`. */
  readonly qoffset: readonly number[];
  /** `[srow_x, srow_y, srow_z]`, each 4 numbers. */
  readonly srow: readonly (readonly number[])[];
  readonly xyztUnits: number;
  readonly intentCode: number;
  readonly description: string;
  /** Analyze only: SPM's origin voxel (1-based) from `originator`, else `null`. */
  readonly spmOrigin: readonly number[] | null;
}

/** A volume as float32, with its geometry and header. */
export interface NiftiVolume {
  /** The file read (the `.hdr` for a pair). */
  readonly path: string;
  /** Scaled voxels (`scl_slope`/`scl_inter` applied), Fortran order: x fastest. */
  readonly data: Float32Array;
  /** `[nx, ny, nz, ...]`, as many as `dim[0]`. */
  readonly dims: readonly number[];
  /** `|pixdim[1..dim[0]]|`: mm per voxel along each axis (then time). */
  readonly spacing: readonly number[];
  /** 4x4 voxel-to-world matrix (row-major rows). */
  readonly affine: readonly (readonly number[])[];
  readonly affineSource: AffineSource;
  /** On-disk voxel type. */
  readonly datatype: NiftiDatatype;
  readonly header: NiftiHeader;
}

const WHAT = "NIfTI";

/** Accepted voxel sizes of the spatial axes, `|pixdim[1..3]|`, in the file's units (mm). */
export const PIXDIM_RANGE: readonly [number, number] = [1e-3, 1e3];

/** Options of {@linkcode readNifti}. */
export interface ReadNiftiOptions {
  /**
   * Most voxels (all volumes of a 4D file together) the file may hold; checked
   * from the header before anything is decoded. Default: no limit.
   */
  readonly maxVoxels?: number;
}

/** Bytes read for the header: NIfTI-2's 540 and its extension flag, with room to spare. */
const HEAD_BYTES = 1024;

/**
 * Reads a NIfTI/Analyze header only (no voxel data, so a `.hdr` whose `.img` is
 * missing is fine here).
 *
 * @param path A `.nii`, `.nii.gz`, `.hdr` or `.hdr.gz` file.
 * @returns The header, the affine, spacing and dims.
 * @throws {InputFileError} If the file is missing, not NIfTI/Analyze, truncated,
 *   or of an unsupported datatype.
 */
export async function readNiftiHeader(
  path: string,
): Promise<Omit<NiftiVolume, "data">> {
  const { head } = await readHead(path);
  const header = parseHeader(head, path);
  return describe(path, header);
}

/**
 * Reads a whole volume.
 *
 * @param path A `.nii`, `.nii.gz`, `.hdr` or `.hdr.gz` (its `.img`/`.img.gz`
 *   must be beside it) file.
 * @param options `maxVoxels`.
 * @returns Voxels as float32 with scaling applied, plus geometry and header.
 * @throws {InputFileError} With a one-line message naming the file and the
 *   field, if it is missing, not NIfTI/Analyze, truncated, inconsistent (see
 *   the module doc), of an unsupported datatype, above `maxVoxels`, or a
 *   `.hdr` without its `.img`.
 * @example
 * ```ts ignore
 * const vol = await readNifti("case_0/FLAIR.nii.gz");
 * vol.dims; // [240, 240, 155]
 * ```
 */
export async function readNifti(
  path: string,
  options: ReadNiftiOptions = {},
): Promise<NiftiVolume> {
  const { head, whole } = await readHead(path);
  const header = parseHeader(head, path);
  const described = describe(path, header);
  const need = voxelBytes(header, path, options);
  const separate = header.pair && /\.hdr(\.gz)?$/i.test(path);
  const dataPath = separate ? await findPairedImage(path) : path;
  const offset = header.voxOffset;
  // Read as far as twice the need, to tell a wrong datatype from trailing bytes.
  const { bytes, size } = await readPrefix(dataPath, offset + need, offset + 2 * need, whole);
  checkDataSize(size - offset, need, header, dataPath);
  return { ...described, data: decodeVoxels(bytes, header, dataPath) };
}

/**
 * Decodes a NIfTI file already in memory (e.g. fetched), `.nii` or `.nii.gz`.
 *
 * @param bytes The file's bytes.
 * @param name A name for error messages (a name ending in `.hdr` allows Analyze).
 * @param options `maxVoxels`.
 * @returns The volume.
 * @throws {InputFileError} As {@linkcode readNifti}.
 */
export async function parseNifti(
  bytes: Uint8Array,
  name: string,
  options: ReadNiftiOptions = {},
): Promise<NiftiVolume> {
  const gz = isGzip(bytes);
  const head = gz ? await gunzipOrThrow(bytes, HEAD_BYTES, HEAD_BYTES, name) : bytes;
  const header = parseHeader(head.subarray(0, HEAD_BYTES), name);
  if (header.pair) {
    throw new InputFileError(WHAT, name, "a header-only .hdr needs its .img file");
  }
  const described = describe(name, header);
  const need = voxelBytes(header, name, options);
  const offset = header.voxOffset;
  const { bytes: raw, size } = gz
    ? await gunzipSized(bytes, offset + need, offset + 2 * need, name)
    : { bytes, size: bytes.length };
  checkDataSize(size - offset, need, header, name);
  return { ...described, data: decodeVoxels(raw, header, name) };
}

/** The first bytes of a file's content (decompressed), and the compressed file when gzip. */
async function readHead(path: string): Promise<{ head: Uint8Array; whole: Uint8Array | null }> {
  const { bytes } = await readInputPrefix(path, WHAT, HEAD_BYTES);
  if (!isGzip(bytes)) return { head: bytes, whole: null };
  const whole = await readInputFile(path, WHAT);
  return { head: await gunzipOrThrow(whole, HEAD_BYTES, HEAD_BYTES, path), whole };
}

/**
 * The first `keep` bytes of a file's content and how many bytes it holds, up
 * to `count` (beyond that, only "at least `count`" is known).
 */
async function readPrefix(
  path: string,
  keep: number,
  count: number,
  compressed: Uint8Array | null,
): Promise<{ bytes: Uint8Array; size: number }> {
  let whole = compressed;
  if (whole === null) {
    const { bytes, size } = await readInputPrefix(path, WHAT, keep);
    if (!isGzip(bytes)) return { bytes, size };
    whole = await readInputFile(path, WHAT);
  }
  return await gunzipSized(whole, keep, count, path);
}

async function gunzipSized(
  bytes: Uint8Array,
  keep: number,
  count: number,
  path: string,
): Promise<{ bytes: Uint8Array; size: number }> {
  const out = await gunzipPrefix(bytes, count, keep);
  if (out.error !== null && out.size < keep) {
    throw new InputFileError(WHAT, path, `gzip data is truncated or corrupt (${out.error})`);
  }
  return { bytes: out.data, size: out.size };
}

async function gunzipOrThrow(
  bytes: Uint8Array,
  keep: number,
  count: number,
  path: string,
): Promise<Uint8Array> {
  const out = await gunzipPrefix(bytes, count, keep);
  if (out.error !== null && out.size < Math.min(keep, 348)) {
    throw new InputFileError(WHAT, path, `gzip data is truncated or corrupt (${out.error})`);
  }
  return out.data;
}

async function findPairedImage(hdrPath: string): Promise<string> {
  const stem = hdrPath.replace(/\.hdr(\.gz)?$/i, "");
  const upper = /\.HDR(\.gz)?$/.test(hdrPath);
  const candidates = upper
    ? [`${stem}.IMG`, `${stem}.IMG.gz`, `${stem}.img`, `${stem}.img.gz`]
    : [`${stem}.img`, `${stem}.img.gz`];
  for (const candidate of candidates) {
    if (await Deno.lstat(candidate).then(() => true, () => false)) return candidate;
  }
  const name = candidates[0]?.split("/").pop() ?? "";
  throw new InputFileError(
    WHAT,
    hdrPath,
    `header-only file but its image file "${name}" is missing`,
  );
}

/** Finds `sizeof_hdr` in either byte order: 348 (NIfTI-1/Analyze) or 540 (NIfTI-2). */
function sniff(bytes: Uint8Array, path: string): { size: 348 | 540; littleEndian: boolean } {
  if (bytes.length < 348) {
    throw new InputFileError(
      WHAT,
      path,
      `file has ${bytes.length} bytes, fewer than a 348-byte header`,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getInt32(0, true);
  const be = view.getInt32(0, false);
  if (le === 348 || le === 540) return { size: le, littleEndian: true };
  if (be === 348 || be === 540) return { size: be, littleEndian: false };
  throw new InputFileError(
    WHAT,
    path,
    `sizeof_hdr is ${le}, not 348 or 540 (not a NIfTI or Analyze file)`,
  );
}

function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
}

/** A printable form of a magic string (NULs and control bytes escaped). */
function showMagic(bytes: Uint8Array): string {
  return [...bytes].map((b) =>
    b >= 0x20 && b < 0x7f && b !== 0x22
      ? String.fromCharCode(b)
      : `\\x${b.toString(16).padStart(2, "0")}`
  ).join("");
}

function parseHeader(bytes: Uint8Array, path: string): NiftiHeader {
  const { size, littleEndian } = sniff(bytes, path);
  if (size === 540 && bytes.length < 540) {
    throw new InputFileError(
      WHAT,
      path,
      `file has ${bytes.length} bytes, fewer than a 540-byte NIfTI-2 header`,
    );
  }
  const magicBytes = bytes.subarray(size === 348 ? 344 : 4, size === 348 ? 348 : 8);
  const magic = String.fromCharCode(...magicBytes.subarray(0, 3));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const nifti1 = (magic === "n+1" || magic === "ni1") && magicBytes[3] === 0;
  if (size === 348 && !nifti1) {
    // nibabel: only a .hdr/.img pair may be Analyze 7.5; a .nii needs the NIfTI magic.
    if (/\.(hdr|img)(\.gz)?$/i.test(path)) return parseAnalyzeHeader(view, littleEndian, path);
    throw new InputFileError(
      WHAT,
      path,
      `magic "${showMagic(magicBytes)}" is not "n+1" or "ni1" (a .nii file must be NIfTI; ` +
        "Analyze 7.5 comes as .hdr + .img)",
    );
  }
  if (size === 540 && magic !== "n+2" && magic !== "ni2") {
    throw new InputFileError(
      WHAT,
      path,
      `sizeof_hdr is 540 but magic "${showMagic(magicBytes)}" is not "n+2" or "ni2"`,
    );
  }
  // Header only: enough bytes for nifti-reader-js, which copies nothing large.
  let h: nifti.NIFTI1 | nifti.NIFTI2;
  try {
    h = nifti.readHeader(toArrayBuffer(bytes.subarray(0, Math.min(bytes.length, 1024))), true);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new InputFileError(WHAT, path, `cannot parse header (${detail})`);
  }
  const version = size === 348 ? 1 : 2;
  const srowAt = version === 1 ? [280, 296, 312] : [400, 432, 464];
  const srow = srowAt.map((at) =>
    [0, 1, 2, 3].map((k) =>
      version === 1
        ? view.getFloat32(at + 4 * k, littleEndian)
        : view.getFloat64(at + 8 * k, littleEndian)
    )
  );
  // Read here rather than from nifti-reader-js, which swallows NaN and big int64 values.
  const voxOffset = version === 1
    ? view.getFloat32(108, littleEndian)
    : Number(view.getBigInt64(168, littleEndian));
  const dimArray = [0, 1, 2, 3, 4, 5, 6, 7].map((i) =>
    version === 1
      ? view.getInt16(40 + 2 * i, littleEndian)
      : Number(view.getBigInt64(16 + 8 * i, littleEndian))
  );
  const pair = magic === "ni1" || magic === "ni2";
  return finishHeader(
    {
      version,
      littleEndian,
      pair,
      ndim: dimArray[0] ?? 0,
      dimArray,
      pixdim: h.pixDims.slice(0, 8),
      datatypeCode: h.datatypeCode,
      bitpix: h.numBitsPerVoxel,
      voxOffset,
      sclSlope: h.scl_slope,
      sclInter: h.scl_inter,
      qformCode: h.qform_code,
      sformCode: h.sform_code,
      quatern: [h.quatern_b, h.quatern_c, h.quatern_d],
      qoffset: [h.qoffset_x, h.qoffset_y, h.qoffset_z],
      srow,
      xyztUnits: h.xyzt_units,
      intentCode: h.intent_code,
      description: h.description.replace(/\0+$/, ""),
      spmOrigin: null,
    },
    path,
    pair && /\.hdr(\.gz)?$/i.test(path) ? 0 : size + 4,
  );
}

/** Analyze 7.5 (`dsr` struct); the SPM origin lives in `originator` at byte 253. */
function parseAnalyzeHeader(view: DataView, le: boolean, path: string): NiftiHeader {
  const dimArray = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => view.getInt16(40 + 2 * i, le));
  const pixdim = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => view.getFloat32(76 + 4 * i, le));
  const origin = [0, 1, 2].map((i) => view.getInt16(253 + 2 * i, le));
  const scale = view.getFloat32(112, le); // SPM's funused1 scale factor
  return finishHeader(
    {
      version: 0,
      littleEndian: le,
      pair: true,
      ndim: dimArray[0] ?? 0,
      dimArray,
      pixdim,
      datatypeCode: view.getInt16(70, le),
      bitpix: view.getInt16(72, le),
      voxOffset: view.getFloat32(108, le),
      sclSlope: Number.isFinite(scale) && scale !== 0 ? scale : 1,
      sclInter: 0,
      qformCode: 0,
      sformCode: 0,
      quatern: [0, 0, 0],
      qoffset: [0, 0, 0],
      srow: [[0, 0, 0, 0], [0, 0, 0, 0], [0, 0, 0, 0]],
      xyztUnits: 0,
      intentCode: 0,
      description: "",
      spmOrigin: origin,
    },
    path,
    0,
  );
}

interface RawHeader extends Omit<NiftiHeader, "dims" | "datatype"> {
  readonly ndim: number;
  readonly dimArray: readonly number[];
}

/** Checks the fields every reader of the header relies on; `minOffset`: first byte voxels may start at. */
function finishHeader(raw: RawHeader, path: string, minOffset: number): NiftiHeader {
  const { ndim, dimArray, ...rest } = raw;
  const fail = (reason: string): never => {
    throw new InputFileError(WHAT, path, reason);
  };
  if (!Number.isInteger(ndim) || ndim < 1 || ndim > 7) fail(`dim[0] is ${ndim}, not in [1, 7]`);
  const dims = dimArray.slice(1, ndim + 1).map(Number);
  dims.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1) {
      fail(`dim[${i + 1}] is ${d}; dims [${dims.join(", ")}] must all be positive`);
    }
  });
  const entry = Object.entries(NIFTI_DATATYPE_CODES).find(([, code]) => code === raw.datatypeCode);
  if (!entry) {
    const name = REJECTED_DATATYPES[raw.datatypeCode];
    const what = name ? `"${name}"` : "unknown";
    return fail(
      `datatype ${raw.datatypeCode} (${what}) is not supported; supported: ${
        Object.keys(NIFTI_DATATYPE_CODES).join(", ")
      }`,
    );
  }
  const datatype = entry[0] as NiftiDatatype;
  const bits = 8 * BYTES_PER_VOXEL[datatype];
  if (raw.bitpix !== bits) {
    fail(`bitpix ${raw.bitpix} does not match datatype ${datatype} (${bits})`);
  }
  const offset = raw.voxOffset;
  if (!Number.isInteger(offset) || offset < minOffset) {
    fail(
      minOffset > 0
        ? `vox_offset ${offset} is not a whole byte offset at or past ${minOffset}, the end of the header`
        : `vox_offset ${offset} is not a whole, non-negative byte offset`,
    );
  }
  const [lo, hi] = PIXDIM_RANGE;
  for (let i = 1; i <= Math.min(3, ndim); i++) {
    const p = Math.abs(raw.pixdim[i] ?? NaN);
    if (!(p >= lo && p <= hi)) {
      const shown = Number.isFinite(raw.pixdim[i])
        ? +(raw.pixdim[i] as number).toPrecision(7)
        : raw.pixdim[i];
      fail(`pixdim[${i}] is ${shown}; voxel sizes must be finite and in [${lo}, ${hi}]`);
    }
  }
  const slope = raw.sclSlope;
  if (Number.isFinite(slope) && slope !== 0 && !Number.isFinite(raw.sclInter)) {
    fail(`scl_inter is ${raw.sclInter} while scl_slope ${slope} is used`);
  }
  return { ...rest, dims, datatype };
}

function describe(path: string, header: NiftiHeader): Omit<NiftiVolume, "data"> {
  const spacing = header.dims.map((_, i) => Math.abs(header.pixdim[i + 1] ?? 1));
  const { affine, source } = bestAffine(header, path);
  if (affine.some((row) => row.some((v) => !Number.isFinite(v)))) {
    const fields = source === "sform"
      ? `srow_x/y/z (sform_code ${header.sformCode})`
      : source === "qform"
      ? `quatern_b/c/d or qoffset_x/y/z (qform_code ${header.qformCode})`
      : "pixdim";
    throw new InputFileError(WHAT, path, `the affine is not finite: ${fields} hold NaN or Inf`);
  }
  return {
    path,
    dims: header.dims,
    spacing,
    affine,
    affineSource: source,
    datatype: header.datatype,
    header,
  };
}

/** Bytes of voxel data the header needs, after checking the count against `maxVoxels`. */
function voxelBytes(header: NiftiHeader, path: string, options: ReadNiftiOptions): number {
  const count = header.dims.reduce((p, d) => p * d, 1);
  const max = options.maxVoxels ?? Infinity;
  if (count > max) {
    throw new InputFileError(
      WHAT,
      path,
      `dim [${header.dims.join(", ")}] holds ${count} voxels, more than maxVoxels ${max} ` +
        "(the maxVoxels setting)",
    );
  }
  return count * BYTES_PER_VOXEL[header.datatype];
}

/** `size`: the bytes found after `vox_offset` (counted up to twice `need`). */
function checkDataSize(size: number, need: number, header: NiftiHeader, path: string): void {
  const offset = header.voxOffset;
  if (size < need) {
    throw new InputFileError(
      WHAT,
      path,
      `image data is truncated: ${need} bytes expected after offset ${offset}, ${
        Math.max(0, size)
      } found`,
    );
  }
  if (size >= 2 * need) {
    throw new InputFileError(
      WHAT,
      path,
      `datatype ${header.datatype} x dim [${header.dims.join(", ")}] needs ${need} bytes after ` +
        `vox_offset ${offset}, but the file holds ${
          size === 2 * need ? "at least " : ""
        }${size}: ` +
        "datatype or dim disagree with the file size",
    );
  }
}

/**
 * nibabel's choice: 1) sform if `sform_code > 0`, 2) qform if `qform_code > 0`,
 * 3) for Analyze, SPM's origin if set, 4) the fallback affine: zooms on the
 * diagonal with x flipped, volume centre at the world origin.
 */
function bestAffine(h: NiftiHeader, path: string): { affine: number[][]; source: AffineSource } {
  if (h.sformCode > 0) {
    const rows = h.srow.map((r) => [...r]);
    return { affine: [...rows, [0, 0, 0, 1]], source: "sform" };
  }
  if (h.qformCode > 0) return { affine: qformAffine(h, path), source: "qform" };
  const zooms = [1, 2, 3].map((i) => (h.dims.length >= i ? (h.pixdim[i] ?? 1) : 1));
  const shape = [0, 1, 2].map((i) => h.dims[i] ?? 1);
  let origin = shape.map((n) => (n - 1) / 2);
  let source: AffineSource = "fallback";
  const spm = h.spmOrigin;
  if (
    spm && spm.some((o) => o !== 0) &&
    spm.every((o, i) => o > -(shape[i] ?? 1) && o < 2 * (shape[i] ?? 1))
  ) {
    origin = spm.map((o) => o - 1);
    source = "spm-origin";
  }
  const [zx = 1, zy = 1, zz = 1] = zooms;
  const [ox = 0, oy = 0, oz = 0] = origin;
  return {
    affine: [[-zx, 0, 0, ox * zx], [0, zy, 0, -oy * zy], [0, 0, zz, -oz * zz], [0, 0, 0, 1]],
    source,
  };
}

/** nibabel `get_qform`: R(quaternion) * diag(pixdim[1..3] with qfac on z) + qoffset. */
function qformAffine(h: NiftiHeader, path: string): number[][] {
  const [b = 0, c = 0, d = 0] = h.quatern;
  const w2 = 1 - (b * b + c * c + d * d);
  // nibabel's fillpositive clips tiny negatives and refuses larger ones (not a rotation)
  if (w2 < -3 * 2 ** -23) {
    throw new InputFileError(
      WHAT,
      path,
      `quatern_b/c/d [${b}, ${c}, ${d}] have a norm above 1: not a rotation (qform_code ${h.qformCode})`,
    );
  }
  const a = w2 < 0 ? 0 : Math.sqrt(w2);
  const n = a * a + b * b + c * c + d * d;
  const s = n < 1e-12 ? 0 : 2 / n;
  const r = n < 1e-12 ? [[1, 0, 0], [0, 1, 0], [0, 0, 1]] : [
    [1 - s * (c * c + d * d), s * (b * c - a * d), s * (b * d + a * c)],
    [s * (b * c + a * d), 1 - s * (b * b + d * d), s * (c * d - a * b)],
    [s * (b * d - a * c), s * (c * d + a * b), 1 - s * (b * b + c * c)],
  ];
  const qfac = (h.pixdim[0] ?? 1) < 0 ? -1 : 1;
  const zooms = [h.pixdim[1] ?? 1, h.pixdim[2] ?? 1, (h.pixdim[3] ?? 1) * qfac];
  const rows = r.map((row, i) => [...row.map((v, j) => v * (zooms[j] ?? 1)), h.qoffset[i] ?? 0]);
  return [...rows, [0, 0, 0, 1]];
}

/** Converts the voxels at `vox_offset` (the caller checked that they are all there). */
function decodeVoxels(bytes: Uint8Array, header: NiftiHeader, path: string): Float32Array {
  const count = header.dims.reduce((p, d) => p * d, 1);
  const width = BYTES_PER_VOXEL[header.datatype];
  const offset = header.voxOffset;
  const need = count * width;
  if (bytes.length < offset + need) {
    throw new InputFileError(
      WHAT,
      path,
      `image data is truncated: ${need} bytes expected after offset ${offset}, ${
        Math.max(0, bytes.length - offset)
      } found`,
    );
  }
  // An aligned, native-order copy of the voxel bytes.
  const raw = bytes.slice(offset, offset + need);
  // Typed arrays use the host's order, little-endian on every platform Deno ships for.
  if (!header.littleEndian && width > 1) {
    for (let i = 0; i < need; i += width) raw.subarray(i, i + width).reverse();
  }
  const source = typedView(raw.buffer, header.datatype);
  const out = new Float32Array(count);
  const slope = header.sclSlope;
  const scaled = Number.isFinite(slope) && slope !== 0 && !(slope === 1 && !header.sclInter);
  if (scaled) {
    const inter = header.sclInter;
    for (let i = 0; i < count; i++) out[i] = (source[i] as number) * slope + inter;
  } else {
    for (let i = 0; i < count; i++) out[i] = source[i] as number;
  }
  return out;
}

function typedView(buffer: ArrayBuffer, datatype: NiftiDatatype): ArrayLike<number> {
  switch (datatype) {
    case "uint8":
      return new Uint8Array(buffer);
    case "int8":
      return new Int8Array(buffer);
    case "int16":
      return new Int16Array(buffer);
    case "uint16":
      return new Uint16Array(buffer);
    case "int32":
      return new Int32Array(buffer);
    case "uint32":
      return new Uint32Array(buffer);
    case "float32":
      return new Float32Array(buffer);
    case "float64":
      return new Float64Array(buffer);
  }
}
