/**
 * Names the evaluation regions after the dataset's own label names, which a
 * slice cache made from a dataset with a `dataset.json` carries in its
 * manifest (`settings.dataset.labels`).
 *
 * @module
 */

import type { LabelName } from "../data/layouts/dataset_json.ts";
import type { RegionDefinition } from "../metrics/mod.ts";

/**
 * The dataset's label names in a cache manifest's settings, if any.
 *
 * @param settings `manifest.settings` of a slice cache, or undefined.
 * @returns The labels (value lists and names), or an empty list.
 */
export function manifestLabelNames(
  settings: Readonly<Record<string, unknown>> | undefined,
): readonly LabelName[] {
  const dataset = settings?.dataset as { labels?: unknown } | undefined;
  return Array.isArray(dataset?.labels) ? (dataset.labels as LabelName[]) : [];
}

/**
 * For each region, the names of the labels it covers ("Anterior", "edema +
 * enhancing tumour"), when the dataset names every one of them.
 *
 * @param regions The evaluation regions.
 * @param labels The dataset's labels ({@linkcode manifestLabelNames}).
 * @returns Region name -> label names; regions with an unnamed label are left out.
 * @example
 * ```ts
 * import { regionLabelNames } from "./region_label_names.ts";
 * const names = regionLabelNames(
 *   [{ name: "class1", labels: [1] }, { name: "foreground", minLabel: 1 }],
 *   [{ name: "background", values: [0] }, { name: "Anterior", values: [1] }],
 * );
 * if (names.class1 !== "Anterior" || names.foreground !== "Anterior") throw new Error();
 * ```
 */
export function regionLabelNames(
  regions: readonly RegionDefinition[],
  labels: readonly LabelName[],
): Record<string, string> {
  const single = new Map<number, string>();
  for (const l of labels) if (l.values.length === 1) single.set(l.values[0]!, l.name);
  const out: Record<string, string> = {};
  for (const region of regions) {
    const values = region.labels ??
      [...single.keys()].filter((v) => v >= (region.minLabel ?? Infinity)).sort((a, b) => a - b);
    const names = values.map((v) => single.get(v));
    if (values.length > 0 && names.every((n) => n !== undefined)) {
      out[region.name] = names.join(" + ");
    }
  }
  return out;
}
