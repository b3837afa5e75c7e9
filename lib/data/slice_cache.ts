/**
 * The slice cache: preprocessed 2D slices on disk, written once by the
 * preprocess task and read by training.
 *
 * A cache folder holds
 * - `images.f32`: float32 little-endian, `[N, size, size, channels]` (HWC per slice);
 * - `labels.u8`: uint8 `[N, size, size]` (zeros for slices of unlabeled cases),
 *   absent when no case is labeled;
 * - `manifest.json`: {@linkcode SliceCacheManifest}: shapes, settings, per-slice
 *   case, z index and whether the slice mode selected it, per-case source files
 *   with SHA-256 and the grid information needed to put a prediction back on
 *   the source grid.
 *
 * A labelled volume is stored whole (every z slice), so that evaluation sees
 * the whole volume; the slices its mode did not select (no object in
 * `finetune` mode, black in `pretrain` mode) are flagged and only visible
 * through `loadSliceCache(dir, { slices: "all" })`.
 *
 * Writes are atomic per file (temp file + rename), and the old manifest is
 * removed before the new arrays are renamed into place and the new manifest
 * last, so a crash leaves either a consistent cache or no manifest (a cache
 * without manifest is rebuilt). `loadSliceCache` also checks the byte sizes.
 *
 * @module
 */

import { InputFileError } from "../errors.ts";
import type { Slice, SliceDataset } from "./dataset.ts";
import type { CaseGrid } from "./preprocess/preprocess_case.ts";

/** Format version of `manifest.json`. */
export const SLICE_CACHE_VERSION = 2;

