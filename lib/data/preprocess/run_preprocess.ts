/**
 * The preprocess run: list the cases of a layout, preprocess each (or carry it
 * over from the existing cache when its source files and the settings are
 * unchanged), stream them into a slice cache, and report.
 *
 * Each case is isolated: any error while hashing, reading, checking or
 * preprocessing it (not NIfTI, truncated, missing file, a folder or a broken
 * symlink where a file should be, shape or affine mismatch, NaN voxels, a
 * size limit...) skips that case alone and is listed in the report as one
 * line naming the file and the field, unless `strict`, which throws that
 * same error (an `InputFileError`). `cases = processed + reused + skipped`.
 *
 * @module
 */

import { InputFileError } from "../../errors.ts";
import { checkCaseSize } from "./check_case_size.ts";
import { hashFile, hashJson } from "../../io/hash_file.ts";
import { listBusiCases } from "../layouts/busi.ts";
import type { CaseRef } from "../layouts/case_ref.ts";
import { listCaseFolders } from "../layouts/case_folders.ts";
import {
  type DatasetDescription,
  datasetSummary,
  readDatasetJson,
} from "../layouts/dataset_json.ts";
import { listImagesLabels } from "../layouts/images_labels.ts";
import { loadCase } from "../layouts/load_case.ts";
import {
  type CacheCaseInput,
  readCachedCase,
  readSliceCacheManifest,
  SLICE_CACHE_VERSION,
  type SliceCacheManifest,
  type SourceFile,
  writeSliceCache,
} from "../slice_cache.ts";
import type { PreprocessConfig } from "../../config/preprocess_config.ts";
import { preprocessCase, type PreprocessSettings } from "./preprocess_case.ts";

/** One skipped case. */
export interface SkippedCase {
  readonly caseId: string;
  readonly path: string;
  readonly error: string;
}

/** What a run did (or, dry, would do) with one case. */
export interface CaseAction {
  readonly caseId: string;
  /** `process`: (re)computed; `reuse`: carried over unchanged; `skip`: see `skipped`. */
  readonly action: "process" | "reuse" | "skip";
}

/** Options of {@linkcode runPreprocess}. */
export interface PreprocessOptions {
  /**
   * Do everything but write: every case is listed, read, checked and
   * preprocessed in memory; no cache and no report is written.
   */
  readonly dryRun?: boolean;
}

/** What a run did, saved as `preprocess_report.json` in the cache folder. */
export interface PreprocessReport {
  readonly input: string;
  readonly output: string;
  readonly layout: string;
  readonly mode: string;
  readonly settingsHash: string;
  readonly cases: number;
  /** Cases preprocessed in this run. */
  readonly processed: number;
  /** Cases carried over unchanged from the previous cache. */
  readonly reused: number;
  /** Every case in listing order and what happened to it. */
  readonly actions: readonly CaseAction[];
  /** True when nothing was written ({@linkcode PreprocessOptions.dryRun}). */
  readonly dryRun: boolean;
  readonly skipped: readonly SkippedCase[];
  /** Slices the mode selected (what training reads). */
  readonly slices: number;
  /** Further slices of labelled volumes, stored so that evaluation covers every z. */
  readonly evalOnlySlices: number;
  readonly seconds: number;
  /** Processed cases (volumes or images) per second, reused ones excluded. */
  readonly casesPerSecond: number;
  readonly slicesPerSecond: number;
}

/** Progress callback: `done` of `total` cases finished, the last one `caseId`. */
export type OnProgress = (done: number, total: number, caseId: string) => void;

/**
 * The `dataset.json` of an `images-labels` dataset, or null (other layouts, or none).
 *
 * @param config The preprocess config.
 * @returns The description.
 * @throws {InputFileError} If `dataset.json` exists but cannot be used.
 */
export function describeDataset(config: PreprocessConfig): Promise<DatasetDescription | null> {
  return config.layout === "images-labels" ? readDatasetJson(config.input) : Promise.resolve(null);
}

