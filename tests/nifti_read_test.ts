import assert from "node:assert/strict";
import { InputFileError } from "../lib/errors.ts";
import { readNifti, readNiftiHeader } from "../lib/io/nifti_read.ts";
import { gzip } from "../lib/io/_gzip.ts";

const SAMPLES = new URL("../../shared/data/nifti-samples/", import.meta.url);
const haveShared = await Deno.stat(SAMPLES).then(() => true, () => false);
if (!haveShared) {
  console.warn(`nifti_read_test: ${SAMPLES.pathname} is absent; tests on real files are skipped`);
}

interface Vector {
  shape?: number[];
  dtype?: string;
  endian?: string;
  zooms?: number[];
  affine?: number[][];
  error?: string;
  data?: {
    count: number;
    nanCount: number;
    probes: [number, number | null][];
    argmax: number;
    max: number;
    min: number;
    sum: number;
    sumSq: number;
  } | null;
}

const vectors = JSON.parse(
  await Deno.readTextFile(new URL("./testdata/nifti_vectors.json", import.meta.url)),
) as { files: Record<string, Vector> };

function sample(rel: string): string {
  return new URL(rel, SAMPLES).pathname;
}

function assertClose(actual: number, expected: number, rel: number, what: string): void {
  const tol = rel * Math.max(1, Math.abs(expected));
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: ${actual} is not within ${tol} of ${expected}`,
  );
}

/** Float64 sums over the non-NaN voxels, and the NaN count. */
function sums(data: Float32Array): { sum: number; sumSq: number; nans: number } {
  let sum = 0, sumSq = 0, nans = 0;
  for (const v of data) {
    if (Number.isNaN(v)) {
      nans++;
      continue;
    }
    sum += v;
    sumSq += v * v;
  }
  return { sum, sumSq, nans };
}

Deno.test({
  name: "readNifti() matches nibabel on every file in nifti-samples",
  ignore: !haveShared,
  async fn() {
    const listed: string[] = [];
    const walk = async (dir: URL, prefix: string) => {
      for await (const e of Deno.readDir(dir)) {
        if (e.isDirectory) await walk(new URL(`${e.name}/`, dir), `${prefix}${e.name}/`);
        else listed.push(`${prefix}${e.name}`);
      }
    };
    await walk(SAMPLES, "");
    assert.deepEqual(listed.sort(), Object.keys(vectors.files).sort(), "vectors cover every file");
    for (const [rel, v] of Object.entries(vectors.files)) {
      const path = sample(rel);
      if (v.error) {
        await assert.rejects(readNifti(path), InputFileError, rel);
        continue;
      }
      const head = await readNiftiHeader(path);
      assert.deepEqual(head.dims, v.shape, `${rel} shape`);
      assert.equal(head.datatype, v.dtype, `${rel} dtype`);
      assert.equal(head.header.littleEndian, v.endian === "little", `${rel} endian`);
      head.spacing.forEach((s, i) =>
        assertClose(s, Math.abs(v.zooms?.[i] ?? NaN), 1e-6, `${rel} zoom ${i}`)
      );
      head.affine.forEach((row, i) =>
        row.forEach((x, j) =>
          assertClose(x, v.affine?.[i]?.[j] ?? NaN, 1e-6, `${rel} affine[${i}][${j}]`)
        )
      );
      if (!v.data) {
        await assert.rejects(readNifti(path), /image file .*\.img" is missing/, rel);
        continue;
      }
      const vol = await readNifti(path);
      assert.equal(vol.data.length, v.data.count, `${rel} count`);
      for (const [i, value] of v.data.probes) {
        if (value === null) assert.ok(Number.isNaN(vol.data[i]), `${rel} voxel ${i} is NaN`);
        else assertClose(vol.data[i] ?? NaN, value, 1e-6, `${rel} voxel ${i}`);
      }
      assertClose(vol.data[v.data.argmax] ?? NaN, v.data.max, 1e-6, `${rel} max`);
      const { sum, sumSq, nans } = sums(vol.data);
      assert.equal(nans, v.data.nanCount, `${rel} NaN count`);
      assertClose(sum, v.data.sum, 1e-6, `${rel} sum`);
      assertClose(sumSq, v.data.sumSq, 1e-6, `${rel} sumSq`);
    }
  },
});

Deno.test({
  name: "readNifti() reads big- and little-endian files identically",
  ignore: !haveShared,
  async fn() {
    const big = await readNifti(sample("nifti-reader-js/big.nii.gz"));
    const little = await readNifti(sample("nifti-reader-js/little.nii.gz"));
    assert.equal(big.header.littleEndian, false);
    assert.equal(little.header.littleEndian, true);
    assert.deepEqual(big.dims.slice(0, 3), little.dims.slice(0, 3));
    assert.deepEqual(big.data, little.data);
    assert.deepEqual(big.affine, little.affine);
  },
});

Deno.test({
  name: "readNifti() reads .nii and .nii.gz identically",
  ignore: !haveShared,
  async fn() {
    const raw = await readNifti(sample("nifti-reader-js/avg152T1_LR_nifti.nii"));
    const gz = await readNifti(sample("nifti-reader-js/avg152T1_LR_nifti.nii.gz"));
    assert.deepEqual(raw.data, gz.data);
    assert.deepEqual(raw.dims, gz.dims);
    assert.deepEqual(raw.affine, gz.affine);
  },
});

Deno.test({
  name: "readNifti() reads NIfTI-2 avg152T1 equal to its NIfTI-1 version",
  ignore: !haveShared,
  async fn() {
    const n1 = await readNifti(sample("nifti-reader-js/avg152T1_LR_nifti.nii.gz"));
    const n2 = await readNifti(sample("nifti-reader-js/avg152T1_LR_nifti2.nii.gz"));
    assert.equal(n1.header.version, 1);
    assert.equal(n2.header.version, 2);
    assert.equal(n2.datatype, "float32");
    assert.deepEqual(n2.dims, n1.dims);
    assert.deepEqual(n2.affine, n1.affine);
    assert.deepEqual(n2.data, n1.data);
  },
});

Deno.test({
  name: "readNifti() rejects not-nifti.nii with a message naming the file",
  ignore: !haveShared,
  async fn() {
    const path = sample("negative/not-nifti.nii");
    await assert.rejects(readNifti(path), (e: unknown) => {
      assert.ok(e instanceof InputFileError);
      assert.match(
        e.message,
        /^Cannot read NIfTI ".*not-nifti\.nii": sizeof_hdr is -?\d+, not 348 or 540/,
      );
      assert.equal(e.message.includes("\n"), false);
      return true;
    });
  },
});

Deno.test({
  name: "readNifti() rejects a truncated .nii.gz and a .hdr without .img in one line",
  ignore: !haveShared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const full = await Deno.readFile(sample("nifti-reader-js/little.nii.gz"));
      const cut = `${dir}/cut.nii.gz`;
      await Deno.writeFile(cut, full.subarray(0, full.length - 1000));
      await assert.rejects(
        readNifti(cut),
        /^InputFileError: Cannot read NIfTI ".*cut\.nii\.gz": gzip data is truncated/,
      );
      // The same voxels, but the uncompressed stream is cut short inside valid gzip.
      const raw = new Uint8Array(
        await new Response(
          new Blob([full]).stream().pipeThrough(new DecompressionStream("gzip")),
        ).arrayBuffer(),
      );
      const short = `${dir}/short.nii.gz`;
      await Deno.writeFile(short, await gzip(raw.subarray(0, raw.length - 10)));
      await assert.rejects(readNifti(short), /short\.nii\.gz": image data is truncated/);
      await assert.rejects(
        readNifti(sample("nibabel/nifti1.hdr")),
        /nifti1\.hdr": .*"nifti1\.img" is missing/,
      );
      await assert.rejects(readNifti(`${dir}/absent.nii`), /absent\.nii": file does not exist/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "readNifti() reads a .hdr/.img pair when the .img is present",
  ignore: !haveShared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const src = await readNifti(sample("nifti-reader-js/avg152T1_LR_nifti.nii"));
      const full = await Deno.readFile(sample("nifti-reader-js/avg152T1_LR_nifti.nii"));
      const hdr = full.slice(0, 348);
      hdr.set([0x6e, 0x69, 0x31, 0], 344); // magic "ni1"
      const view = new DataView(hdr.buffer);
      view.setFloat32(108, 0, !src.header.littleEndian ? false : true); // vox_offset 0 in .img
      await Deno.writeFile(`${dir}/pair.hdr`, hdr);
      await Deno.writeFile(`${dir}/pair.img`, full.subarray(Math.round(src.header.voxOffset)));
      const pair = await readNifti(`${dir}/pair.hdr`);
      assert.equal(pair.header.pair, true);
      assert.deepEqual(pair.data, src.data);
      assert.deepEqual(pair.affine, src.affine);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
