// Issue 11: readNifti() accepts what nibabel reads (multi-member gzip, bytes after the last
// member, a member without its trailer, "ni1" in a .nii, negative pixdim, bytes after the
// voxels) with nibabel's values, refuses what nibabel refuses, and refuses, one line naming
// the field, the damaged headers nibabel reads as silent garbage (listed below).

import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { InputFileError } from "../lib/errors.ts";
import { readNifti } from "../lib/io/nifti_read.ts";

const SAMPLE = new URL("../../shared/data/nifti-samples/nibabel/anatomical.nii", import.meta.url);
const haveSample = await Deno.stat(SAMPLE).then(() => true, () => false);
const PYTHON = "/usr/bin/python3";
const haveNibabel = await new Deno.Command(PYTHON, {
  args: ["-c", "import nibabel"],
  stdout: "null",
  stderr: "null",
}).output().then((o) => o.success, () => false);
if (!haveSample || !haveNibabel) {
  console.warn("nifti_validation_test: ../shared/data or python3 with nibabel is absent; skipped");
}

interface NibabelView {
  readonly shape?: number[];
  readonly sum?: number;
  readonly affine?: number[][];
  readonly error?: string;
}

/** What nibabel makes of each file (one Python process for all). */
async function nibabel(paths: readonly string[]): Promise<NibabelView[]> {
  const code = `
import json, sys, warnings, numpy as np, nibabel as nib
warnings.simplefilter("ignore")
for p in sys.argv[1:]:
    try:
        img = nib.load(p); d = np.asarray(img.dataobj, dtype=np.float64)
        print(json.dumps({"shape": list(img.shape), "sum": float(d.sum()), "affine": np.nan_to_num(img.affine, nan=1e300).tolist()}))
    except Exception as e:
        print(json.dumps({"error": type(e).__name__}))`;
  const out = await new Deno.Command(PYTHON, { args: ["-c", code, ...paths] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").map((l) => JSON.parse(l));
}

function join(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) (out.set(p, at), at += p.length);
  return out;
}

/** The sample with big-endian header edits. */
function edit(raw: Uint8Array, fn: (view: DataView) => void): Uint8Array {
  const bytes = raw.slice();
  fn(new DataView(bytes.buffer));
  return bytes;
}

Deno.test({
  name: "readNifti() reads and refuses as nibabel does, and refuses nibabel's silent garbage",
  ignore: !haveSample || !haveNibabel,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const raw = await Deno.readFile(SAMPLE); // big-endian int16, sform and qform
      const gz = (b: Uint8Array) => new Uint8Array(zlib.gzipSync(b));
      const full = gz(raw);
      const same: Record<string, Uint8Array> = {
        "multi_member.nii.gz": join(gz(raw.subarray(0, 1000)), gz(raw.subarray(1000))),
        "three_members_tiny_first.nii.gz": join(
          gz(raw.subarray(0, 10)),
          gz(raw.subarray(10, 400)),
          gz(raw.subarray(400)),
        ),
        "trailing_junk.nii.gz": join(full, new TextEncoder().encode("not gzip at all")),
        "trailing_zeros.nii.gz": join(full, new Uint8Array(100)),
        "no_trailer.nii.gz": full.subarray(0, full.length - 8),
        "ni1_magic.nii": edit(raw, (v) => v.setUint8(345, "i".charCodeAt(0))),
        "negative_pixdim.nii": edit(raw, (v) => v.setFloat32(80, -2, false)),
        "bytes_after_voxels.nii": join(raw, new Uint8Array(1000)),
      };
      const refusedByBoth: Record<string, [Uint8Array, RegExp]> = {
        "bad_magic.nii": [edit(raw, (v) => v.setUint8(344, 0x78)), /magic "x\+1\\x00"/],
        "vox_offset_100.nii": [edit(raw, (v) => v.setFloat32(108, 100, false)), /vox_offset 100/],
        "dim_negative.nii": [edit(raw, (v) => v.setInt16(42, -3, false)), /dim\[1\] is -3/],
        "float32_truncated.nii": [
          edit(raw, (v) => (v.setInt16(70, 16, false), v.setInt16(72, 32, false))),
          /image data is truncated/,
        ],
        "gzip_cut.nii.gz": [full.subarray(0, full.length >> 1), /gzip data is truncated/],
        "datatype_unknown.nii": [edit(raw, (v) => v.setInt16(70, 3, false)), /datatype 3/],
      };
      // nibabel reads these (with at most a warning) into values that are not the image
      const garbageForNibabel: Record<string, [Uint8Array, RegExp]> = {
        "vox_offset_0.nii": [edit(raw, (v) => v.setFloat32(108, 0, false)), /vox_offset 0/],
        "datatype_uint8.nii": [
          edit(raw, (v) => (v.setInt16(70, 2, false), v.setInt16(72, 8, false))),
          /datatype or dim disagree with the file size/,
        ],
        "pixdim_zero.nii": [edit(raw, (v) => v.setFloat32(80, 0, false)), /pixdim\[1\] is 0/],
        "pixdim_nan.nii": [edit(raw, (v) => v.setFloat32(84, NaN, false)), /pixdim\[2\] is NaN/],
        "srow_nan.nii": [edit(raw, (v) => v.setFloat32(280, NaN, false)), /srow_x\/y\/z/],
        "bitpix_99.nii": [edit(raw, (v) => v.setInt16(72, 99, false)), /bitpix 99/],
      };
      const write = async (name: string, bytes: Uint8Array) => {
        await Deno.writeFile(`${dir}/${name}`, bytes);
        return `${dir}/${name}`;
      };
      const original = await write("original.nii", raw);
      const samePaths = await Promise.all(Object.entries(same).map(([n, b]) => write(n, b)));
      const refusedPaths = await Promise.all(
        Object.entries(refusedByBoth).map(([n, [b]]) => write(n, b)),
      );
      const garbagePaths = await Promise.all(
        Object.entries(garbageForNibabel).map(([n, [b]]) => write(n, b)),
      );
      const views = await nibabel([original, ...samePaths, ...refusedPaths, ...garbagePaths]);
      const [reference, ...rest] = views;
      const sameViews = rest.slice(0, samePaths.length);
      const refusedViews = rest.slice(samePaths.length, samePaths.length + refusedPaths.length);
      const garbageViews = rest.slice(samePaths.length + refusedPaths.length);

      for (const [i, path] of samePaths.entries()) {
        const nib = sameViews[i]!;
        assert.equal(nib.error, undefined, `nibabel reads ${path}`);
        const vol = await readNifti(path);
        assert.deepEqual(vol.dims, nib.shape, path);
        let sum = 0;
        for (const v of vol.data) sum += v;
        assert.equal(sum, nib.sum, `${path}: the same voxels`);
        assert.equal(sum, reference!.sum, `${path}: the original's voxels`);
        vol.affine.forEach((row, r) =>
          row.forEach((x, c) =>
            assert.ok(Math.abs(x - nib.affine![r]![c]!) < 1e-5, `${path} affine[${r}][${c}]`)
          )
        );
      }
      for (const [i, [name, [, field]]] of Object.entries(refusedByBoth).entries()) {
        assert.ok(refusedViews[i]!.error, `nibabel refuses ${name}`);
        await assert.rejects(readNifti(refusedPaths[i]!), (e: unknown) => {
          assert.ok(e instanceof InputFileError);
          assert.match(e.message, field);
          assert.ok(e.message.includes(refusedPaths[i]!));
          return true;
        });
      }
      for (const [i, [name, [, field]]] of Object.entries(garbageForNibabel).entries()) {
        assert.equal(garbageViews[i]!.error, undefined, `nibabel reads ${name} (the premise)`);
        await assert.rejects(readNifti(garbagePaths[i]!), field, name);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