/**
 * Lists the cases of `config.layout` under `config.input`.
 *
 * @param config The preprocess config.
 * @param description The dataset's `dataset.json` ({@linkcode describeDataset}).
 * @returns The case refs (at most `limit` when it is > 0).
 * @throws {InputFileError} If the input folder is missing or empty.
 */
export async function listCases(
  config: PreprocessConfig,
  description: DatasetDescription | null = null,
): Promise<CaseRef[]> {
  let refs: CaseRef[];
  if (config.layout === "busi") refs = await listBusiCases(config.input);
  else if (config.layout === "cases") {
    refs = await listCaseFolders(config.input, {
      modalities: config.modalities,
      label: config.label,
    });
  } else {refs = await listImagesLabels(config.input, {
      imagesDir: config.imagesDir,
      labelsDir: config.labelsDir,
      description,
    });}
  return config.limit > 0 ? refs.slice(0, config.limit) : refs;
}

/**
 * Runs preprocessing and writes the slice cache to `config.output`.
 *
 * @param config The preprocess config.
 * @param onProgress Called after each case.
 * @param options A dry run.
 * @returns The report (also written to `<output>/preprocess_report.json` unless dry).
 * @throws {InputFileError} On the first bad case when `config.strict`, or
 *   when the input folder has no case at all.
 */
