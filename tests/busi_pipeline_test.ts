/**
 * BUSI end to end at a tiny size: preprocess (pretraining and fine-tuning
 * caches) -> a grid of scratch and BASE -> pretrain -> finetune -> evaluate.
 * A BUSI case id holds its class folder (`malignant/malignant (3)`); evaluation
 * once failed writing its prediction there. A few images per class of
 * `../shared/data/busi` are copied into a temporary folder (the BUSI layout
 * lists plain files, not links).
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { loadExperimentConfig } from "../lib/config/experiment_config.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { readPngMask } from "../lib/io/png.ts";
import { readJson } from "../lib/experiment/cell_state.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import { type FinetuneCell, planGrid } from "../lib/experiment/plan_grid.ts";
import type { CellRecord } from "../lib/experiment/run_cell.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { SMOKE_GRID, TEST_MACHINE } from "./_tiny_grid.ts";

const BUSI = fileURLToPath(new URL("../../shared/data/busi/", import.meta.url));
const haveBusi = await Deno.stat(BUSI).then(() => true, () => false);
if (!haveBusi) console.warn(`busi_pipeline_test: ${BUSI} is absent; the BUSI test is skipped`);

/** Copies the first `n` images of a class (natural order) and their masks into the temporary `dir`. */
async function linkClass(dir: string, cls: string, n: number): Promise<void> {
  await Deno.mkdir(`${dir}/${cls}`, { recursive: true });
  const stems = [...Deno.readDirSync(`${BUSI}/${cls}`)].map((e) => e.name)
    .filter((name) => /^\D+\((\d+)\)\.png$/.test(name))
    .sort((a, b) => Number(/\((\d+)\)/.exec(a)![1]) - Number(/\((\d+)\)/.exec(b)![1]))
    .slice(0, n)
    .map((name) => name.replace(/\.png$/, ""));
  for (const name of Deno.readDirSync(`${BUSI}/${cls}`)) {
    if (stems.some((s) => name.name === `${s}.png` || name.name.startsWith(`${s}_mask`))) {
      await Deno.copyFile(`${BUSI}/${cls}/${name.name}`, `${dir}/${cls}/${name.name}`);
    }
  }
}

Deno.test({
  name:
    "BUSI: preprocess -> pretrain -> finetune -> evaluate writes predictions and overlays into class folders",
  ignore: !haveBusi,
  async fn() {
    await setupWasmBackend({ threads: 1 });
    const dir = await Deno.makeTempDir();
    await linkClass(`${dir}/busi`, "benign", 9);
    await linkClass(`${dir}/busi`, "malignant", 9);
    await linkClass(`${dir}/busi`, "normal", 3);
    for (const mode of ["pretrain", "finetune"] as const) {
      const report = await runPreprocess(resolvePreprocessConfig({
        layout: "busi",
        input: `${dir}/busi`,
        output: `${dir}/cache_${mode}`,
        size: 32,
        mode,
      }));
      assert.equal(report.skipped.length, 0);
      assert.equal(report.cases, 21);
    }
    const grid = await loadExperimentConfig(SMOKE_GRID, [
      `outDir=${dir}/runs`,
      "name=busi",
      "data.source=cache",
      `data.cacheDir=${dir}/cache_finetune`,
      `data.pretrainCacheDir=${dir}/cache_pretrain`,
      "data.size=32",
      "baseWidth=4",
      "backend=wasm",
      "fractions=[1]",
      "seeds=[0]",
      "rows.SimMIM=null",
      "rows.MPS-AMS=null",
      "pretrain.train.epochs=1",
      "pretrain.train.batchSize=4",
      "finetune.train.epochs=2",
      "finetune.train.valEvery=1",
      "finetune.eval.overlays=2",
    ]);
    const plan = await planGrid(grid);
    const r = await runGrid(plan, { machine: TEST_MACHINE, progress: null, log: () => {} });
    assert.deepEqual(r.failed, []);
    assert.equal(r.ran, 3);

    // pretraining: the 18 labelled + 3 normal images, less the val/test patients of the split
    const pre = await readJson(`${plan.cells[0]!.runDir}/cell.json`) as CellRecord;
    assert.equal(pre.pretrainData!.excluded.length, 4, "18 labelled images: 14/2/2");
    assert.equal(pre.pretrainData!.slices, 21 - 4);

    for (const cell of plan.cells.filter((c): c is FinetuneCell => c.stage === "finetune")) {
      const record = await readJson(`${cell.runDir}/cell.json`) as CellRecord;
      assert.equal(record.finetune!.summary.n, 2);
      assert.equal(record.finetune!.predictionGrid, "PNG on the source image size");
      const cases = (await Deno.readTextFile(`${cell.runDir}/eval/cases.csv`)).trim().split("\n")
        .slice(1);
      for (const line of cases) {
        const caseId = line.startsWith('"')
          ? line.slice(1, line.indexOf('"', 1))
          : line.split(",")[0]!;
        assert.match(caseId, /^(benign|malignant)\/\w+ \(\d+\)$/);
        const pred = await readPngMask(`${cell.runDir}/eval/predictions/${caseId}.png`);
        const source = await readPngMask(`${BUSI}/${caseId}_mask.png`);
        assert.deepEqual([pred.width, pred.height], [source.width, source.height], "source size");
        await Deno.stat(`${cell.runDir}/eval/overlays/${caseId}.png`);
      }
    }
    const collected = await collectGrid(plan);
    assert.match(collected.markdown, /\| MAE \(BASE\) \| 1 \|/);
    await Deno.remove(dir, { recursive: true });
  },
});
