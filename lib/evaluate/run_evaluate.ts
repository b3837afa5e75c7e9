/**
 * Evaluation of a fine-tuning run on its test split (AMLP sec. 4.6): predict
 * every test slice with `checkpoint_best.ckpt`, stack slices back into each
 * patient's volume (3D) or keep each image (2D), compute every metric per
 * case, then average. Writes `<runDir>/eval/`:
 *
 * - `cases.csv`: per case and region, DSC/Sen/PPV/bIoU/HD95 and the empty-mask branch
 * - `summary.json`: mean/std/min/max per metric and region, branch counts, grids used
 * - `metrics.md`: the markdown table (mean ± std)
 * - `predictions/`: `<case>.nii.gz` (3D; on the source grid when the cache
 *   manifest has the case's grid, else the cache grid) or `<case>.png` (2D; on the
 *   source image size for a cache of images, else the cache grid; pixel = class * step)
 * - `overlays/`: `<case>.png` (2D) or `<case>_z<k>.png` (3D, the slice with the most
 *   ground truth): image gray, ground-truth outline green, prediction outline red,
 *   enlarged to about 256 px with a legend
 *
 * A case id with folders (BUSI's `<class>/<name>`) writes into those folders.
 *
 * Metrics are computed per case on the cache grid: the resampled voxel spacing,
 * the centre crop/pad to `size x size` in-plane, and every z slice of the
 * resampled volume (the cache stores all slices of a labelled volume; the test
 * split predicts them all, so false positives on slices without the object
 * count). Ground truth and prediction both live on that grid, the grid the
 * network sees; on the source grid the ground truth would be the original label
 * and the prediction a nearest-neighbour upsampling, which adds resampling error
 * to the prediction only. Labels outside the crop are outside the evaluation.
 *
 * @module
 */

import { loadSplits } from "../data/splits.ts";
import { getGpu } from "../gpu/device.ts";
import { type EdtPlace, selectEdt } from "../metrics/select_edt.ts";
import { writeAtomic } from "../io/checkpoint.ts";
import { writePng } from "../io/png.ts";
import { writeNifti } from "../io/nifti_write.ts";
import {
  DEFAULT_FINETUNE_CONFIG,
  type FinetuneConfig,
  validateFinetuneConfig,
} from "../config/finetune_config.ts";
import { openFinetuneData, type SegDataset } from "../data/finetune_data.ts";
import { loadFinetunedNet } from "../model/load_finetuned.ts";
import { evalRegions } from "./eval_regions.ts";
import {
  type CaseRow,
  evaluateCases,
  type RegionSummaries,
  summarizeRows,
} from "./evaluate_cases.ts";
import { renderOverlay } from "./overlay.ts";
import { manifestLabelNames, regionLabelNames } from "./region_label_names.ts";
import { overlayFigure } from "../viz/overlay_figure.ts";
import { predictSlices } from "./predict_slices.ts";
import { type CaseVolume, stackCases } from "./stack_cases.ts";
import { toSourceGrid } from "./to_source_grid.ts";
import { casesCsv, summaryMarkdown } from "./write_report.ts";

/** Options of {@linkcode runEvaluate}. */
export interface EvaluateOptions {
  /** A dataset to use instead of the one the run's config names (tests). */
  readonly dataset?: SegDataset;
  /** Which checkpoint: `best` (default) or `last`. */
  readonly checkpoint?: "best" | "last";
  /** Where HD95's distance transforms run (default: the run's `eval.edt`). */
  readonly edt?: EdtPlace;
  /** Where info lines go (default console.log). */
  readonly log?: (line: string) => void;
}

/** What an evaluation returns. */
export interface EvaluateResult {
  readonly evalDir: string;
  readonly config: FinetuneConfig;
  readonly rows: CaseRow[];
  readonly summaries: RegionSummaries;
  /** The region whose summary is the headline (the only one, or `mean`). */
  readonly headline: string;
  /** Where the prediction files are, e.g. "source grid (NIfTI)". */
  readonly predictionGrid: string;
}