export async function runPreprocess(
  config: PreprocessConfig,
  onProgress?: OnProgress,
  options: PreprocessOptions = {},
): Promise<PreprocessReport> {
  const started = performance.now();
  const description = await describeDataset(config);
  const refs = await listCases(config, description);
  const settings: PreprocessSettings = {
    size: config.size,
    spacing: config.spacing,
    mode: config.mode,
    clipPercentiles: config.clipPercentiles,
    percentileRegion: config.percentileRegion,
    imageInterpolation: config.imageInterpolation,
    intensityWindow: config.intensityWindow,
  };
  const hashed = {
    version: SLICE_CACHE_VERSION,
    layout: config.layout,
    modalities: config.modalities,
    label: config.label,
    ...settings,
  };
  const settingsHash = await hashJson(hashed);
  let old: SliceCacheManifest | null = null;
  try {
    old = await readSliceCacheManifest(config.output);
  } catch (error) {
    if (!(error instanceof InputFileError)) throw error; // unreadable old cache: rebuild
  }
  const reusable = old && old.settingsHash === settingsHash
    ? new Map(old.cases.map((c) => [c.caseId, c]))
    : new Map();
  const skipped: SkippedCase[] = [];
  const actions: CaseAction[] = [];
  let processed = 0, reused = 0, slices = 0, evalOnlySlices = 0, done = 0;
  let channels: number | null = description?.channels.length ?? null;
  const limits = {
    maxVoxels: config.maxVoxels,
    maxPixels: config.maxPixels,
    labelClasses: config.labelClasses,
    geometryTolerance: config.geometryTolerance,
  };

  async function* cases(): AsyncGenerator<CacheCaseInput> {
    for (const ref of refs) {
      let result: { item: CacheCaseInput; reused: boolean };
      try {
        result = await oneCase(ref);
        const had = result.item.entry.channels;
        if (channels !== null && had !== channels) {
          throw new InputFileError(
            "case",
            ref.images[0] ?? ref.caseId,
            `has ${had} channels, ${
              description ? `"${description.path}" names` : "earlier cases have"
            } ${channels}`,
          );
        }
      } catch (error) {
        const bad = caseError(error, ref);
        if (config.strict) throw bad;
        skipped.push({ caseId: ref.caseId, path: bad.path, error: bad.message });
        actions.push({ caseId: ref.caseId, action: "skip" });
        continue;
      } finally {
        onProgress?.(++done, refs.length, ref.caseId);
      }
      // counted only once the case is certain to be written
      const { entry } = result.item;
      channels = entry.channels;
      if (result.reused) reused++;
      else processed++;
      actions.push({ caseId: ref.caseId, action: result.reused ? "reuse" : "process" });
      const selected = entry.selected.filter((s) => s).length;
      slices += selected;
      evalOnlySlices += entry.sliceIndices.length - selected;
      yield result.item;
    }
  }

  async function oneCase(ref: CaseRef): Promise<{ item: CacheCaseInput; reused: boolean }> {
    if (ref.unreadable) {
      throw new InputFileError("case", ref.unreadable.path, ref.unreadable.reason);
    }
    const first = ref.missing[0];
    if (first !== undefined) {
      throw new InputFileError(
        "case",
        first,
        `file is missing (case "${ref.caseId}" needs "${first.split("/").pop()}")`,
      );
    }
    const sources: SourceFile[] = [];
    for (const path of [...ref.images, ...ref.labels]) {
      sources.push({ path, ...(await hashFile(path)) });
    }
    const prior = reusable.get(ref.caseId);
    if (
      old && prior && prior.sources.length === sources.length &&
      prior.sources.every((s: SourceFile, i: number) =>
        s.path === sources[i]?.path && s.sha256 === sources[i]?.sha256
      )
    ) {
      const cached = await readCachedCase(config.output, old, prior).catch(() => null);
      if (cached) { // else the old arrays are damaged: process the case again
        const { firstSlice: _f, sliceCount: _n, labeled: _l, ...entry } = prior;
        return { item: { entry, ...cached }, reused: true };
      }
    }
    const source = await loadCase(ref, limits);
    checkCaseSize(source, {
      spacing: config.spacing,
      size: config.size,
      maxVoxels: config.maxVoxels,
    });
    const out = preprocessCase(source, settings);
    return {
      reused: false,
      item: {
        entry: {
          caseId: ref.caseId,
          channels: source.channels.length,
          sources,
          sliceIndices: out.sliceIndices,
          selected: out.selected,
          totalSlices: out.totalSlices,
          grid: out.grid,
          intensity: out.intensity,
        },
        images: out.images,
        labels: out.labels,
      },
    };
  }

  if (options.dryRun) {
    for await (const _ of cases()) {
      // every case is read, checked and preprocessed in memory; nothing is written
    }
  } else {
    await writeSliceCache(config.output, {
      size: config.size,
      settings: {
        ...hashed,
        input: config.input,
        ...(description ? { dataset: datasetSummary(description) } : {}),
      },
      settingsHash,
    }, cases());
  }
  const seconds = (performance.now() - started) / 1000;
  const report: PreprocessReport = {
    input: config.input,
    output: config.output,
    layout: config.layout,
    mode: config.mode,
    settingsHash,
    cases: refs.length,
    processed,
    reused,
    skipped,
    actions,
    dryRun: options.dryRun === true,
    slices,
    evalOnlySlices,
    seconds: Math.round(seconds * 1000) / 1000,
    casesPerSecond: processed / seconds,
    slicesPerSecond: slices / seconds,
  };
  if (options.dryRun) return report;
  const path = `${config.output}/preprocess_report.json`;
  const tmp = `${path}.${crypto.randomUUID().slice(0, 8)}.tmp`;
  await Deno.writeTextFile(tmp, JSON.stringify(report, null, 2) + "\n");
  await Deno.rename(tmp, path);
  return report;
}

/**
 * The one-line error of a bad case: an `InputFileError` as thrown, anything
 * else (e.g. a failed allocation) wrapped so that it still names the case's file.
 */
function caseError(error: unknown, ref: CaseRef): InputFileError {
  if (error instanceof InputFileError) return error;
  const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new InputFileError(
    "case",
    ref.images[0] ?? ref.caseId,
    `cannot be preprocessed (${detail.split("\n")[0]})`,
  );
}
