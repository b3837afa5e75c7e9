import assert from "node:assert/strict";
import { readNifti } from "../lib/io/nifti_read.ts";
import { encodeNifti, writeNifti } from "../lib/io/nifti_write.ts";

const SAMPLES = new URL("../../shared/data/nifti-samples/", import.meta.url);
const haveShared = await Deno.stat(SAMPLES).then(() => true, () => false);
if (!haveShared) {
  console.warn(
    `nifti_write_test: ${SAMPLES.pathname} is absent; round trips on real files are skipped`,
  );
}

const PYTHON = "/usr/bin/python3";
const haveNibabel = await new Deno.Command(PYTHON, {
  args: ["-c", "import nibabel"],
  stdout: "null",
  stderr: "null",
})
  .output().then((o) => o.success, () => false);
if (!haveNibabel) {
  console.warn(`nifti_write_test: ${PYTHON} with nibabel is absent; nibabel checks are skipped`);
}

/** Loads `path` with nibabel and returns what it sees. */
async function nibabelView(path: string): Promise<
  {
    shape: number[];
    dtype: string;
    affine: number[][];
    qcode: number;
    scode: number;
    sum: number;
    first: number[];
  }
> {
  const code = `
import json, sys, nibabel as nib, numpy as np
img = nib.load(sys.argv[1]); d = np.asarray(img.dataobj)
print(json.dumps({"shape": list(img.shape), "dtype": d.dtype.name, "affine": img.affine.tolist(),
  "qcode": int(img.header["qform_code"]), "scode": int(img.header["sform_code"]),
  "sum": float(d.astype(np.float64).sum()), "first": d.reshape(-1, order="F")[:50].astype(float).tolist()}))`;
  const out = await new Deno.Command(PYTHON, { args: ["-c", code, path] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("encodeNifti() rejects wrong lengths and non-uint8 mask values", () => {
  assert.throws(() => encodeNifti({ data: new Float32Array(5), dims: [2, 2, 1] }), RangeError);
  assert.throws(
    () =>
      encodeNifti({ data: new Float32Array([0, 1, 2.5, 3]), dims: [2, 2, 1] }, {
        datatype: "uint8",
      }),
    /voxel 2 is 2.5/,
  );
});

Deno.test("writeNifti() round-trips a synthetic affine-only volume exactly", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = Float32Array.from({ length: 3 * 4 * 5 }, (_, i) => Math.sin(i) * 1000);
    const affine = [[0, -2, 0, 10], [1.5, 0, 0, -20], [0, 0, 3, 5.5], [0, 0, 0, 1]];
    const path = `${dir}/synthetic.nii.gz`;
    await writeNifti(path, { data, dims: [3, 4, 5] }, { affine });
    const back = await readNifti(path);
    assert.deepEqual(back.data, data);
    assert.deepEqual(back.dims, [3, 4, 5]);
    assert.deepEqual(back.affine, affine);
    assert.deepEqual(back.spacing, [1.5, 2, 3]);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((e) => e.name),
      ["synthetic.nii.gz"],
      "no temp file left",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "writeNifti() round-trips real images and masks exactly, also through nibabel",
  ignore: !haveShared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const cases: [string, "uint8" | "float32"][] = [
        ["nibabel/example4d.nii.gz", "float32"], // qform + sform, 4D, int16 source
        ["nifti-reader-js/big.nii.gz", "float32"], // big-endian, qform only
        ["mricron-data/JHU-WhiteMatter-labels-2mm.nii.gz", "uint8"], // label atlas
        ["nibabel/standard.nii.gz", "uint8"], // sform only, anisotropic
      ];
      for (const [rel, datatype] of cases) {
        const src = await readNifti(new URL(rel, SAMPLES).pathname);
        const out = `${dir}/${rel.replaceAll("/", "_")}`;
        const data = datatype === "uint8" ? Uint8Array.from(src.data) : src.data;
        await writeNifti(out, { data, dims: src.dims }, { datatype, geometry: src.header });
        const back = await readNifti(out);
        assert.deepEqual(back.data, src.data, `${rel} data`);
        assert.deepEqual(back.dims, src.dims, `${rel} dims`);
        assert.deepEqual(back.affine, src.affine, `${rel} affine`);
        assert.deepEqual(back.spacing, src.spacing, `${rel} spacing`);
        assert.equal(back.header.qformCode, src.header.qformCode);
        assert.equal(back.header.sformCode, src.header.sformCode);
        assert.equal(back.datatype, datatype);
        if (!haveNibabel) continue;
        const nib = await nibabelView(out);
        const ref = await nibabelView(new URL(rel, SAMPLES).pathname);
        assert.deepEqual(nib.shape, ref.shape, `${rel} nibabel shape`);
        assert.equal(nib.dtype, datatype, `${rel} nibabel dtype`);
        assert.deepEqual(nib.affine, ref.affine, `${rel} nibabel affine`);
        assert.equal(nib.qcode, ref.qcode);
        assert.equal(nib.scode, ref.scode);
        assert.equal(nib.sum, ref.sum, `${rel} nibabel sum`);
        assert.deepEqual(nib.first, ref.first, `${rel} nibabel voxels`);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
