/**
 * The metric regions of a run, from `eval.regions` and the class count.
 *
 * @module
 */

import {
  BRATS_REGIONS,
  FOREGROUND_REGION,
  HIPPOCAMPUS_REGIONS,
  type RegionDefinition,
} from "../metrics/mod.ts";

/**
 * Resolves a region preset.
 *
 * @param preset `foreground` (every label > 0), `classes` (one region per class
 *   1..K-1), `hippocampus` or `brats` (the presets of `lib/metrics/multiclass.ts`).
 * @param numClasses The model's output channels (1 = binary).
 * @returns The regions, in report order.
 */
export function evalRegions(preset: string, numClasses: number): readonly RegionDefinition[] {
  switch (preset) {
    case "classes":
      return numClasses <= 2 ? FOREGROUND_REGION : Array.from(
        { length: numClasses - 1 },
        (_, k) => ({ name: `class${k + 1}`, labels: [k + 1] }),
      );
    case "hippocampus":
      return HIPPOCAMPUS_REGIONS;
    case "brats":
      return BRATS_REGIONS;
    default:
      return FOREGROUND_REGION;
  }
}
