import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { InputFileError } from "../lib/errors.ts";
import { writeNifti } from "../lib/io/nifti_write.ts";
import { listBusiCases } from "../lib/data/layouts/busi.ts";
import { loadCase } from "../lib/data/layouts/load_case.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { loadSliceCache } from "../lib/data/slice_cache.ts";
import { ConfigError } from "../lib/errors.ts";

const DATA = new URL("../../shared/data/", import.meta.url);
const haveShared = await Deno.stat(DATA).then(() => true, () => false);
if (!haveShared) {
  console.warn(
    `run_preprocess_test: ${fileURLToPath(DATA)} is absent; tests on real data are skipped`,
  );
}
const data = (rel: string) => fileURLToPath(new URL(rel, DATA));

Deno.test({
  name: "runPreprocess() caches 2 BraTS cases, reloads them, and reuses them when unchanged",
  ignore: !haveShared,
  async fn() {
    const out = await Deno.makeTempDir();
    try {
      const config = resolvePreprocessConfig({
        layout: "cases",
        input: data("brats2018"),
        output: out,
        modalities: ["FLAIR.nii.gz", "T1.nii.gz"],
        label: "GT_W.nii.gz",
        mode: "finetune",
        limit: 2,
      });
      const first = await runPreprocess(config);
      assert.deepEqual([first.cases, first.processed, first.reused, first.skipped.length], [
        2,
        2,
        0,
        0,
      ]);
      const ds = await loadSliceCache(out);
      assert.equal(ds.size, 160);
      assert.equal(ds.channels, 2);
      assert.equal(ds.length, first.slices);
      const all = await loadSliceCache(out, { slices: "all" });
      assert.equal(all.length, 2 * 155, "every z slice of both labelled volumes");
      assert.equal(all.length, first.slices + first.evalOnlySlices);
      assert.equal(all.get(0).evalOnly, true, "z = 0 has no tumour");
      const s = ds.get(0);
      assert.equal(s.image.length, 160 * 160 * 2);
      assert.ok(s.label && s.label.some((v) => v === 1), "finetune slices contain tumour");
      assert.equal(s.caseId, "case_0");
      const c0 = ds.manifest.cases[0];
      assert.ok(c0 && c0.grid.kind === "volume");
      if (c0?.grid.kind === "volume") assert.deepEqual(c0.grid.offset, [40, 40]);
      assert.equal(c0?.sources.length, 3);
      assert.match(c0?.sources[0]?.sha256 ?? "", /^[0-9a-f]{64}$/);
      // Background is exactly 0 and the brain is z-scored.
      let n = 0, sum = 0;
      for (let i = 0; i < ds.length; i++) {
        for (const v of ds.get(i).image) if (v !== 0) (n++, sum += v);
      }
      assert.ok(Math.abs(sum / n) < 0.5, `mean of nonzero pixels ${sum / n}`);

      const second = await runPreprocess(config);
      assert.deepEqual([second.processed, second.reused, second.slices], [0, 2, first.slices]);
      const again = await loadSliceCache(out);
      assert.deepEqual(again.get(ds.length - 1).image, ds.get(ds.length - 1).image);
      const leftovers = [...Deno.readDirSync(out)].map((e) => e.name).filter((name) =>
        name.endsWith(".tmp")
      );
      assert.deepEqual(leftovers, []);
      const pre = await runPreprocess({ ...config, mode: "pretrain" });
      assert.equal(pre.processed, 2, "changed settings reprocess every case");
      assert.ok(pre.slices > first.slices);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test({
  name: "listBusiCases() finds 180 images and loadCase() ORs every mask of an image",
  ignore: !haveShared,
  async fn() {
    const refs = await listBusiCases(data("busi"));
    assert.equal(refs.length, 180);
    assert.equal(refs.filter((r) => r.labels.length === 2).length, 9);
    const two = refs.find((r) => r.caseId === "benign/benign (100)");
    assert.equal(two?.labels.length, 2);
    const c = await loadCase(two!);
    const single = await loadCase({ ...two!, labels: [two!.labels[0]!] });
    const count = (m: Uint8Array | null) => m?.reduce((a, b) => a + b, 0) ?? -1;
    assert.ok(count(c.label) > count(single.label), "second mask adds pixels");
    const normal = await loadCase(refs.find((r) => r.caseId.startsWith("normal/"))!);
    assert.equal(count(normal.label), 0);
  },
});

Deno.test("runPreprocess() skips bad cases with one-line errors naming the file, or stops when strict", async () => {
  const root = await Deno.makeTempDir();
  const out = await Deno.makeTempDir();
  try {
    const dims = [8, 8, 4];
    const image = Float32Array.from({ length: 256 }, (_, i) => (i % 7) + 1);
    const label = Uint8Array.from({ length: 256 }, (_, i) => (i % 64 < 9 ? 1 : 0));
    const good = async (name: string) => {
      await Deno.mkdir(`${root}/${name}`);
      await writeNifti(`${root}/${name}/FLAIR.nii.gz`, { data: image, dims });
      await writeNifti(`${root}/${name}/GT.nii.gz`, { data: label, dims });
    };
    await good("a_good");
    await good("b_not_nifti");
    await Deno.writeFile(
      `${root}/b_not_nifti/FLAIR.nii.gz`,
      crypto.getRandomValues(new Uint8Array(1024)),
    );
    await good("c_truncated");
    const gz = await Deno.readFile(`${root}/c_truncated/FLAIR.nii.gz`);
    await Deno.writeFile(`${root}/c_truncated/FLAIR.nii.gz`, gz.subarray(0, gz.length - 20));
    await good("d_mismatch");
    await writeNifti(`${root}/d_mismatch/GT.nii.gz`, {
      data: new Uint8Array(8 * 8 * 5),
      dims: [8, 8, 5],
    });
    await good("e_nan");
    await writeNifti(`${root}/e_nan/FLAIR.nii.gz`, {
      data: image.map((v, i) => (i === 3 ? NaN : v)),
      dims,
    });
    await good("f_missing");
    await Deno.remove(`${root}/f_missing/GT.nii.gz`);
    await good("g_two_channels"); // fine on its own, but the cache holds 1-channel cases
    await writeNifti(`${root}/g_two_channels/FLAIR.nii.gz`, {
      data: Float32Array.from({ length: 512 }, (_, i) => (i % 5) + 1),
      dims: [8, 8, 4, 2],
    });
    const config = resolvePreprocessConfig({
      layout: "cases",
      input: root,
      output: out,
      modalities: ["FLAIR.nii.gz"],
      label: "GT.nii.gz",
      size: 16,
      mode: "finetune",
    });
    const report = await runPreprocess(config);
    assert.deepEqual([report.cases, report.processed, report.reused], [7, 1, 0]);
    const why = Object.fromEntries(report.skipped.map((s) => [s.caseId, s.error]));
    assert.deepEqual(Object.keys(why), [
      "b_not_nifti",
      "c_truncated",
      "d_mismatch",
      "e_nan",
      "f_missing",
      "g_two_channels",
    ]);
    assert.match(why.g_two_channels ?? "", /has 2 channels, earlier cases have 1/);
    assert.match(
      why.b_not_nifti ?? "",
      /b_not_nifti\/FLAIR\.nii\.gz": sizeof_hdr is -?\d+, not 348 or 540/,
    );
    assert.match(
      why.c_truncated ?? "",
      /c_truncated\/FLAIR\.nii\.gz": gzip data is truncated or corrupt/,
    );
    assert.match(
      why.d_mismatch ?? "",
      /d_mismatch\/GT\.nii\.gz": shape \[8, 8, 5\] does not match image/,
    );
    assert.match(why.e_nan ?? "", /e_nan\/FLAIR\.nii\.gz": has 1 NaN or infinite voxels/);
    assert.match(why.f_missing ?? "", /f_missing\/GT\.nii\.gz": file is missing/);
    for (const e of Object.values(why)) assert.equal(e.includes("\n"), false);
    const ds = await loadSliceCache(out);
    assert.ok(ds.length > 0 && ds.get(0).caseId === "a_good");
    const saved = JSON.parse(await Deno.readTextFile(`${out}/preprocess_report.json`));
    assert.equal(saved.skipped.length, 6);
    // again: the good case is reused, the bad ones skipped again; the counts still add up
    const again = await runPreprocess(config);
    assert.deepEqual([again.cases, again.processed, again.reused, again.skipped.length], [
      7,
      0,
      1,
      6,
    ]);

    await assert.rejects(
      runPreprocess({ ...config, strict: true }),
      /b_not_nifti\/FLAIR\.nii\.gz": sizeof_hdr/,
    );
    await Deno.mkdir(`${root}/empty`);
    await assert.rejects(
      runPreprocess({ ...config, input: `${root}/empty` }),
      (e: unknown) =>
        e instanceof InputFileError && /empty": no case sub-folders found/.test(e.message),
    );
  } finally {
    await Deno.remove(root, { recursive: true });
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("resolvePreprocessConfig() rejects unknown keys and bad values", () => {
  assert.throws(
    () => resolvePreprocessConfig({ layout: "busi", input: "x", sise: 3 }),
    ConfigError,
  );
  assert.throws(() => resolvePreprocessConfig({ layout: "nope", input: "x" }), /layout/);
  assert.throws(() => resolvePreprocessConfig({ layout: "cases", input: "x" }), /modalities/);
  assert.throws(
    () => resolvePreprocessConfig({ layout: "busi", input: "x", spacing: [1, 0, 1] }),
    /spacing/,
  );
  const c = resolvePreprocessConfig({ layout: "busi", input: "../shared/data/busi/" });
  assert.equal(c.output, "data-cache/busi");
  assert.equal(c.size, 160);
});