/**
 * Evaluates the run in `runDir` on its test split.
 *
 * @param runDir A fine-tuning run folder (with config.json, splits.json, the checkpoint).
 * @param options Dataset override, checkpoint choice.
 * @returns Rows, summaries and the output folder.
 * @throws {ConfigError} If the run's config.json is not a valid fine-tuning config.
 * @throws {NoGpuAdapterError} If HD95's distance transforms are asked to run on `gpu`
 *   and there is no WebGPU adapter.
 */
export async function runEvaluate(
  runDir: string,
  options: EvaluateOptions = {},
): Promise<EvaluateResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const saved = JSON.parse(await Deno.readTextFile(`${runDir}/config.json`));
  // Runs saved before `eval.edt`, `model.norm` or the transfer lr factors existed lack them:
  // complete them from the defaults (which are what those runs did).
  const { norm, normGroups } = DEFAULT_FINETUNE_CONFIG.model;
  const { transferLrScale, layerDecay } = DEFAULT_FINETUNE_CONFIG.optim;
  const config = validateFinetuneConfig({
    ...saved,
    model: { norm, normGroups, ...saved?.model },
    optim: { transferLrScale, layerDecay, ...saved?.optim },
    eval: { ...DEFAULT_FINETUNE_CONFIG.eval, ...saved?.eval },
  });
  const splits = await loadSplits(`${runDir}/splits.json`);
  const data = await openFinetuneData(config, {
    ...(options.dataset ? { dataset: options.dataset } : {}),
    splits,
  });
  const ckptPath = `${runDir}/checkpoint_${options.checkpoint ?? "best"}.ckpt`;
  const { net, epoch } = await loadFinetunedNet(ckptPath, { inChannels: data.dataset.channels });
  log(
    `evaluate: ${ckptPath} (epoch ${epoch}), ${splits.test.length} test patients, ${data.test.length} slices`,
  );
  const pred = await predictSlices(net, data.dataset, {
    indices: data.test,
    batchSize: 2 * config.train.batchSize,
  });
  const cases = stackCases(data.dataset, data.test, pred, { wholeVolumes: true });
  const regions = evalRegions(config.eval.regions, config.model.numClasses);
  const edtPlace = options.edt ?? config.eval.edt;
  // as initTf: a forced `gpu` fails with getGpu()'s own reason, `auto` falls back to cpu
  const gpu = edtPlace === "gpu"
    ? await getGpu()
    : edtPlace === "auto"
    ? await getGpu().catch(() => undefined)
    : undefined;
  const edt = selectEdt(edtPlace, gpu);
  log(`evaluate: HD95 distance transforms: ${edt.reason}`);
  const rows = await evaluateCases(cases, regions, { edt: edt.edt });
  const summaries = summarizeRows(rows);
  const headline = regions.length > 1 ? "mean" : (regions[0]?.name ?? "foreground");
  // the dataset's own label names (dataset.json, carried by the cache manifest)
  const labels = manifestLabelNames(data.dataset.manifest?.settings);
  const regionNames = regionLabelNames(regions, labels);

  const evalDir = `${runDir}/eval`;
  await Deno.remove(evalDir, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(`${evalDir}/predictions`, { recursive: true });
  await Deno.mkdir(`${evalDir}/overlays`, { recursive: true });
  const grids = new Set<string>();
  for (const c of cases) {
    grids.add(await writePrediction(`${evalDir}/predictions`, c, config, data.dataset.size));
  }
  for (const c of cases.slice(0, config.eval.overlays)) {
    await writeOverlay(`${evalDir}/overlays`, c);
  }
  const predictionGrid = [...grids].join("; ");

  await writeAtomic(`${evalDir}/cases.csv`, casesCsv(rows));
  await writeAtomic(
    `${evalDir}/summary.json`,
    JSON.stringify(
      {
        run: config.run.name,
        checkpoint: ckptPath,
        epoch,
        cases: cases.length,
        caseKind: cases[0]?.dims.length === 3 ? "3D scan" : "2D image",
        metricsGrid:
          "cache grid: resampled spacing, centre crop/pad in-plane, every z slice of each volume",
        edt: edt.reason,
        predictionGrid,
        regions,
        ...(labels.length > 0 ? { labels, regionNames } : {}),
        headline,
        summaries,
      },
      null,
      2,
    ) + "\n",
  );
  const table = summaryMarkdown(
    Object.entries(summaries).map(([region, s]) => {
      const named = regionNames[region];
      const title = regions.length > 1 ? `${region}${named ? `: ${named}` : ""}` : named;
      return [title ? `${config.run.name} (${title})` : config.run.name, s];
    }),
  );
  await writeAtomic(
    `${evalDir}/metrics.md`,
    `# ${config.run.name}: test split, ${cases.length} cases, per-case metrics then mean ± std\n\n${table}`,
  );
  return { evalDir, config, rows, summaries, headline, predictionGrid };
}

