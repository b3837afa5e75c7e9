/**
 * Corrupted (and a few legal but unusual) PNG images and masks made at test
 * time from one BUSI image and its mask, as a BUSI layout: one case per
 * variant, with what the preprocess report must say about each bad one.
 */

import * as zlib from "node:zlib";
import type { BadCase, Variants } from "./_nifti_variants.ts";

interface Chunk {
  readonly type: string;
  readonly data: Uint8Array;
}

function chunks(png: Uint8Array): Chunk[] {
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at + 12 <= png.length;) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    out.push({ type, data: png.slice(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

/** A PNG from chunks, each with its correct CRC unless `badCrc` names its type. */
function build(list: readonly Chunk[], badCrc = ""): Uint8Array {
  const parts: Uint8Array[] = [Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)];
  for (const { type, data } of list) {
    const body = new Uint8Array(4 + data.length);
    body.set(new TextEncoder().encode(type));
    body.set(data, 4);
    const head = new Uint8Array(4);
    new DataView(head.buffer).setUint32(0, data.length);
    const crc = new Uint8Array(4);
    new DataView(crc.buffer).setUint32(0, (zlib.crc32(body) ^ (type === badCrc ? 1 : 0)) >>> 0);
    parts.push(head, body, crc);
  }
  return join(parts);
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

/** IHDR data: width, height, bit depth, colour type, compression, filter, interlace. */
function ihdr(w: number, h: number, rest: readonly number[] = [8, 2, 0, 0, 0]): Chunk {
  const data = new Uint8Array(13);
  const view = new DataView(data.buffer);
  view.setUint32(0, w);
  view.setUint32(4, h);
  data.set(rest, 8);
  return { type: "IHDR", data };
}

/**
 * Writes the dataset under `root/benign/`.
 *
 * @param image A BUSI image (8-bit RGB).
 * @param mask Its mask.
 * @param root An empty folder.
 * @returns The good case ids and the bad cases.
 */
export async function writePngVariants(
  image: string,
  mask: string,
  root: string,
): Promise<Variants> {
  const dir = `${root}/benign`;
  await Deno.mkdir(dir, { recursive: true });
  const img = await Deno.readFile(image);
  const msk = await Deno.readFile(mask);
  const list = chunks(img);
  const head = list[0]!.data;
  const [w, h] = [new DataView(head.buffer).getUint32(0), new DataView(head.buffer).getUint32(4)];
  const rest = [...head.subarray(8)];
  const withHeader = (c: Chunk) => build([c, ...list.slice(1)]);
  const good: string[] = [];
  const bad: BadCase[] = [];
  const path = (name: string) => `${dir}/${name}.png`;
  const put = async (name: string, bytes: Uint8Array | null, maskBytes: Uint8Array | null) => {
    if (bytes) await Deno.writeFile(path(name), bytes);
    if (maskBytes) await Deno.writeFile(path(`${name}_mask`), maskBytes);
  };
  // a 3000 x 3000 grey image, a valid PNG of about 9 kB: 9 M pixels
  const rows = new Uint8Array(3000 * 3001);
  const big = build([
    ihdr(3000, 3000, [8, 0, 0, 0, 0]),
    { type: "IDAT", data: new Uint8Array(zlib.deflateSync(rows)) },
    { type: "IEND", data: new Uint8Array(0) },
  ]);
  const idat = list.findIndex((c) => c.type === "IDAT");
  const scrambled = list.map((c, i) =>
    i === idat ? { type: c.type, data: c.data.map((b, k) => (k > 8 ? b ^ 0x5a : b)) } : c
  );
  const imageCases: [string, Uint8Array, RegExp][] = [
    ["p_signature", img.slice().fill(0x41, 1, 4), /signature is not the PNG signature/],
    ["p_empty", new Uint8Array(0), /signature is not the PNG signature/],
    ["p_cut_ihdr", img.subarray(0, 20), /too few for the IHDR chunk/],
    ["p_cut_idat", img.subarray(0, img.length >> 1), /chunk "IDAT" at byte \d+ is truncated/],
    ["p_ihdr_crc", build(list, "IHDR"), /IHDR CRC does not match/],
    ["p_width_zero", withHeader(ihdr(0, h, rest)), /IHDR width is 0/],
    ["p_height_2e31", withHeader(ihdr(w, 2 ** 31, rest)), /IHDR height is 2147483648/],
    ["p_huge_header", withHeader(ihdr(65535, 65535, rest)), /65535 x 65535 .* maxPixels/],
    ["p_huge_real", big, /3000 x 3000 .* maxPixels/],
    ["p_bit_depth", withHeader(ihdr(w, h, [3, 2, 0, 0, 0])), /IHDR bit depth 3/],
    ["p_colour_type", withHeader(ihdr(w, h, [8, 5, 0, 0, 0])), /IHDR colour type 5/],
    ["p_compression", withHeader(ihdr(w, h, [8, 2, 1, 0, 0])), /IHDR compression method 1/],
    ["p_filter", withHeader(ihdr(w, h, [8, 2, 0, 1, 0])), /IHDR filter method 1/],
    ["p_interlace", withHeader(ihdr(w, h, [8, 2, 0, 0, 2])), /IHDR interlace method 2/],
    [
      "p_first_chunk",
      build([{ type: "IHDX", data: head }, ...list.slice(1)]),
      /first chunk is "IHDX"/,
    ],
    ["p_idat_crc", build(list, "IDAT"), /chunk "IDAT" at byte 33: CRC does not match/],
    ["p_idat_scrambled", build(scrambled), /IDAT data cannot be inflated/],
    ["p_taller", withHeader(ihdr(w, h + 7, rest)), /IDAT data holds \d+ bytes of rows/],
    ["p_no_iend", img.subarray(0, img.length - 12), /before the IEND chunk/],
    ["p_nifti_named_png", new Uint8Array(352).fill(7, 0, 4), /signature is not the PNG/],
  ];
  for (const [name, bytes, field] of imageCases) {
    await put(name, bytes, msk);
    bad.push({ caseId: `benign/${name}`, file: path(name), field });
  }
  const maskCases: [string, Uint8Array, RegExp][] = [
    ["q_mask_signature", msk.slice().fill(0, 0, 8), /signature is not the PNG signature/],
    [
      "q_mask_huge",
      build([ihdr(65535, 65535, [1, 0, 0, 0, 0]), ...chunks(msk).slice(1)]),
      /maxPixels/,
    ],
    ["q_mask_cut", msk.subarray(0, 40), /file ends at byte 40 before the IEND chunk/],
    [
      "q_mask_other_size",
      build([ihdr(w + 1, h, [8, 0, 0, 0, 0]), {
        type: "IDAT",
        data: new Uint8Array(zlib.deflateSync(new Uint8Array((w + 2) * h))),
      }, { type: "IEND", data: new Uint8Array(0) }]),
      /size \d+x\d+ does not match its image/,
    ],
  ];
  for (const [name, bytes, field] of maskCases) {
    await put(name, img, bytes);
    bad.push({ caseId: `benign/${name}`, file: path(`${name}_mask`), field });
  }
  // entries that are not files, and a missing mask
  await Deno.mkdir(path("r_directory"));
  await put("r_directory", null, msk);
  bad.push({ caseId: "benign/r_directory", file: path("r_directory"), field: /is a directory/ });
  await Deno.symlink(`${dir}/nowhere.png`, path("r_dangling"));
  await put("r_dangling", null, msk);
  bad.push({ caseId: "benign/r_dangling", file: path("r_dangling"), field: /is a symlink to/ });
  await put("r_mask_loop", img, null);
  await Deno.symlink(path("r_mask_loop_mask"), path("r_mask_loop_mask"));
  bad.push({ caseId: "benign/r_mask_loop", file: path("r_mask_loop_mask"), field: /symlink loop/ });
  await put("r_mask_missing", img, null);
  bad.push({
    caseId: "benign/r_mask_missing",
    file: path("r_mask_missing_mask"),
    field: /file is missing/,
  });
  // legal: the original, bytes after IEND (libpng ignores them), a symlinked image
  await put("a_good", img, msk);
  await put("a_trailing_bytes", join([img, new TextEncoder().encode("after IEND")]), msk);
  await Deno.symlink(path("a_good"), path("a_symlink"));
  await put("a_symlink", null, msk);
  good.push("benign/a_good", "benign/a_trailing_bytes", "benign/a_symlink");
  return { good, bad };
}
