/**
 * Checks that MPS masks the lesion: on the BUSI benign and malignant images
 * (masks OR-ed), resized to `size x size` gray, with patch size P and mask ratio
 * r, prints the share of removed patches that touch the lesion for MPS (raw
 * patches and the MPS-AMS similarity rows) and for random masking (the exact
 * expectation, i.e. the share of lesion patches, and one seeded draw).
 *
 * Usage:
 *   deno run --allow-read --allow-env tasks/mask_overlap.ts \
 *     [--data ../shared/data/busi] [--size 128] [--patch-size 16] [--ratio 0.25] [--batch 32]
 *
 * @module
 */

import { parseArgs } from "node:util";
import { listBusiCases } from "../lib/data/layouts/busi.ts";
import { readPngImage, readPngMask } from "../lib/io/png.ts";
import { getGpu } from "../lib/gpu/device.ts";
import { loadKernels } from "../lib/gpu/kernels.ts";
import { readBuffer, uploadBuffer } from "../lib/gpu/compute.ts";
import { mpsMaskGpu } from "../lib/masking/mps.ts";
import { lesionPatches, maskedLesionShare } from "../lib/masking/mask_overlap.ts";
import { maskedCount } from "../lib/masking/amr.ts";
import { randomScoresCpu } from "../lib/masking/random_scores.ts";
import { rankMaskCpu } from "../lib/masking/rank_mask.ts";
import { resizeBilinear } from "../lib/data/preprocess/resize_2d.ts";

const { values } = parseArgs({
  options: {
    data: { type: "string", default: new URL("../../shared/data/busi", import.meta.url).pathname },
    size: { type: "string", default: "128" },
    "patch-size": { type: "string", default: "16" },
    ratio: { type: "string", default: "0.25" },
    batch: { type: "string", default: "32" },
  },
});
const size = Number(values.size), patchSize = Number(values["patch-size"]);
const ratio = Number(values.ratio), batchSize = Number(values.batch);
const gw = size / patchSize, patches = gw * gw;
const count = maskedCount(patches, ratio);

const cases = (await listBusiCases(values.data)).filter((c) =>
  c.labels.length > 0 && !c.caseId.startsWith("normal/")
);
const images: Float32Array[] = [];
const touches: Uint8Array[] = [];
for (const ref of cases) {
  const img = await readPngImage(ref.images[0]!);
  const label = new Uint8Array(img.width * img.height);
  for (const path of ref.labels) {
    const m = await readPngMask(path);
    m.data.forEach((v, i) => label[i] ||= v);
  }
  // shrink in halving steps first so bilinear does not alias, then to size
  let data = img.data, w = img.width, h = img.height;
  while (w >= 4 * size && h >= 4 * size) {
    data = resizeBilinear(data, { w, h, outW: w >> 1, outH: h >> 1 });
    [w, h] = [w >> 1, h >> 1];
  }
  images.push(resizeBilinear(data, { w, h, outW: size, outH: size }).map((v) => v / 255));
  touches.push(lesionPatches(label, { width: img.width, height: img.height, gh: gw, gw }));
}

const { device, description } = await getGpu();
const kernels = await loadKernels(device);
const results: Record<string, number[]> = {
  mps: [],
  mpsAms: [],
  randomDraw: [],
  randomExpected: [],
};
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
  const ib = uploadBuffer(device, pixels);
  const cb = uploadBuffer(device, counts);
  for (const [key, features] of [["mps", "patches"], ["mpsAms", "similarity"]] as const) {
    const out = mpsMaskGpu(device, kernels, ib, shape, { counts: cb, features });
    const mask = new Float32Array(await readBuffer(device, out.mask, batch * patches * 4));
    results[key]!.push(...maskedLesionShare(mask, touch, patches));
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

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(`device: ${description}`);
console.log(
  `${images.length} BUSI lesion images, ${size}x${size}, patch ${patchSize} (L ${patches}), ratio ${ratio} (${count} removed)`,
);
console.log(`share of removed patches touching the lesion, mean over images:`);
console.log(`  MPS (k-means on patch vectors):      ${mean(results.mps!).toFixed(4)}`);
console.log(`  MPS-AMS (k-means on similarity rows): ${mean(results.mpsAms!).toFixed(4)}`);
console.log(`  random (expected = lesion share):     ${mean(results.randomExpected!).toFixed(4)}`);
console.log(`  random (one seeded draw):             ${mean(results.randomDraw!).toFixed(4)}`);
device.destroy();
