/**
 * Opens the dataset a run's config names: the embedded phantoms or a slice
 * cache written by `deno task preprocess`. Pretraining and fine-tuning share
 * it, so phantoms come from the same stream, `deriveSeed(run.seed, "data")`:
 * runs with another `run.seed` see other phantoms of the same distribution,
 * unless `data.seed` (>= 0) names the stream instead (an experiment grid keeps
 * its data fixed while the seeds vary).
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { deriveSeed } from "../random.ts";
import type { SliceDataset } from "./dataset.ts";
import { phantomDataset } from "./phantoms.ts";
import type { LoadSliceCacheOptions, SliceCacheManifest } from "./slice_cache.ts";

/** The config fields that choose a dataset (both config types have them). */
export interface DataSelection {
  readonly run: { readonly seed: number };
  readonly data: {
    readonly source: "phantoms" | "cache";
    readonly cacheDir: string;
    readonly count: number;
    readonly size: number;
    /** The phantom stream; -1 (or absent) follows `run.seed`. */
    readonly seed?: number;
  };
}

/**
 * Opens the dataset `config.data` describes.
 *
 * @param config The run config.
 * @param options Which slices of a slice cache (default: those its mode selected;
 *   fine-tuning asks for `all`, to evaluate whole volumes).
 * @returns The dataset, with its manifest when it is a slice cache.
 * @throws {ConfigError} On key `data.size` when it differs from the slice
 *   cache's slice size (the run would record a size it does not train at, and
 *   `mask.patchSize` was checked against it).
 */
export async function openDataset(
  config: DataSelection,
  options: LoadSliceCacheOptions = {},
): Promise<SliceDataset & { readonly manifest?: SliceCacheManifest }> {
  if (config.data.source === "phantoms") {
    return phantomDataset({
      seed: deriveSeed((config.data.seed ?? -1) >= 0 ? config.data.seed! : config.run.seed, "data"),
      count: config.data.count,
      size: config.data.size,
    });
  }
  const { loadSliceCache } = await import("./slice_cache.ts");
  const dataset = await loadSliceCache(config.data.cacheDir, options);
  if (dataset.size !== config.data.size) {
    throw new ConfigError(
      "data.size",
      `is ${config.data.size} but the slice cache "${config.data.cacheDir}" holds ` +
        `${dataset.size} x ${dataset.size} slices; set data.size: ${dataset.size}`,
    );
  }
  return dataset;
}
