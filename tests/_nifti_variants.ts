/**
 * Corrupted (and a few legal but unusual) NIfTI files made at test time from
 * two sample files, as an `images/` + `labels/` dataset: one case per variant,
 * each with what the preprocess report must say about it. Nothing is
 * committed; the samples come from `../shared/data/nifti-samples`.
 *
 * Bases: `nibabel/anatomical.nii` (big-endian int16, sform and qform, written
 * as `.nii`) and `nifti-reader-js/little.nii.gz` (little-endian float32,
 * qform only, 4D with one volume, written as `.nii.gz`).
 */

import * as zlib from "node:zlib";
import { readNifti } from "../lib/io/nifti_read.ts";
import { writeNifti } from "../lib/io/nifti_write.ts";

/** A bad case: its id, the file the line must name, and the field it must name. */
export interface BadCase {
  readonly caseId: string;
  readonly file: string;
  readonly field: RegExp;
}

/** What a generated dataset holds. */
export interface Variants {
  readonly good: readonly string[];
  readonly bad: readonly BadCase[];
}

interface Base {
  readonly tag: string;
  readonly ext: ".nii" | ".nii.gz";
  /** Decompressed file bytes. */
  readonly raw: Uint8Array;
  readonly le: boolean;
  /** Datatype code and bitpix of a type half as wide, and of one twice as wide. */
  readonly narrower: readonly [number, number];
  readonly wider: readonly [number, number];
}

type Edit = (view: DataView, le: boolean) => void;

const f32 = (at: number, v: number): Edit => (view, le) => view.setFloat32(at, v, le);
const i16 = (at: number, v: number): Edit => (view, le) => view.setInt16(at, v, le);
const i32 = (at: number, v: number): Edit => (view, le) => view.setInt32(at, v, le);
const magic = (text: string): Edit => (view) =>
  [...text.padEnd(4, "\0")].forEach((c, i) => view.setUint8(344 + i, c.charCodeAt(0)));

/** Header edits applied to each base: name, edits, the field the report must name. */
const HEADER_EDITS: readonly [string, readonly Edit[], RegExp][] = [
  ["sizeof0", [i32(0, 0)], /sizeof_hdr is 0/],
  ["sizeof349", [i32(0, 349)], /sizeof_hdr is/],
  ["magic_bad", [magic("xx1")], /magic "xx1\\x00"/],
  ["magic_zero", [magic("")], /magic "\\x00\\x00\\x00\\x00"/],
  ["dim0_zero", [i16(40, 0)], /dim\[0\] is 0/],
  ["dim0_eight", [i16(40, 8)], /dim\[0\] is 8/],
  ["dim1_zero", [i16(42, 0)], /dim\[1\] is 0/],
  ["dim2_negative", [i16(44, -3)], /dim\[2\] is -3/],
  ["dims_huge", [i16(40, 3), i16(42, 1024), i16(44, 1024), i16(46, 1024)], /maxVoxels/],
  ["datatype_unknown", [i16(70, 3)], /datatype 3 \(unknown\)/],
  ["datatype_complex", [i16(70, 32), i16(72, 64)], /datatype 32 \("complex64"\)/],
  ["bitpix_bad", [i16(72, 99)], /bitpix 99/],
  ["voxoffset_zero", [f32(108, 0)], /vox_offset 0/],
  ["voxoffset_100", [f32(108, 100)], /vox_offset 100/],
  ["voxoffset_nan", [f32(108, NaN)], /vox_offset NaN/],
  ["voxoffset_huge", [f32(108, 1e9)], /image data is truncated/],
  ["pixdim1_zero", [f32(80, 0)], /pixdim\[1\] is 0/],
  ["pixdim2_nan", [f32(84, NaN)], /pixdim\[2\] is NaN/],
  ["pixdim3_inf", [f32(88, Infinity)], /pixdim\[3\] is Infinity/],
  ["pixdim1_tiny", [f32(80, 1e-9)], /pixdim\[1\] is 1e-9/],
  ["pixdim_large", [f32(80, 100), f32(84, 100), f32(88, 100)], /resampled to .* maxVoxels/],
  ["srow_nan", [i16(254, 1), f32(280, NaN)], /srow_x\/y\/z \(sform_code 1\)/],
  [
    "quatern_norm",
    [i16(254, 0), i16(252, 1), f32(256, 0.9), f32(260, 0.9), f32(264, 0)],
    /quatern_b\/c\/d .* norm above 1/,
  ],
  ["qoffset_nan", [i16(254, 0), i16(252, 1), f32(268, NaN)], /quatern_b\/c\/d or qoffset/],
  ["sclinter_nan", [f32(112, 2), f32(116, NaN)], /scl_inter is NaN/],
];

