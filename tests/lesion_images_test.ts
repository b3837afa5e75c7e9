import assert from "node:assert/strict";
import {
  busiLesionCaseIds,
  loadBusiLesionImages,
  phantomLesionImages,
} from "../lib/data/lesion_images.ts";
import { generatePhantom } from "../lib/data/phantoms.ts";

const BUSI = new URL("../../shared/data/busi", import.meta.url).pathname;
const noBusi = (() => {
  try {
    return !Deno.statSync(BUSI).isDirectory;
  } catch {
    return true;
  }
})();

Deno.test("phantomLesionImages() are the phantoms with their labels as lesions", () => {
  const images = phantomLesionImages({ count: 2, size: 32, seed: 5 });
  assert.deepEqual(images.map((i) => i.caseId), ["phantom_0000", "phantom_0001"]);
  const p = generatePhantom(5, 1, 32);
  assert.deepEqual(images[1]!.image, p.image);
  assert.deepEqual(images[1]!.lesion, p.label);
  assert.equal(images[1]!.sourceHeight, 32);
});

Deno.test({
  name: "loadBusiLesionImages() gives pipeline (z-scored) or unit images of the lesion cases",
  ignore: noBusi,
  async fn() {
    const ids = await busiLesionCaseIds(BUSI);
    assert.ok(ids.every((id) => !id.startsWith("normal/")));
    assert.ok(ids.includes("benign/benign (1)") && ids.includes("malignant/malignant (1)"));
    const want = ["malignant/malignant (2)", "benign/benign (3)"];
    const [z, u] = [
      await loadBusiLesionImages(BUSI, { size: 64, caseIds: want }),
      await loadBusiLesionImages(BUSI, { size: 64, caseIds: want, intensity: "unit" }),
    ];
    assert.deepEqual(z.map((i) => i.caseId), want);
    for (let n = 0; n < 2; n++) {
      assert.equal(z[n]!.image.length, 64 * 64);
      assert.ok(u[n]!.image.every((v) => v >= 0 && v <= 1), "unit is gray / 255");
      const nz = Array.from(z[n]!.image);
      const mean = nz.reduce((a, b) => a + b, 0) / nz.length;
      assert.ok(Math.abs(mean) < 0.5, `z-scored mean ${mean}`);
      assert.ok(z[n]!.image.some((v) => v < -0.5) && z[n]!.image.some((v) => v > 0.5));
      const lesion = z[n]!.lesion.reduce((a, b) => a + b, 0);
      assert.ok(lesion > 0 && lesion < 64 * 64, "the lesion is part of the image");
      assert.equal(z[n]!.sourceLesion.length, z[n]!.sourceWidth * z[n]!.sourceHeight);
    }
    await assert.rejects(
      () => loadBusiLesionImages(BUSI, { size: 64, caseIds: ["normal/normal (1)"] }),
      RangeError,
    );
  },
});
