/**
 * Draws which patches each masking strategy removes (random, MPS, MPS-AMS,
 * and MPS / MPS-AMS in the easy-to-hard order): one PNG per image with the
 * plain image and one panel per strategy, the lesion outlined in yellow and
 * the removed patches tinted blue; prints per panel the share of removed
 * patches that touch the lesion (random's expectation is the image's lesion
 * share, printed as "lesion").
 *
 * Images: a few BUSI lesion images (benign and malignant alternately) when the
 * BUSI folder exists, else the built-in phantoms. Masks come from the TS twins
 * of the kernels, so no GPU is needed.
 *
 * ```sh
 * deno task draw-masks
 * deno task draw-masks --count 6 --ratio 0.5 --out runs/draw_masks_r50
 * deno task draw-masks --source phantoms --size 64 --patch-size 8
 * deno task draw-masks --cases "benign/benign (4),malignant/malignant (2)"
 * ```
 *
 * Flags: `--source busi|phantoms` (default: busi if `--data` exists),
 * `--data ../shared/data/busi`, `--count 4`, `--cases a,b` (BUSI case ids),
 * `--size 128`, `--patch-size 16`, `--ratio 0.25`, `--seed 0`, `--scale 2`,
 * `--intensity pipeline|unit` (see `lib/data/lesion_images.ts`),
 * `--out runs/draw_masks`.
 *
 * @module
 */

import {
  busiLesionCaseIds,
  type LesionImage,
  type LesionIntensity,
  loadBusiLesionImages,
  phantomLesionImages,
} from "../lib/data/lesion_images.ts";
import { writePng } from "../lib/io/png.ts";
import { drawMethodMasks } from "../lib/viz/draw_method_masks.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const flags = taskArgs(TASK_SPECS["draw-masks"]).values;
/** The flags, absent ones at their defaults. */
const values = {
  source: flags.source as string | undefined,
  data: (flags.data as string | undefined) ?? "../shared/data/busi",
  count: (flags.count as string | undefined) ?? "4",
  cases: flags.cases as string | undefined,
  size: (flags.size as string | undefined) ?? "128",
  "patch-size": (flags["patch-size"] as string | undefined) ?? "16",
  ratio: (flags.ratio as string | undefined) ?? "0.25",
  seed: (flags.seed as string | undefined) ?? "0",
  scale: (flags.scale as string | undefined) ?? "2",
  intensity: (flags.intensity as string | undefined) ?? "pipeline",
  out: (flags.out as string | undefined) ?? "runs/draw_masks",
};

/** Parses a numeric flag or throws naming it. */
function numberFlag(name: string, text: string, integer: boolean): number {
  const v = Number(text);
  if (!Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new RangeError(`Invalid --${name} "${text}": not ${integer ? "an integer" : "a number"}`);
  }
  return v;
}

/** True when `path` is an existing folder. */
async function isDir(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Alternates the classes (benign, malignant, benign, ...) in folder order. */
function alternateClasses(caseIds: string[], count: number): string[] {
  const byClass = Map.groupBy(caseIds, (id) => id.split("/")[0] ?? "");
  const lists = [...byClass.values()];
  const out: string[] = [];
  for (let i = 0; out.length < count && lists.some((l) => i < l.length); i++) {
    for (const list of lists) if (i < list.length && out.length < count) out.push(list[i]!);
  }
  return out;
}

await runTask("draw-masks", async () => {
  const size = numberFlag("size", values.size, true);
  const patchSize = numberFlag("patch-size", values["patch-size"], true);
  const ratio = numberFlag("ratio", values.ratio, false);
  const count = numberFlag("count", values.count, true);
  const seed = numberFlag("seed", values.seed, true);
  const scale = numberFlag("scale", values.scale, true);
  const intensity = values.intensity as LesionIntensity;
  if (intensity !== "pipeline" && intensity !== "unit") {
    throw new RangeError(`Invalid --intensity "${values.intensity}": not pipeline or unit`);
  }
  const source = values.source ?? (await isDir(values.data) ? "busi" : "phantoms");
  let images: LesionImage[];
  if (source === "busi") {
    const caseIds = values.cases?.split(",").map((s) => s.trim()).filter(Boolean) ??
      alternateClasses(await busiLesionCaseIds(values.data), count);
    images = await loadBusiLesionImages(values.data, { size, intensity, caseIds });
  } else if (source === "phantoms") {
    images = phantomLesionImages({ count, size, seed });
  } else {
    throw new RangeError(`Invalid --source "${source}": not busi or phantoms`);
  }
  const figures = drawMethodMasks(images, { size, patchSize, ratio, seed, scale });
  await Deno.mkdir(values.out, { recursive: true });

  const labels = figures[0]?.panels.map((p) => p.label) ?? [];
  console.log(
    `${source}: ${images.length} images, ${size}x${size}, patch ${patchSize}, ratio ${ratio}`,
  );
  console.log(`share of removed patches touching the lesion (lesion = share of all patches):`);
  const row = (name: string, cells: number[]) =>
    console.log(`  ${name.padEnd(24)} ${cells.map((c) => c.toFixed(3).padStart(9)).join("")}`);
  console.log(
    `  ${"image".padEnd(24)} ${["lesion", ...labels].map((l) => l.padStart(9)).join("")}`,
  );
  for (const f of figures) {
    const file = `${values.out}/${f.caseId.replace(/[^A-Za-z0-9]+/g, "_").replace(/_$/, "")}.png`;
    await writePng(file, f.figure);
    row(f.caseId, [f.lesionShare, ...f.panels.map((p) => p.share)]);
  }
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  if (figures.length > 1) {
    row(
      "mean",
      [
        mean(figures.map((f) => f.lesionShare)),
        ...labels.map((_, k) => mean(figures.map((f) => f.panels[k]!.share))),
      ],
    );
  }
  console.log(`wrote ${figures.length} PNGs to ${values.out}/`);
});