/** One source file of a case. */
export interface SourceFile {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

/** A case's entry in the manifest. */
export interface CacheCase {
  readonly caseId: string;
  /** Image channels of the case (equal for every case of a cache). */
  readonly channels: number;
  readonly sources: readonly SourceFile[];
  /** True when the case has a label map (its slices have labels). */
  readonly labeled: boolean;
  /** Index of its first slice in the arrays; its slices are contiguous. */
  readonly firstSlice: number;
  readonly sliceCount: number;
  /** z index of each stored slice (resampled grid). */
  readonly sliceIndices: readonly number[];
  /** Per stored slice: whether the slice mode selected it (false: stored for evaluation only). */
  readonly selected: readonly boolean[];
  /** Slices before selection. */
  readonly totalSlices: number;
  readonly grid: CaseGrid;
  /** Per channel: clip bounds, mean and std of the normalisation. */
  readonly intensity: readonly { clip: readonly number[]; mean: number; std: number }[];
}

/** Contents of `manifest.json`. */
export interface SliceCacheManifest {
  readonly version: number;
  readonly size: number;
  readonly channels: number;
  /** True when `labels.u8` exists. */
  readonly hasLabels: boolean;
  /** The preprocessing settings (layout, size, spacing, mode, ...). */
  readonly settings: Readonly<Record<string, unknown>>;
  /** SHA-256 of `settings` (canonical JSON). */
  readonly settingsHash: string;
  readonly sliceCount: number;
  readonly imageBytes: number;
  readonly labelBytes: number;
  /** Per slice: which case, which z index, and whether the slice mode selected it. */
  readonly slices: readonly {
    readonly caseId: string;
    readonly sliceIndex: number;
    readonly selected: boolean;
  }[];
  readonly cases: readonly CacheCase[];
  readonly createdAt: string;
}

/** One case handed to {@linkcode writeSliceCache}. */
export interface CacheCaseInput {
  readonly entry: Omit<CacheCase, "firstSlice" | "sliceCount" | "labeled">;
  /** `[n, size, size, channels]`. */
  readonly images: Float32Array;
  /** `[n, size, size]`, or `null` when unlabeled. */
  readonly labels: Uint8Array | null;
}

/** Options of {@linkcode writeSliceCache}. */
export interface WriteSliceCacheOptions {
  readonly size: number;
  /** Channels per slice; default: those of the first case. */
  readonly channels?: number;
  readonly settings: Readonly<Record<string, unknown>>;
  readonly settingsHash: string;
}

export const IMAGES_FILE = "images.f32";
export const LABELS_FILE = "labels.u8";
export const MANIFEST_FILE = "manifest.json";

/**
 * Streams cases into a new cache in `dir` (created if needed), replacing any
 * cache there only once everything is written.
 *
 * @param dir The cache folder.
 * @param options Shapes and settings.
 * @param cases The cases, in order; may read from the old cache in `dir`
 *   (see {@linkcode readCachedCase}), which stays in place until the end.
 * @returns The manifest written.
 * @throws {RangeError} If a case's arrays do not match `size`/`channels`.
 */
export async function writeSliceCache(
  dir: string,
  options: WriteSliceCacheOptions,
  cases: AsyncIterable<CacheCaseInput> | Iterable<CacheCaseInput>,
): Promise<SliceCacheManifest> {
  await Deno.mkdir(dir, { recursive: true });
  // Caches are derived data: keep them out of git wherever they are written.
  await Deno.writeTextFile(`${dir}/.gitignore`, "*\n", { createNew: true }).catch((error) => {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  });
  const tag = crypto.randomUUID().slice(0, 8);
  const tmpImages = `${dir}/${IMAGES_FILE}.${tag}.tmp`;
  const tmpLabels = `${dir}/${LABELS_FILE}.${tag}.tmp`;
  const tmpManifest = `${dir}/${MANIFEST_FILE}.${tag}.tmp`;
  const pixels = options.size * options.size;
  const imageFile = await Deno.open(tmpImages, { write: true, create: true, truncate: true });
  // Labels are buffered per case and written after, so an all-unlabeled cache has no file.
  const labelFile = await Deno.open(tmpLabels, { write: true, create: true, truncate: true });
  let channels = options.channels;
  const entries: CacheCase[] = [];
  const slices: { caseId: string; sliceIndex: number; selected: boolean }[] = [];
  let count = 0;
  let anyLabels = false;
  try {
    for await (const c of cases) {
      const n = c.entry.sliceIndices.length;
      channels ??= c.entry.channels;
      if (c.entry.channels !== channels) {
        throw new RangeError(
          `Cannot write slice cache: case "${c.entry.caseId}" has ${c.entry.channels} channels, the cache ${channels}`,
        );
      }
      if (c.entry.selected.length !== n) {
        throw new RangeError(
          `Cannot write slice cache: case "${c.entry.caseId}" has ${c.entry.selected.length} selection flags for ${n} slices`,
        );
      }
      if (c.images.length !== n * pixels * channels) {
        throw new RangeError(
          `Cannot write slice cache: case "${c.entry.caseId}" has ${c.images.length} image values, ${n} slices of ${options.size}x${options.size}x${channels} need ${
            n * pixels * channels
          }`,
        );
      }
      if (c.labels && c.labels.length !== n * pixels) {
        throw new RangeError(
          `Cannot write slice cache: case "${c.entry.caseId}" has ${c.labels.length} label values, ${
            n * pixels
          } needed`,
        );
      }
      await writeAll(
        imageFile,
        new Uint8Array(c.images.buffer, c.images.byteOffset, c.images.byteLength),
      );
      await writeAll(labelFile, c.labels ?? new Uint8Array(n * pixels));
      anyLabels ||= c.labels !== null;
      entries.push({ ...c.entry, labeled: c.labels !== null, firstSlice: count, sliceCount: n });
      c.entry.sliceIndices.forEach((sliceIndex, k) => {
        slices.push({ caseId: c.entry.caseId, sliceIndex, selected: c.entry.selected[k] === true });
      });
      count += n;
    }
    imageFile.close();
    labelFile.close();
    const manifest: SliceCacheManifest = {
      version: SLICE_CACHE_VERSION,
      size: options.size,
      channels: channels ?? 1,
      hasLabels: anyLabels,
      settings: options.settings,
      settingsHash: options.settingsHash,
      sliceCount: count,
      imageBytes: count * pixels * (channels ?? 1) * 4,
      labelBytes: anyLabels ? count * pixels : 0,
      slices,
      cases: entries,
      createdAt: new Date().toISOString(),
    };
    await Deno.writeTextFile(tmpManifest, JSON.stringify(manifest));
    // Commit: no manifest while the arrays are swapped, the new manifest last.
    await Deno.remove(`${dir}/${MANIFEST_FILE}`).catch(ignoreNotFound);
    await Deno.rename(tmpImages, `${dir}/${IMAGES_FILE}`);
    if (anyLabels) await Deno.rename(tmpLabels, `${dir}/${LABELS_FILE}`);
    else {
      await Deno.remove(tmpLabels);
      await Deno.remove(`${dir}/${LABELS_FILE}`).catch(ignoreNotFound);
    }
    await Deno.rename(tmpManifest, `${dir}/${MANIFEST_FILE}`);
    return manifest;
  } catch (error) {
    for (const f of [imageFile, labelFile]) {
      try {
        f.close();
      } catch { /* already closed */ }
    }
    for (const tmp of [tmpImages, tmpLabels, tmpManifest]) await Deno.remove(tmp).catch(() => {});
    throw error;
  }
}

/**
 * Reads the manifest of the cache in `dir`, or `null` if there is none.
 *
 * @param dir The cache folder.
 * @returns The manifest, or `null` when `manifest.json` does not exist.
 * @throws {InputFileError} If the manifest is not valid JSON or has another version.
 */
export async function readSliceCacheManifest(dir: string): Promise<SliceCacheManifest | null> {
  const path = `${dir}/${MANIFEST_FILE}`;
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  let manifest: SliceCacheManifest;
  try {
    manifest = JSON.parse(text) as SliceCacheManifest;
  } catch (error) {
    throw new InputFileError(
      "slice cache manifest",
      path,
      `invalid JSON (${(error as Error).message})`,
    );
  }
  if (manifest.version !== SLICE_CACHE_VERSION) {
    throw new InputFileError(
      "slice cache manifest",
      path,
      `version ${manifest.version} is not ${SLICE_CACHE_VERSION} (run deno task preprocess again)`,
    );
  }
  return manifest;
}

/**
 * Reads one case's slices from an existing cache (to carry them over into a
 * new one when neither its sources nor the settings changed).
 *
 * @param dir The cache folder.
 * @param manifest Its manifest.
 * @param entry The case, from `manifest.cases`.
 * @returns The case's images and labels (`null` if unlabeled).
 */
export async function readCachedCase(
  dir: string,
  manifest: SliceCacheManifest,
  entry: CacheCase,
): Promise<{ images: Float32Array; labels: Uint8Array | null }> {
  const pixels = manifest.size * manifest.size;
  const imageBytes = new Uint8Array(entry.sliceCount * pixels * manifest.channels * 4);
  await readAt(
    `${dir}/${IMAGES_FILE}`,
    entry.firstSlice * pixels * manifest.channels * 4,
    imageBytes,
  );
  let labels: Uint8Array | null = null;
  if (entry.labeled && manifest.hasLabels) {
    labels = new Uint8Array(entry.sliceCount * pixels);
    await readAt(`${dir}/${LABELS_FILE}`, entry.firstSlice * pixels, labels);
  }
  return { images: new Float32Array(imageBytes.buffer), labels };
}

/** Options of {@linkcode loadSliceCache}. */
export interface LoadSliceCacheOptions {
  /**
   * `selected` (default): the slices the cache's mode selected, what training
   * reads. `all`: every stored slice, the others with `evalOnly: true`, so that a
   * labelled volume can be evaluated whole.
   */
  readonly slices?: "selected" | "all";
}

/**
 * Opens a cache as a {@linkcode SliceDataset} (arrays are read into memory).
 *
 * @param dir The cache folder.
 * @param options Which slices the dataset shows.
 * @returns The dataset, plus its `manifest`.
 * @throws {InputFileError} If the manifest is missing or the arrays do not
 *   have the sizes it states (an interrupted or foreign write).
 * @example
 * ```ts ignore
 * const ds = await loadSliceCache("data-cache/brats");
 * const { image, label } = ds.get(0); // [160*160*1], [160*160]
 * ```
 */
export async function loadSliceCache(
  dir: string,
  options: LoadSliceCacheOptions = {},
): Promise<SliceDataset & { manifest: SliceCacheManifest }> {
  const manifest = await readSliceCacheManifest(dir);
  if (!manifest) {
    throw new InputFileError(
      "slice cache",
      dir,
      `${MANIFEST_FILE} does not exist; run the preprocess task`,
    );
  }
  const imageBytes = await Deno.readFile(`${dir}/${IMAGES_FILE}`);
  if (imageBytes.length !== manifest.imageBytes) {
    throw new InputFileError(
      "slice cache",
      dir,
      `${IMAGES_FILE} has ${imageBytes.length} bytes, manifest says ${manifest.imageBytes}`,
    );
  }
  const images = new Float32Array(
    imageBytes.buffer,
    imageBytes.byteOffset,
    imageBytes.byteLength / 4,
  );
  let labels: Uint8Array | null = null;
  if (manifest.hasLabels) {
    labels = await Deno.readFile(`${dir}/${LABELS_FILE}`);
    if (labels.length !== manifest.labelBytes) {
      throw new InputFileError(
        "slice cache",
        dir,
        `${LABELS_FILE} has ${labels.length} bytes, manifest says ${manifest.labelBytes}`,
      );
    }
  }
  const labeled = new Uint8Array(manifest.sliceCount);
  for (const c of manifest.cases) {
    if (c.labeled) labeled.fill(1, c.firstSlice, c.firstSlice + c.sliceCount);
  }
  const pixels = manifest.size * manifest.size;
  const stride = pixels * manifest.channels;
  // dataset index -> stored slice
  const stored = options.slices === "all"
    ? manifest.slices.map((_, i) => i)
    : manifest.slices.flatMap((s, i) => (s.selected ? [i] : []));
  return {
    manifest,
    size: manifest.size,
    channels: manifest.channels,
    length: stored.length,
    get(index: number): Slice {
      const at = stored[index];
      const meta = at === undefined ? undefined : manifest.slices[at];
      if (!Number.isInteger(index) || at === undefined || meta === undefined) {
        throw new RangeError(`Cannot get slice ${index}: index is outside [0, ${stored.length})`);
      }
      return {
        image: images.subarray(at * stride, (at + 1) * stride),
        label: labels && labeled[at] ? labels.subarray(at * pixels, (at + 1) * pixels) : null,
        caseId: meta.caseId,
        sliceIndex: meta.sliceIndex,
        ...(meta.selected ? {} : { evalOnly: true }),
      };
    },
  };
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let at = 0;
  while (at < bytes.length) at += await file.write(bytes.subarray(at));
}

async function readAt(path: string, offset: number, into: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { read: true });
  try {
    await file.seek(offset, Deno.SeekMode.Start);
    let at = 0;
    while (at < into.length) {
      const n = await file.read(into.subarray(at));
      if (n === null) {
        throw new InputFileError("slice cache", path, `ends before byte ${offset + into.length}`);
      }
      at += n;
    }
  } finally {
    file.close();
  }
}

function ignoreNotFound(error: unknown): void {
  if (!(error instanceof Deno.errors.NotFound)) throw error;
}
