/**
 * Checks that MPS masks the lesion: on the BUSI benign and malignant images
 * (masks OR-ed), resized to `size x size` gray, with patch size P and mask ratio
 * r, prints the share of removed patches that touch the lesion for MPS (raw
 * patches and the MPS-AMS similarity rows) and for random masking (the exact
 * expectation, i.e. the share of lesion patches, and one seeded draw).
 *
 * `--intensity pipeline` (default) feeds the images exactly as pretraining on
 * a BUSI slice cache sees them (clip + z-score, `lib/data/lesion_images.ts`);
 * `unit` feeds gray / 255. `--detail` also prints where the removed patches lie
 * (outer ring of the patch grid, pixel spread inside the patch) and what the
 * k-means "lesion" cluster is (size, share of its patches touching the lesion).
 *
 * Usage:
 *   deno run --allow-read --allow-env tasks/mask_overlap.ts \
 *     [--data ../shared/data/busi] [--size 128] [--patch-size 16] [--ratio 0.25] [--batch 32] \
 *     [--intensity pipeline|unit] [--detail]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { type LesionIntensity, loadBusiLesionImages } from "../lib/data/lesion_images.ts";
import { getGpu } from "../lib/gpu/device.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { readBuffer, uploadBuffer } from "../lib/gpu/compute.ts";
import { mpsMaskGpu } from "../lib/masking/mps.ts";
import { lesionPatches, maskedLesionShare } from "../lib/masking/mask_overlap.ts";
import { removedPatchCount } from "../lib/mask_ratio.ts";
import { meanWhere, outerRing, patchStd } from "../lib/masking/patch_stats.ts";
import { randomScoresCpu } from "../lib/kernels/random_scores.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: new URL("../../shared/data/busi", import.meta.url).pathname },
    size: { type: "string", default: "128" },
    "patch-size": { type: "string", default: "16" },
    ratio: { type: "string", default: "0.25" },
    batch: { type: "string", default: "32" },
    intensity: { type: "string", default: "pipeline" },
    detail: { type: "boolean", default: false },
  },
});
const size = Number(values.size), patchSize = Number(values["patch-size"]);
const ratio = Number(values.ratio), batchSize = Number(values.batch);
const gw = size / patchSize, patches = gw * gw;
const count = removedPatchCount(patches, ratio);
const intensity = values.intensity as LesionIntensity;
if (intensity !== "pipeline" && intensity !== "unit") {
  throw new RangeError(`Invalid --intensity "${values.intensity}": not pipeline or unit`);
}

const lesionImages = await loadBusiLesionImages(values.data, { size, intensity });
const images = lesionImages.map((im) => im.image);
const touches = lesionImages.map((im) =>
  lesionPatches(im.sourceLesion, { width: im.sourceWidth, height: im.sourceHeight, gh: gw, gw })
);

const { device, description } = await getGpu();
const kernels = await loadKernels(device);
const results: Record<string, number[]> = {
  mps: [],
  mps_ams: [],
  randomDraw: [],
  randomExpected: [],
};
// --detail: per image, means over the removed (or lesion, or k-means lesion-cluster) patches
const detail: Record<string, number[]> = {};
const note = (key: string, xs: Float64Array) => (detail[key] ??= []).push(...xs);
const ring = outerRing({ gh: gw, gw });
for (let start = 0; start < images.length; start += batchSize) {
  const batch = Math.min(batchSize, images.length - start);
  const pixels = new Float32Array(batch * size * size);
  const touch = new Uint8Array(batch * patches);
  for (let n = 0; n < batch; n++) {
    pixels.set(images[start + n]!, n * size * size);
    touch.set(touches[start + n]!, n * patches);
  }
  const counts = new Uint32Array(batch).fill(count);
  const shape = { batch, height: size, width: size, channels: 1, patchSize };
  const rings = new Uint8Array(batch * patches).map((_, i) => ring[i % patches]!);
  const spread = values.detail ? patchStd(pixels, shape) : new Float64Array(0);
  const describe = (key: string, select: ArrayLike<number>) => {
    if (!values.detail) return;
    note(`${key} ring`, meanWhere(rings, select, patches));
    note(`${key} std`, meanWhere(spread, select, patches));
  };
  describe("lesion", touch);
  describe("all", new Uint8Array(batch * patches).fill(1));
  const ib = uploadBuffer(device, pixels);
  const cb = uploadBuffer(device, counts);
  for (const [key, features] of [["mps", "patches"], ["mps_ams", "similarity"]] as const) {
    const out = mpsMaskGpu(device, kernels, ib, shape, { counts: cb, features });
    const mask = new Float32Array(await readBuffer(device, out.mask, batch * patches * 4));
    results[key]!.push(...maskedLesionShare(mask, touch, patches));
    if (values.detail) {
      const fg = new Uint32Array(await readBuffer(device, out.fg, batch * patches * 4));
      describe(key, mask);
      const sizes = Float64Array.from(
        { length: batch },
        (_, n) => fg.subarray(n * patches, (n + 1) * patches).reduce((a, b) => a + b, 0),
      );
      note(`${key} cluster size`, sizes);
      note(`${key} cluster lesion`, meanWhere(touch, fg, patches));
    }
    for (const b of [out.mask, out.ranks, out.scores, out.fg]) b.destroy();
  }
  ib.destroy();
  cb.destroy();
  const random = rankMaskCpu(randomScoresCpu(batch * patches, 1234 + start), counts, patches).mask;
  results.randomDraw!.push(...maskedLesionShare(random, touch, patches));
  for (let n = 0; n < batch; n++) {
    results.randomExpected!.push(
      touch.slice(n * patches, (n + 1) * patches).reduce((a, b) => a + b, 0) / patches,
    );
  }
}

/** Mean over images, skipping NaN (an image with nothing selected). */
const mean = (xs: number[]) => {
  const ok = xs.filter((x) => !Number.isNaN(x));
  return ok.reduce((a, b) => a + b, 0) / ok.length;
};
console.log(`device: ${description}`);
console.log(
  `${images.length} BUSI lesion images, ${size}x${size} (${intensity} intensities), patch ${patchSize} (L ${patches}), ratio ${ratio} (${count} removed)`,
);
console.log(`share of removed patches touching the lesion, mean over images:`);
console.log(`  MPS (k-means on patch vectors):      ${mean(results.mps!).toFixed(4)}`);
console.log(`  MPS-AMS (k-means on similarity rows): ${mean(results.mps_ams!).toFixed(4)}`);
console.log(`  random (expected = lesion share):     ${mean(results.randomExpected!).toFixed(4)}`);
console.log(`  random (one seeded draw):             ${mean(results.randomDraw!).toFixed(4)}`);
if (values.detail) {
  const f = (key: string, digits = 3) => mean(detail[key] ?? []).toFixed(digits).padStart(10);
  console.log(`where the patches lie, mean over images:`);
  console.log(`  ${"".padEnd(20)}${"outer ring".padStart(10)}${"patch std".padStart(10)}`);
  for (const [label, key] of [["lesion patches", "lesion"], ["all patches", "all"]]) {
    console.log(`  ${label!.padEnd(20)}${f(`${key} ring`)}${f(`${key} std`)}`);
  }
  for (const [label, key] of [["removed by MPS", "mps"], ["removed by MPS-AMS", "mps_ams"]]) {
    console.log(`  ${label!.padEnd(20)}${f(`${key} ring`)}${f(`${key} std`)}`);
  }
  console.log(`the k-means "lesion" (smaller) cluster, mean over images:`);
  for (const [label, key] of [["MPS", "mps"], ["MPS-AMS", "mps_ams"]]) {
    console.log(
      `  ${label!.padEnd(8)} size ${
        f(`${key} cluster size`, 1)
      } of ${patches}, share touching the lesion ${f(`${key} cluster lesion`)}`,
    );
  }
}
device.destroy();
