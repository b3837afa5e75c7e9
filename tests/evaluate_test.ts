import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { phantomDataset } from "../lib/data/phantoms.ts";
import { loadSliceCache, writeSliceCache } from "../lib/data/slice_cache.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { evaluateCases } from "../lib/evaluate/evaluate_cases.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { stackCases } from "../lib/evaluate/stack_cases.ts";
import { toSourceGrid } from "../lib/evaluate/to_source_grid.ts";
import { openFinetuneData } from "../lib/data/finetune_data.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { writeNifti } from "../lib/io/nifti_write.ts";
import { readPngMask } from "../lib/io/png.ts";
import { computeCaseMetrics } from "../lib/metrics/mod.ts";
import { deriveSeed } from "../lib/random.ts";
import { tinyConfig } from "./_tiny_config.ts";

await setupWasmBackend({ threads: 1 });

Deno.test("runEvaluate() writes CSV/JSON/markdown and its metrics equal computeCaseMetrics on the written PNGs", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig(dir, { train: { epochs: 2, valEvery: 1 } });
  await runFinetune(config, { progress: null, log: () => {} });
  const result = await runEvaluate(`${dir}/tiny`, { log: () => {} });
  const evalDir = `${dir}/tiny/eval`;
  const csv = (await Deno.readTextFile(`${evalDir}/cases.csv`)).trim().split("\n");
  const summary = JSON.parse(await Deno.readTextFile(`${evalDir}/summary.json`));
  const md = await Deno.readTextFile(`${evalDir}/metrics.md`);
  assert.equal(csv[0], "case,region,dsc,sen,ppv,biou,hd95,branch");
  assert.equal(csv.length - 1, result.rows.length);
  assert.equal(summary.summaries.foreground.n, result.rows.length);
  assert.match(summary.edt, /^auto: .* -> (cpu|gpu)$/);
  assert.ok(md.includes("| tiny |"));
  const dataset = phantomDataset({
    seed: deriveSeed(config.run.seed, "data"),
    count: 30,
    size: 32,
  });
  const byId = new Map(
    Array.from({ length: dataset.length }, (_, i) => [dataset.get(i).caseId, dataset.get(i)]),
  );
  for (const row of result.rows) {
    const pred = await readPngMask(`${evalDir}/predictions/${row.caseId}.png`);
    const gt = byId.get(row.caseId)!.label!;
    const expected = computeCaseMetrics(gt, pred.data, [32, 32], [1, 1]);
    assert.deepEqual({ ...row, caseId: undefined, region: undefined }, {
      ...expected,
      caseId: undefined,
      region: undefined,
    });
  }
  const overlays = [...Deno.readDirSync(`${evalDir}/overlays`)];
  assert.equal(overlays.length, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("stackCases() puts 3D slices back at their z index whatever their order", async () => {
  const dir = await Deno.makeTempDir();
  const d = 16, plane = d * d;
  const zs = [1, 3, 4];
  const images = new Float32Array(zs.length * plane);
  const labels = new Uint8Array(zs.length * plane);
  zs.forEach((z, n) => {
    images.fill(z, n * plane, (n + 1) * plane);
    labels[n * plane + z] = 1; // pixel x = z, y = 0 marks the slice
  });
  const grid = {
    kind: "volume",
    sourceDims: [20, 12, 6],
    sourceSpacing: [1, 1, 2],
    affine: [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]],
    resampledDims: [20, 12, 6],
    scale: [1, 1, 1],
    offset: [2, -2], // x cropped by 2, y padded by 2
  } as const;
  await writeSliceCache(dir, { size: d, settings: {}, settingsHash: "x" }, [{
    entry: {
      caseId: "vol",
      channels: 1,
      sources: [],
      sliceIndices: zs,
      selected: [true, true, true],
      totalSlices: 6,
      grid,
      intensity: [],
    },
    images,
    labels,
  }]);
  const ds = await loadSliceCache(dir);
  const order = [2, 0, 1]; // predicted out of order
  const pred = new Uint8Array(order.length * plane);
  order.forEach((index, pos) => pred.set(ds.get(index).label!, pos * plane));
  const [c] = stackCases(ds, order, pred);
  assert.ok(c);
  assert.throws(
    () => stackCases(ds, order, pred, { wholeVolumes: true }),
    /Cannot stack case "vol" whole: 3 of its 6 slices were predicted/,
  );
  assert.deepEqual(c.dims, [d, d, 6]);
  assert.deepEqual(c.spacing, [1, 1, 2]);
  for (let z = 0; z < 6; z++) {
    const slicePred: Uint8Array = c.pred.subarray(z * plane, (z + 1) * plane);
    const sliceGt: Uint8Array = c.gt.subarray(z * plane, (z + 1) * plane);
    assert.equal(
      slicePred.reduce((a: number, b: number) => a + b, 0),
      zs.includes(z) ? 1 : 0,
      `z ${z}`,
    );
    if (zs.includes(z)) {
      assert.equal(slicePred[z], 1);
      assert.equal(sliceGt[z], 1);
      assert.equal(c.image[z * plane], z);
    }
  }
  // back on the source grid: cache (c, r) is source (c + 2, r - 2)
  const src = toSourceGrid(c.pred, { grid, size: d });
  assert.deepEqual(src.dims, [20, 12, 6]);
  // the markers sit at cache row 0, which is y = -2 (padding): nothing reaches the source
  assert.equal(src.data.reduce((a: number, b: number) => a + b, 0), 0);
  const marked = new Uint8Array(c.pred.length);
  marked[5 + d * (4 + d * 3)] = 1; // cache (c 5, r 4, z 3) -> source (7, 2, 3)
  const back = toSourceGrid(marked, { grid, size: d });
  assert.equal(back.data[7 + 20 * (2 + 12 * 3)], 1);
  assert.equal(back.data.reduce((a: number, b: number) => a + b, 0), 1);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("evaluateCases() gives per-class rows and their mean for multi-class label maps", async () => {
  const gt = Uint8Array.of(0, 1, 1, 2, 2, 0, 0, 0, 0);
  const pred = Uint8Array.of(0, 1, 1, 2, 0, 0, 0, 0, 0);
  const rows = await evaluateCases(
    [{ caseId: "a", dims: [3, 3], spacing: [1, 1], gt, pred, image: new Float32Array(9) }],
    [{ name: "class1", labels: [1] }, { name: "class2", labels: [2] }],
  );
  assert.deepEqual(rows.map((r) => r.region), ["class1", "class2", "mean"]);
  assert.equal(rows[0]!.dsc, 1);
  assert.ok(Math.abs(rows[2]!.dsc - (rows[0]!.dsc + rows[1]!.dsc) / 2) < 1e-12);
});

Deno.test("a 3D test case is evaluated on every z slice: a false positive on a slice without object lowers PPV", async () => {
  const root = await Deno.makeTempDir();
  const d = 16, nz = 6, plane = d * d;
  try {
    // three patients, tumour (a 4 x 4 square) on z = 2 and 3 only; no black slices
    const dims = [d, d, nz];
    const image = Float32Array.from({ length: plane * nz }, (_, i) => (i % 7) + 1);
    const label = new Uint8Array(plane * nz);
    for (const z of [2, 3]) {
      for (let y = 6; y < 10; y++) for (let x = 6; x < 10; x++) label[x + d * (y + d * z)] = 1;
    }
    for (const name of ["p1", "p2", "p3"]) {
      await Deno.mkdir(`${root}/in/${name}`, { recursive: true });
      await writeNifti(`${root}/in/${name}/FLAIR.nii.gz`, { data: image, dims });
      await writeNifti(`${root}/in/${name}/GT.nii.gz`, { data: label, dims });
    }
    const report = await runPreprocess(resolvePreprocessConfig({
      layout: "cases",
      input: `${root}/in`,
      output: `${root}/cache`,
      modalities: ["FLAIR.nii.gz"],
      label: "GT.nii.gz",
      size: d,
      mode: "finetune",
    }));
    assert.deepEqual([report.slices, report.evalOnlySlices], [3 * 2, 3 * 4]);
    const training = await loadSliceCache(`${root}/cache`); // what pretraining would read
    assert.equal(training.length, 3 * 2);

    const config = tinyConfig(root, {
      data: { source: "cache", cacheDir: `${root}/cache`, size: d },
    });
    const data = await openFinetuneData(config);
    const zOf = (indices: number[]) => indices.map((i) => data.dataset.get(i).sliceIndex);
    // training and validation keep the tumour slices; the test patient has all of them
    assert.deepEqual(zOf(data.train), [2, 3]);
    assert.deepEqual(zOf(data.val), [2, 3]);
    assert.deepEqual(zOf(data.test), [0, 1, 2, 3, 4, 5]);

    // a perfect prediction, then the same with one false-positive pixel on z = 5
    const perfect = new Uint8Array(data.test.length * plane);
    data.test.forEach((index, pos) => perfect.set(data.dataset.get(index).label!, pos * plane));
    const withFp = perfect.slice();
    withFp[zOf(data.test).indexOf(5) * plane + 0] = 1;
    const regions = [{ name: "foreground", minLabel: 1 }];
    const score = async (pred: Uint8Array) =>
      (await evaluateCases(
        stackCases(data.dataset, data.test, pred, { wholeVolumes: true }),
        regions,
      ))[0]!;
    const good = await score(perfect);
    const bad = await score(withFp);
    assert.equal(good.ppv, 1);
    const tp = 2 * 16;
    assert.ok(Math.abs(bad.ppv - (tp + 1e-4) / (tp + 1 + 1e-4)) < 1e-12, `PPV ${bad.ppv}`);
    assert.equal(bad.dsc < good.dsc, true);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
