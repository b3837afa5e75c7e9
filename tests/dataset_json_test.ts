import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { parseDatasetJson } from "../lib/data/layouts/dataset_json.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { readSliceCacheManifest } from "../lib/data/slice_cache.ts";
import { InputFileError } from "../lib/errors.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { writeNifti } from "../lib/io/nifti_write.ts";
import { tinyConfig } from "./_tiny_config.ts";

await setupWasmBackend({ threads: 1 });

const D = 16, NZ = 4;
const DIMS = [D, D, NZ];

/** An image with a bright square, and its label: class 1 on the left half, 2 on the right. */
function volume(seed: number): { image: Float32Array; label: Uint8Array } {
  const image = new Float32Array(D * D * NZ);
  const label = new Uint8Array(D * D * NZ);
  for (let z = 0; z < NZ; z++) {
    for (let y = 0; y < D; y++) {
      for (let x = 0; x < D; x++) {
        const i = x + D * (y + D * z);
        const inside = x >= 4 && x < 12 && y >= 4 && y < 12;
        image[i] = (inside ? 50 : 10) + ((i * 7 + seed) % 5);
        if (inside && z >= 1) label[i] = x < 8 ? 1 : 2;
      }
    }
  }
  return { image, label };
}

const V2 = {
  name: "Prostate-like",
  channel_names: { "0": "T2", "1": "ADC" },
  labels: { background: 0, TZ: 2, PZ: 1 },
  numTraining: 3,
  file_ending: ".nii.gz",
};

/** nnU-Net v2: imagesTr/<case>_0000 + _0001, labelsTr/<case>; case "c" lacks its ADC file. */
async function makeV2(root: string): Promise<void> {
  await Deno.mkdir(`${root}/imagesTr`, { recursive: true });
  await Deno.mkdir(`${root}/labelsTr`, { recursive: true });
  for (const [i, id] of ["a", "b", "c", "d"].entries()) {
    const { image, label } = volume(i);
    await writeNifti(`${root}/imagesTr/${id}_0000.nii.gz`, { data: image, dims: DIMS });
    if (id !== "c") {
      await writeNifti(`${root}/imagesTr/${id}_0001.nii.gz`, {
        data: image.map((v) => 2 * v),
        dims: DIMS,
      });
    }
    await writeNifti(`${root}/labelsTr/${id}.nii.gz`, { data: label, dims: DIMS });
  }
  // another file ending: not an image of this dataset
  await writeNifti(`${root}/imagesTr/e_0000.nii`, { data: volume(9).image, dims: DIMS });
  await Deno.writeTextFile(`${root}/dataset.json`, JSON.stringify(V2));
}

Deno.test("parseDatasetJson() reads MSD and nnU-Net v2 forms, and names the key it cannot use", () => {
  const msd = parseDatasetJson({
    name: "Hippocampus",
    modality: { "0": "MRI" },
    labels: { "0": "background", "2": "Posterior", "1": "Anterior" },
    training: [{ image: "./imagesTr/h_1.nii.gz", label: "./labelsTr/h_1.nii.gz" }],
  }, "dataset.json");
  assert.equal(msd.format, "msd");
  assert.deepEqual(msd.channels, ["MRI"]);
  assert.deepEqual(msd.labels.map((l) => [l.values, l.name]), [
    [[0], "background"],
    [[1], "Anterior"],
    [[2], "Posterior"],
  ]);
  assert.deepEqual(msd.training, [{ image: "imagesTr/h_1.nii.gz", label: "labelsTr/h_1.nii.gz" }]);
  assert.equal(msd.fileEnding, ".nii.gz");
  const v2 = parseDatasetJson({ ...V2, labels: { background: 0, tumour: [1, 2], PZ: 1 } }, "x");
  assert.equal(v2.format, "nnunet-v2");
  assert.deepEqual(v2.channels, ["T2", "ADC"]);
  assert.deepEqual(v2.labels.map((l) => l.name), ["background", "tumour", "PZ"]);
  assert.throws(
    () => parseDatasetJson({ channel_names: { "1": "T2" }, labels: {} }, "p/dataset.json"),
    (e: unknown) =>
      e instanceof InputFileError && /p\/dataset.json.*"channel_names"/.test(e.message),
  );
  assert.throws(
    () => parseDatasetJson({ ...V2, labels: { PZ: "one" } }, "d.json"),
    /"labels" entry "PZ"/,
  );
});

