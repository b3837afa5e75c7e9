import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { InputFileError } from "../lib/errors.ts";
import { readPngImage, readPngMask, writePng } from "../lib/io/png.ts";

const BUSI = new URL("../../shared/data/busi/", import.meta.url);
const haveShared = await Deno.stat(BUSI).then(() => true, () => false);
if (!haveShared) {
  console.warn(`png_test: ${BUSI.pathname} is absent; tests on BUSI files are skipped`);
}

const busi = (rel: string) => fileURLToPath(new URL(rel, BUSI));

Deno.test("writePng() then readPngImage()/readPngMask() round-trip gray and RGB", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const gray = Uint8Array.from({ length: 5 * 3 }, (_, i) => (i * 17) % 256);
    await writePng(`${dir}/g.png`, { width: 5, height: 3, channels: 1, data: gray });
    const g = await readPngImage(`${dir}/g.png`);
    assert.equal(g.width, 5);
    assert.equal(g.height, 3);
    g.data.forEach((v, i) => assert.ok(Math.abs(v - (gray[i] ?? 0)) < 1e-3));
    const rgb = new Uint8Array(2 * 2 * 3);
    rgb.set([255, 0, 0], 0); // red: luma 76.2, mask 1
    rgb.set([0, 0, 100], 3); // dark blue: mask 0
    rgb.set([10, 200, 10], 9);
    await writePng(`${dir}/c.png`, { width: 2, height: 2, channels: 3, data: rgb });
    const c = await readPngImage(`${dir}/c.png`);
    assert.ok(Math.abs((c.data[0] ?? 0) - 0.299 * 255) < 1e-3);
    const m = await readPngMask(`${dir}/c.png`);
    assert.deepEqual([...m.data], [1, 0, 0, 1]);
    await assert.rejects(
      writePng(`${dir}/x.png`, { width: 2, height: 2, channels: 2, data: rgb }),
      RangeError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "readPngImage()/readPngMask() read BUSI RGB images, 1-bit and RGB/RGBA masks",
  ignore: !haveShared,
  async fn() {
    const img = await readPngImage(busi("benign/benign (1).png"));
    assert.deepEqual([img.width, img.height, img.channels], [562, 471, 1]);
    const mask1bit = await readPngMask(busi("benign/benign (1)_mask.png"));
    assert.deepEqual([mask1bit.width, mask1bit.height], [562, 471]);
    const ones = mask1bit.data.reduce((s, v) => s + v, 0);
    assert.ok(ones > 100 && ones < mask1bit.data.length / 2, `lesion pixels ${ones}`);
    assert.ok(mask1bit.data.every((v) => v === 0 || v === 1));
    const rgba = await readPngMask(busi("benign/benign (4)_mask_1.png")); // 8-bit RGBA
    assert.ok(rgba.data.some((v) => v === 1));
    const rgbNormal = await readPngMask(busi("normal/normal (2)_mask.png")); // 8-bit RGB, empty
    assert.ok(rgbNormal.data.every((v) => v === 0));
  },
});

Deno.test({
  name: "readPngImage() rejects a non-PNG file with a message naming it",
  ignore: !haveShared,
  async fn() {
    const notPng = fileURLToPath(
      new URL("../../shared/data/nifti-samples/negative/not-nifti.nii", import.meta.url),
    );
    await assert.rejects(readPngImage(notPng), (e: unknown) => {
      assert.ok(e instanceof InputFileError);
      assert.match(
        e.message,
        /^Cannot read PNG ".*not-nifti\.nii": signature is not the PNG signature/,
      );
      return true;
    });
  },
});