async function loadBase(
  path: string,
  tag: string,
  ext: Base["ext"],
  types: Pick<Base, "narrower" | "wider">,
): Promise<Base> {
  let raw = await Deno.readFile(path);
  if (raw[0] === 0x1f) raw = new Uint8Array(zlib.gunzipSync(raw));
  const le = new DataView(raw.buffer).getInt32(0, true) === 348;
  return { tag, ext, raw, le, ...types };
}

function edited(base: Base, edits: readonly Edit[]): Uint8Array {
  const bytes = base.raw.slice();
  const view = new DataView(bytes.buffer);
  for (const edit of edits) edit(view, base.le);
  return bytes;
}

function encode(base: Base, raw: Uint8Array): Uint8Array {
  return base.ext === ".nii" ? raw : new Uint8Array(zlib.gzipSync(raw));
}

/**
 * Writes the dataset under `root` (`images/`, `labels/`).
 *
 * @param samples The `nifti-samples` folder.
 * @param root An empty folder.
 * @returns The good case ids and the bad cases with what the report must say.
 */
export async function writeNiftiVariants(samples: string, root: string): Promise<Variants> {
  const images = `${root}/images`, labels = `${root}/labels`;
  await Deno.mkdir(images, { recursive: true });
  await Deno.mkdir(labels, { recursive: true });
  const bases = [
    await loadBase(`${samples}/nibabel/anatomical.nii`, "a", ".nii", {
      narrower: [2, 8], // int16 -> uint8
      wider: [16, 32], // int16 -> float32
    }),
    await loadBase(`${samples}/nifti-reader-js/little.nii.gz`, "b", ".nii.gz", {
      narrower: [4, 16], // float32 -> int16
      wider: [64, 64], // float32 -> float64
    }),
  ];
  const good: string[] = [];
  const bad: BadCase[] = [];
  /**
   * A case: image bytes (or null to create the path otherwise) and a label on
   * the grid of `labelFrom` (raw bytes, if readable) or of the base.
   */
  const put = async (
    caseId: string,
    base: Base,
    image: Uint8Array | null,
    labelFrom?: Uint8Array,
  ) => {
    if (image) await Deno.writeFile(`${images}/${caseId}${base.ext}`, image);
    const path = `${labels}/${caseId}${base.ext}`;
    const fitted = labelFrom &&
      await writeLabel(path, { ...base, raw: labelFrom }).then(() => true, () => false);
    if (!fitted) await writeLabel(path, base);
    return `${images}/${caseId}${base.ext}`;
  };
  const expectBad = (caseId: string, file: string, field: RegExp) =>
    bad.push({ caseId, file, field });

  for (const base of bases) {
    const t = base.tag;
    // 1) header fields, one at a time
    for (const [name, edits, field] of HEADER_EDITS) {
      const id = `${t}_${name}`;
      const raw = edited(base, edits);
      expectBad(id, await put(id, base, encode(base, raw), raw), field);
    }
    const [narrow, narrowBits] = base.narrower, [wide, wideBits] = base.wider;
    let id = `${t}_datatype_narrower`;
    expectBad(
      id,
      await put(id, base, encode(base, edited(base, [i16(70, narrow), i16(72, narrowBits)]))),
      /datatype or dim disagree with the file size/,
    );
    id = `${t}_datatype_wider`;
    expectBad(
      id,
      await put(id, base, encode(base, edited(base, [i16(70, wide), i16(72, wideBits)]))),
      /image data is truncated/,
    );
    // 2) whole-file damage
    id = `${t}_cut_header`;
    expectBad(id, await put(id, base, encode(base, base.raw.subarray(0, 200))), /348-byte header/);
    id = `${t}_cut_data`;
    expectBad(
      id,
      await put(id, base, encode(base, base.raw.subarray(0, base.raw.length >> 1))),
      /image data is truncated/,
    );
    // 3) legal but unusual: read as nibabel reads them
    id = `${t}_good`;
    await put(id, base, encode(base, base.raw));
    good.push(id);
  }
  const [a, b] = bases as [Base, Base];
  const aGz = { ...a, ext: ".nii.gz" as const };
  const gz = (bytes: Uint8Array) => new Uint8Array(zlib.gzipSync(bytes));
  const join = (...parts: Uint8Array[]) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) (out.set(p, at), at += p.length);
    return out;
  };
  const goodCase = async (caseId: string, base: Base, image: Uint8Array) => {
    await put(caseId, base, image);
    good.push(caseId);
  };
  await goodCase(
    "g_multi_member",
    aGz,
    join(gz(a.raw.subarray(0, 1000)), gz(a.raw.subarray(1000))),
  );
  await goodCase("g_trailing_junk", aGz, join(gz(a.raw), new TextEncoder().encode("junk!junk!")));
  await goodCase("g_trailing_zeros", b, join(gz(b.raw), new Uint8Array(512)));
  const full = gz(b.raw);
  await goodCase("g_no_trailer", b, full.subarray(0, full.length - 8)); // CRC and size cut off
  await goodCase("g_ni1_magic", a, edited(a, [magic("ni1")]));
  await goodCase("g_negative_pixdim", a, edited(a, [f32(80, -2)])); // nibabel: |pixdim|, sform kept
  await put("g_symlink", a, null);
  await Deno.symlink(`${images}/a_good.nii`, `${images}/g_symlink.nii`);
  good.push("g_symlink");

  const more: [string, Base, Uint8Array | null, RegExp][] = [
    ["x_empty", a, new Uint8Array(0), /file has 0 bytes/],
    ["x_random", a, new Uint8Array(4096).map((_, i) => (i * 2654435761) >>> 24), /sizeof_hdr/],
    ["x_gz_cut", b, full.subarray(0, full.length >> 1), /gzip data is truncated or corrupt/],
    ["x_gz_header_only", b, full.subarray(0, 12), /gzip data is truncated or corrupt/],
    ["x_gz_not_deflate", b, full.slice().fill(9, 2, 3), /compression method 9 is not deflate/],
  ];
  for (const [caseId, base, image, field] of more) {
    expectBad(caseId, await put(caseId, base, image), field);
  }
  // a NaN voxel in a float32 image
  const nan = b.raw.slice();
  new DataView(nan.buffer).setFloat32(352 + 4 * 100, NaN, true);
  expectBad("x_nan_voxel", await put("x_nan_voxel", b, encode(b, nan)), /has 1 NaN/);
  // entries that are not files
  await Deno.mkdir(`${images}/y_directory.nii.gz`);
  await writeLabel(`${labels}/y_directory.nii.gz`, b);
  expectBad("y_directory", `${images}/y_directory.nii.gz`, /is a directory/);
  await Deno.symlink(`${images}/nowhere.nii`, `${images}/y_dangling.nii`);
  await writeLabel(`${labels}/y_dangling.nii`, a);
  expectBad("y_dangling", `${images}/y_dangling.nii`, /is a symlink to ".*nowhere\.nii"/);
  await Deno.symlink(`${images}/y_loop.nii`, `${images}/y_loop.nii`);
  await writeLabel(`${labels}/y_loop.nii`, a);
  expectBad("y_loop", `${images}/y_loop.nii`, /symlink loop/);

  // 4) labels that do not fit their image
  const label = (id: string) => `${labels}/${id}.nii`;
  const z = (caseId: string, field: RegExp, file = label(caseId)) => {
    expectBad(caseId, file, field);
    return Deno.writeFile(`${images}/${caseId}.nii`, a.raw);
  };
  await z("z_label_shape", /shape \[64, 64, 21, 1\] does not match image/);
  await writeLabel(label("z_label_shape"), b, ".nii");
  const vol = await readNifti(`${images}/a_good.nii`);
  const n = vol.data.length;
  const srow = vol.header.srow.map((r) => [...r]);
  srow[0]![3] = (srow[0]![3] ?? 0) + 5; // 5 mm to the side
  await z("z_label_shifted", /affine .* by 5 mm, more than geometryTolerance/);
  await writeNifti(label("z_label_shifted"), { data: new Uint8Array(n), dims: vol.dims }, {
    geometry: { ...vol.header, srow },
  });
  await z("z_label_grey", /voxel \d+ is \d+, not an integer class in \[0, 31\]/);
  await writeNifti(label("z_label_grey"), {
    data: Float32Array.from({ length: n }, (_, i) => i % 256),
    dims: vol.dims,
  }, { geometry: vol.header });
  await z("z_label_fraction", /voxel 0 is 0\.5, not an integer class/);
  await writeNifti(label("z_label_fraction"), {
    data: new Float32Array(n).fill(0.5),
    dims: vol.dims,
  }, { geometry: vol.header });
  await z("z_label_directory", /is a directory/);
  await Deno.mkdir(label("z_label_directory"));
  await z("z_label_missing", /file is missing/);
  await z("z_label_bad_magic", /magic "zz1\\x00"/);
  await Deno.writeFile(label("z_label_bad_magic"), edited(a, [magic("zz1")]));
  return { good, bad };
}

/** A {0, 1} label on `base`'s grid (the sample thresholded at its mean), with its geometry. */
async function writeLabel(path: string, base: Base, ext: string = base.ext): Promise<void> {
  const tmp = await Deno.makeTempFile({ suffix: ".nii" });
  try {
    await Deno.writeFile(tmp, base.raw);
    const vol = await readNifti(tmp);
    let mean = 0;
    for (const v of vol.data) mean += v / vol.data.length;
    const data = Uint8Array.from(vol.data, (v) => (v > mean ? 1 : 0));
    const target = path.replace(/\.nii(\.gz)?$/, ext);
    await writeNifti(target, { data, dims: vol.dims }, { geometry: vol.header });
  } finally {
    await Deno.remove(tmp);
  }
}