/** Writes one case's prediction and says on which grid. */
async function writePrediction(
  dir: string,
  c: CaseVolume,
  config: FinetuneConfig,
  size: number,
): Promise<string> {
  await caseFolder(dir, c.caseId);
  const grid = c.cacheCase?.grid;
  if (c.dims.length === 3) {
    if (grid && grid.kind === "volume" && grid.affine.length >= 3) {
      const src = toSourceGrid(c.pred, { grid, size });
      await writeNifti(`${dir}/${c.caseId}.nii.gz`, { data: src.data, dims: src.dims }, {
        affine: grid.affine,
      });
      return "NIfTI on the source grid";
    }
    await writeNifti(`${dir}/${c.caseId}.nii.gz`, { data: c.pred, dims: c.dims });
    return "NIfTI on the cache grid (the manifest has no source grid for this case)";
  }
  const step = Math.floor(255 / Math.max(1, config.model.numClasses - 1));
  if (grid && grid.kind === "image") {
    const src = toSourceGrid(c.pred, { grid, size });
    const [width = size, height = size] = src.dims;
    await writePng(`${dir}/${c.caseId}.png`, {
      width,
      height,
      channels: 1,
      data: src.data.map((v) => v * step),
    });
    return "PNG on the source image size";
  }
  const [width = size, height = size] = c.dims;
  await writePng(`${dir}/${c.caseId}.png`, {
    width,
    height,
    channels: 1,
    data: c.pred.map((v) => v * step),
  });
  return "PNG on the cache grid";
}

async function writeOverlay(dir: string, c: CaseVolume): Promise<void> {
  await caseFolder(dir, c.caseId);
  const [width = 1, height = 1, depth = 1] = c.dims;
  const plane = width * height;
  let z = 0;
  if (depth > 1) {
    let most = -1;
    for (let k = 0; k < depth; k++) {
      let area = 0;
      for (let i = k * plane; i < (k + 1) * plane; i++) area += c.gt[i] ? 1 : c.pred[i] ? 0.001 : 0;
      if (area > most) [most, z] = [area, k];
    }
  }
  const at = (a: Uint8Array) => a.subarray(z * plane, (z + 1) * plane);
  const rgb = renderOverlay(c.image.subarray(z * plane, (z + 1) * plane), {
    gt: at(c.gt),
    pred: at(c.pred),
    width,
    height,
  });
  const name = depth > 1 ? `${c.caseId}_z${z}` : c.caseId;
  await writePng(`${dir}/${name}.png`, overlayFigure(rgb, { width, height }));
}

/** Case ids may hold folders (BUSI: `benign/benign (87)`): the files mirror them. */
async function caseFolder(dir: string, caseId: string): Promise<void> {
  const at = caseId.lastIndexOf("/");
  if (at > 0) await Deno.mkdir(`${dir}/${caseId.slice(0, at)}`, { recursive: true });
}