Deno.test("preprocess --check with an nnU-Net v2 dataset.json: lists each case and why one is skipped, writes nothing", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeV2(`${root}/in`);
    const config = resolvePreprocessConfig({
      layout: "images-labels",
      input: `${root}/in`,
      output: `${root}/cache`,
      imagesDir: "imagesTr",
      labelsDir: "labelsTr",
      size: D,
      mode: "finetune",
    });
    const check = await runPreprocess(config, undefined, { dryRun: true });
    assert.equal(check.dryRun, true);
    assert.deepEqual(check.actions.map((a) => `${a.caseId} ${a.action}`), [
      "a process",
      "b process",
      "c skip",
      "d process",
    ]);
    assert.match(check.skipped[0]!.error, /c_0001\.nii\.gz/);
    assert.equal(await Deno.stat(`${root}/cache`).then(() => true, () => false), false);

    const real = await runPreprocess(config);
    assert.deepEqual([real.processed, real.skipped.length], [3, 1]);
    const manifest = await readSliceCacheManifest(`${root}/cache`);
    assert.equal(manifest?.channels, 2);
    const dataset = manifest?.settings.dataset as { channels: string[]; labels: unknown[] };
    assert.deepEqual(dataset.channels, ["T2", "ADC"]);
    assert.deepEqual(dataset.labels, [
      { name: "background", values: [0] },
      { name: "PZ", values: [1] },
      { name: "TZ", values: [2] },
    ]);
    // a second check sees the cache: everything up to date is reused
    const again = await runPreprocess(config, undefined, { dryRun: true });
    assert.deepEqual(again.actions.map((a) => a.action), ["reuse", "reuse", "skip", "reuse"]);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("an MSD dataset.json's training list names the cases; its modality count is the channel count", async () => {
  const root = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${root}/in/imagesTr`, { recursive: true });
    await Deno.mkdir(`${root}/in/labelsTr`, { recursive: true });
    const { image, label } = volume(1);
    const twoChannels = new Float32Array(2 * image.length);
    twoChannels.set(image);
    twoChannels.set(image.map((v) => v + 1), image.length);
    await writeNifti(`${root}/in/imagesTr/m_1.nii.gz`, { data: twoChannels, dims: [...DIMS, 2] });
    await writeNifti(`${root}/in/labelsTr/m_1.nii.gz`, { data: label, dims: DIMS });
    await writeNifti(`${root}/in/imagesTr/m_2.nii.gz`, { data: image, dims: DIMS }); // 1 channel
    await writeNifti(`${root}/in/labelsTr/m_2.nii.gz`, { data: label, dims: DIMS });
    await writeNifti(`${root}/in/imagesTr/m_3.nii.gz`, { data: twoChannels, dims: [...DIMS, 2] });
    await writeNifti(`${root}/in/imagesTr/unlisted.nii.gz`, { data: image, dims: DIMS });
    await Deno.writeTextFile(
      `${root}/in/dataset.json`,
      JSON.stringify({
        modality: { "0": "FLAIR", "1": "T1w" },
        labels: { "0": "background", "1": "edema", "2": "tumour" },
        training: ["m_1", "m_2", "m_3"].map((id) => ({
          image: `./imagesTr/${id}.nii.gz`,
          label: `./labelsTr/${id}.nii.gz`,
        })),
      }),
    );
    const report = await runPreprocess(
      resolvePreprocessConfig({
        layout: "images-labels",
        input: `${root}/in`,
        output: `${root}/cache`,
        size: D,
      }),
      undefined,
      { dryRun: true },
    );
    assert.deepEqual(report.actions.map((a) => `${a.caseId} ${a.action}`), [
      "m_1 process",
      "m_2 skip",
      "m_3 skip",
    ]);
    const [two, three] = report.skipped;
    assert.match(two!.error, /has 1 channels, ".*dataset.json" names 2/);
    assert.match(three!.error, /labelsTr\/m_3.nii.gz.*missing/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("dataset.json label names reach the evaluation report", async () => {
  const root = await Deno.makeTempDir();
  try {
    await makeV2(`${root}/in`);
    await runPreprocess(resolvePreprocessConfig({
      layout: "images-labels",
      input: `${root}/in`,
      output: `${root}/cache`,
      imagesDir: "imagesTr",
      labelsDir: "labelsTr",
      size: D,
      mode: "finetune",
    }));
    const config = {
      ...tinyConfig(root, {
        data: { source: "cache", cacheDir: `${root}/cache`, size: D },
        model: { numClasses: 3 },
        train: { epochs: 1, valEvery: 1 },
        eval: { regions: "classes", overlays: 0 },
      }),
      loss: { kind: "dice_ce", diceWeight: 1 },
    } as const;
    const run = await runFinetune(config, { progress: null, log: () => {} });
    const result = await runEvaluate(run.runDir, { log: () => {}, edt: "cpu" });
    const summary = JSON.parse(await Deno.readTextFile(`${result.evalDir}/summary.json`));
    assert.deepEqual(summary.regionNames, { class1: "PZ", class2: "TZ" });
    const table = await Deno.readTextFile(`${result.evalDir}/metrics.md`);
    assert.match(table, /tiny \(class1: PZ\)/);
    assert.match(table, /tiny \(class2: TZ\)/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
