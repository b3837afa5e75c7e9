import assert from "node:assert/strict";
import { phantomLesionImages } from "../lib/data/lesion_images.ts";
import { lesionPatches, maskedLesionShare } from "../lib/masking/mask_overlap.ts";
import {
  drawMaskPanel,
  grayWindow,
  LESION_OUTLINE,
  MASK_TINT,
  MASK_TINT_ALPHA,
} from "../lib/viz/draw_mask_panel.ts";
import { drawMaskFigure, panelOrigin } from "../lib/viz/mask_figure.ts";
import { drawMethodMasks } from "../lib/viz/draw_method_masks.ts";

/** The gray value drawMaskPanel should give pixel i (window lo..hi). */
function gray(v: number, lo: number, hi: number): number {
  return Math.round(255 * Math.min(1, Math.max(0, (v - lo) / (hi - lo))));
}

/** Lesion border by brute force: lesion pixels with an outside 4-neighbour (image edge = outside). */
function border(lesion: Uint8Array, size: number): Set<number> {
  const out = new Set<number>();
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < size && y < size ? lesion[y * size + x]! : 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      if (!at(x, y)) continue;
      if (!at(x - 1, y) || !at(x + 1, y) || !at(x, y - 1) || !at(x, y + 1)) out.add(y * size + x);
    }
  }
  return out;
}

Deno.test("drawMaskPanel() tints exactly the removed patches, outlines the lesion border, leaves the rest gray", () => {
  const size = 64, patchSize = 8, gw = size / patchSize;
  const [ph] = phantomLesionImages({ count: 1, size, seed: 3 });
  const { image, lesion } = ph!;
  const mask = Float32Array.from({ length: gw * gw }, (_, l) => (l * 7) % 5 === 0 ? 1 : 0);
  const { lo, hi } = grayWindow(image);
  const panel = drawMaskPanel(image, { width: size, height: size, patchSize, mask, lesion });
  assert.equal(panel.width, size);
  assert.equal(panel.channels, 3);
  const edge = border(lesion, size);
  assert.ok(edge.size > 10, "the phantom has a lesion");
  let tinted = 0;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const i = y * size + x;
      const px = [...panel.data.subarray(3 * i, 3 * i + 3)];
      if (edge.has(i)) {
        assert.deepEqual(px, [...LESION_OUTLINE], `outline at ${x},${y}`);
        continue;
      }
      const g = gray(image[i]!, lo, hi);
      const removed = mask[Math.floor(y / patchSize) * gw + Math.floor(x / patchSize)] === 1;
      const want = removed
        ? MASK_TINT.map((c) => Math.round((1 - MASK_TINT_ALPHA) * g + MASK_TINT_ALPHA * c))
        : [g, g, g];
      assert.deepEqual(px, want, `pixel ${x},${y} (${removed ? "removed" : "kept"})`);
      if (removed) tinted++;
    }
  }
  assert.ok(tinted > 0);
  // enlargement repeats every pixel scale x scale times
  const big = drawMaskPanel(image, {
    width: size,
    height: size,
    patchSize,
    mask,
    lesion,
    scale: 3,
  });
  assert.equal(big.width, 3 * size);
  for (const [x, y] of [[0, 0], [17, 40], [63, 63], [31, 5]] as const) {
    for (const [dx, dy] of [[0, 0], [2, 1], [1, 2]] as const) {
      const b = 3 * ((3 * y + dy) * 3 * size + 3 * x + dx), s = 3 * (y * size + x);
      assert.deepEqual([...big.data.subarray(b, b + 3)], [...panel.data.subarray(s, s + 3)]);
    }
  }
  // a lesion cut by the image edge is outlined along the edge too
  const corner = Uint8Array.from({ length: 64 }, (_, i) => (i % 8 < 3 && i < 24 ? 1 : 0));
  const small = drawMaskPanel(new Float32Array(64), {
    width: 8,
    height: 8,
    patchSize: 4,
    mask: null,
    lesion: corner,
  });
  const outlined = [...corner.keys()].filter((i) => small.data[3 * i] === LESION_OUTLINE[0]);
  assert.deepEqual(outlined, [...border(corner, 8)].sort((a, b) => a - b));
  assert.deepEqual(outlined, [0, 1, 2, 8, 10, 16, 17, 18]);
  assert.throws(
    () =>
      drawMaskPanel(image, {
        width: size,
        height: size,
        patchSize,
        mask: new Float32Array(3),
        lesion,
      }),
    RangeError,
  );
});

