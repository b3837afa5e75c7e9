import assert from "node:assert/strict";
import { generatePhantom, phantomDataset } from "../lib/data/phantoms.ts";
import { gatherBatch } from "../lib/data/dataset.ts";

async function sha256(bytes: ArrayBufferView): Promise<string> {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  const digest = await crypto.subtle.digest("SHA-256", copy);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

Deno.test("generatePhantom() gives the same bytes for the same seed and other bytes for another", async () => {
  const a = generatePhantom(7, 3, 64);
  const b = generatePhantom(7, 3, 64);
  assert.equal(await sha256(a.image), await sha256(b.image));
  assert.equal(await sha256(a.label), await sha256(b.label));
  assert.notEqual(await sha256(generatePhantom(8, 3, 64).image), await sha256(a.image));
  assert.notEqual(await sha256(generatePhantom(7, 4, 64).image), await sha256(a.image));
});

Deno.test("generatePhantom() makes z-scored images with dark lesions marked in the label", () => {
  for (let i = 0; i < 10; i++) {
    const { image, label } = generatePhantom(1, i, 64);
    const mean = image.reduce((s, v) => s + v, 0) / image.length;
    const std = Math.sqrt(image.reduce((s, v) => s + (v - mean) ** 2, 0) / image.length);
    assert.ok(Math.abs(mean) < 1e-4 && Math.abs(std - 1) < 1e-3, `z-scored: ${mean} ${std}`);
    const inside = image.filter((_, k) => label[k] === 1);
    const outside = image.filter((_, k) => label[k] === 0);
    const share = inside.length / image.length;
    assert.ok(share > 0.005 && share < 0.4, `lesion share ${share}`);
    const avg = (xs: Float32Array) => xs.reduce((s, v) => s + v, 0) / xs.length;
    assert.ok(avg(inside) < avg(outside) - 0.5, "lesions are hypoechoic");
  }
});

Deno.test("phantomDataset() implements SliceDataset and gatherBatch() packs NHWC", () => {
  const ds = phantomDataset({ seed: 0, count: 5, size: 32 });
  assert.equal(ds.length, 5);
  const slice = ds.get(2);
  assert.equal(slice.image.length, 32 * 32);
  assert.equal(slice.caseId, "phantom_0002");
  const { images, labels } = gatherBatch(ds, [2, 0]);
  assert.deepEqual(images.subarray(0, 1024), slice.image);
  assert.deepEqual(labels.subarray(1024), ds.get(0).label);
  assert.throws(() => ds.get(5), RangeError);
  assert.throws(() => gatherBatch(ds, [9]), RangeError);
  assert.throws(() => generatePhantom(0, 0, 8), RangeError);
});
