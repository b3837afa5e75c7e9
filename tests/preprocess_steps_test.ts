import assert from "node:assert/strict";
import { centerCropPad, centerOffset } from "../lib/data/preprocess/crop_pad.ts";
import { clipToPercentiles, percentiles } from "../lib/data/preprocess/percentile_clip.ts";
import { resampleVolume } from "../lib/data/preprocess/resample.ts";
import { resizeBilinear, resizeNearest } from "../lib/data/preprocess/resize_2d.ts";
import { keepSlice } from "../lib/data/preprocess/select_slices.ts";
import { nonzeroMask, zscoreInMask } from "../lib/data/preprocess/zscore.ts";

Deno.test("resampleVolume() interpolates linearly for images and copies nearest for labels", () => {
  // 2x2x2 volume at 2 mm -> 4x4x4 at 1 mm; value = x + 10 y + 100 z.
  const data = new Float32Array(8);
  for (let z = 0; z < 2; z++) {
    for (let y = 0; y < 2; y++) {
      for (let x = 0; x < 2; x++) data[x + 2 * y + 4 * z] = x + 10 * y + 100 * z;
    }
  }
  const grid = { dims: [2, 2, 2], spacing: [2, 2, 2], target: [1, 1, 1] } as const;
  const lin = resampleVolume(data, { ...grid, interpolation: "linear" });
  assert.deepEqual(lin.dims, [4, 4, 4]);
  assert.deepEqual(lin.scale, [0.5, 0.5, 0.5]);
  assert.ok(Math.abs((lin.data[1 + 4 * 1 + 16 * 1] ?? 0) - (0.5 + 5 + 50)) < 1e-5); // voxel (1,1,1) = source (0.5,0.5,0.5)
  assert.equal(lin.data[3 + 4 * 3 + 16 * 3], 111); // clamped at the far edge
  const labels = Uint8Array.from([0, 1, 0, 1, 2, 2, 2, 2]);
  const near = resampleVolume(labels, { ...grid, interpolation: "nearest" });
  assert.ok(near.data instanceof Uint8Array);
  assert.deepEqual(new Set(near.data), new Set([0, 1, 2]));
  const same = resampleVolume(data, {
    dims: [2, 2, 2],
    spacing: [1, 1, 1],
    target: [1, 1, 1],
    interpolation: "linear",
  });
  assert.equal(same.data, data, "no copy when spacing already matches");
  assert.throws(
    () => resampleVolume(data, { ...grid, target: [0, 1, 1], interpolation: "linear" }),
    RangeError,
  );
});

Deno.test("percentiles() matches numpy's linear interpolation and clipToPercentiles() uses the mask", () => {
  const v = Float32Array.from({ length: 101 }, (_, i) => i);
  assert.deepEqual(percentiles(v, [1, 99, 50]), [1, 99, 50]);
  assert.deepEqual(percentiles(new Float32Array([1, 2, 3, 4]), [25]), [1.75]);
  const data = Float32Array.from([0, 0, 0, ...Array.from({ length: 101 }, (_, i) => i + 1)]);
  const [lo, hi] = clipToPercentiles(data, { low: 1, high: 99, mask: nonzeroMask(data) });
  assert.deepEqual([lo, hi], [2, 100]);
  assert.equal(data[0], 2, "background is clipped too; z-score zeroes it afterwards");
  assert.equal(data[data.length - 1], 100);
});

Deno.test("zscoreInMask() gives zero mean, unit std inside and exact zeros outside", () => {
  const data = Float32Array.from([0, 2, 4, 6, 0]);
  const mask = nonzeroMask(data);
  const { mean } = zscoreInMask(data, mask);
  assert.equal(mean, 4);
  assert.equal(data[0], 0);
  assert.equal(data[4], 0);
  const inside = [data[1], data[2], data[3]] as number[];
  assert.ok(Math.abs(inside.reduce((a, b) => a + b, 0)) < 1e-6);
  assert.ok(Math.abs(inside.reduce((a, b) => a + b * b, 0) / 3 - 1) < 1e-6);
});

Deno.test("centerCropPad() crops and pads around the centre with documented offsets", () => {
  assert.equal(centerOffset(240, 160), 40);
  assert.equal(centerOffset(35, 64), -15);
  const src = Float32Array.from({ length: 6 * 4 }, (_, i) => i + 1); // w 6, h 4
  const crop = centerCropPad(src, { w: 6, h: 4, d: 2 });
  assert.deepEqual(crop.offset, [2, 1]);
  assert.deepEqual([...crop.data], [9, 10, 15, 16]);
  const pad = centerCropPad(Uint8Array.from([1, 2, 3, 4]), { w: 2, h: 2, d: 5 });
  assert.deepEqual(pad.offset, [-2, -2]);
  assert.equal(pad.data.reduce((a, b) => a + b, 0), 10);
  assert.equal(pad.data[2 * 5 + 2], 1);
});

Deno.test("resizeBilinear()/resizeNearest() keep constants and label values", () => {
  const out = resizeBilinear(new Float32Array(7 * 5).fill(3), { w: 7, h: 5, outW: 16, outH: 16 });
  assert.ok(out.every((v) => Math.abs(v - 3) < 1e-6));
  const m = resizeNearest(Uint8Array.from([0, 1, 2, 0]), { w: 2, h: 2, outW: 4, outH: 4 });
  assert.deepEqual([...m], [0, 0, 1, 1, 0, 0, 1, 1, 2, 2, 0, 0, 2, 2, 0, 0]);
});

Deno.test("keepSlice() keeps non-black slices for pretrain and object slices for finetune", () => {
  assert.equal(keepSlice("pretrain", new Float32Array([0, 0.1]), null), true);
  assert.equal(keepSlice("pretrain", new Float32Array(2), new Uint8Array([1, 0])), false);
  assert.equal(keepSlice("finetune", new Float32Array([1, 1]), new Uint8Array(2)), false);
  assert.equal(keepSlice("finetune", new Float32Array([1, 1]), new Uint8Array([0, 2])), true);
  assert.equal(keepSlice("finetune", new Float32Array([1, 1]), null), false);
});