Deno.test("drawMaskFigure() puts each panel at panelOrigin() with one shared gray window", () => {
  const size = 32, patchSize = 8;
  const [ph] = phantomLesionImages({ count: 1, size, seed: 1 });
  const masks = [
    null,
    new Float32Array(16).fill(1),
    Float32Array.from({ length: 16 }, (_, l) => l % 2),
  ];
  const scale = 2;
  const fig = drawMaskFigure(ph!.image, {
    width: size,
    height: size,
    patchSize,
    lesion: ph!.lesion,
    scale,
    panels: masks.map((mask, k) => ({ label: `p${k}`, caption: "hit 0.50", mask })),
  });
  masks.forEach((mask, k) => {
    const want = drawMaskPanel(ph!.image, {
      width: size,
      height: size,
      patchSize,
      mask,
      lesion: ph!.lesion,
      scale,
    });
    const { x, y } = panelOrigin(k, { width: size, height: size, scale });
    const pw = size * scale;
    for (let r = 0; r < pw; r++) {
      const got = fig.data.subarray(
        3 * ((y + r) * fig.width + x),
        3 * ((y + r) * fig.width + x + pw),
      );
      assert.deepEqual(
        got,
        want.data.subarray(3 * r * pw, 3 * (r + 1) * pw),
        `panel ${k} row ${r}`,
      );
    }
  });
  // the title strip has some light (text) pixels above every panel
  for (let k = 0; k < masks.length; k++) {
    const { x, y } = panelOrigin(k, { width: size, height: size, scale });
    let light = 0;
    for (let r = 0; r < y; r++) {
      for (let c = x; c < x + size * scale; c++) {
        light += fig.data[3 * (r * fig.width + c)]! > 200 ? 1 : 0;
      }
    }
    assert.ok(light > 20, `title of panel ${k}`);
  }
  assert.throws(
    () =>
      drawMaskFigure(ph!.image, { width: size, height: size, patchSize, lesion: null, panels: [] }),
    RangeError,
  );
});

Deno.test("drawMethodMasks() on phantoms: shares match the masks, masks remove floor(L * ratio), panels are drawn", () => {
  const size = 64, patchSize = 8, gw = 8, L = 64;
  const images = phantomLesionImages({ count: 3, size, seed: 0 });
  const figures = drawMethodMasks(images, { size, patchSize, ratio: 0.25, scale: 1 });
  assert.equal(figures.length, 3);
  figures.forEach((f, n) => {
    assert.equal(f.caseId, images[n]!.caseId);
    const touch = lesionPatches(images[n]!.lesion, { width: size, height: size, gh: gw, gw });
    assert.equal(f.lesionShare, touch.reduce((a, b) => a + b, 0) / L);
    assert.deepEqual(f.panels.map((p) => p.label), [
      "random",
      "MPS",
      "MPS-AMS",
      "MPS e2h",
      "AMS e2h",
    ]);
    for (const p of f.panels) {
      assert.equal(p.mask.reduce((a, b) => a + b, 0), 16, `${p.method} removes 16 of 64`);
      assert.equal(p.share, maskedLesionShare(p.mask, touch, L)[0]);
    }
    // MPS in both orders: disjoint sets when together they remove at most L
    const [h2e, e2h] = [f.panels[1]!.mask, f.panels[3]!.mask];
    assert.ok(
      h2e.every((v, l) => !(v === 1 && e2h[l] === 1)),
      "lesion-first and lesion-last overlap",
    );
    // the first panel is the untinted image: panel k+1 differs from it only inside removed patches
    const first = panelOrigin(0, { width: size, height: size, scale: 1 });
    f.panels.forEach((p, k) => {
      const o = panelOrigin(k + 1, { width: size, height: size, scale: 1 });
      let changed = 0;
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const a = 3 * ((first.y + y) * f.figure.width + first.x + x);
          const b = 3 * ((o.y + y) * f.figure.width + o.x + x);
          const same = f.figure.data[a] === f.figure.data[b] &&
            f.figure.data[a + 1] === f.figure.data[b + 1] &&
            f.figure.data[a + 2] === f.figure.data[b + 2];
          const removed = p.mask[Math.floor(y / patchSize) * gw + Math.floor(x / patchSize)] === 1;
          if (!removed) assert.ok(same, `${p.label}: kept pixel ${x},${y} changed`);
          if (!same) changed++;
        }
      }
      assert.ok(changed > 0, `${p.label}: nothing tinted`);
    });
  });
});
