import assert from "node:assert/strict";
import { renderOverlay } from "../lib/evaluate/overlay.ts";
import { GT_COLOR, overlayFigure, PRED_COLOR } from "../lib/viz/overlay_figure.ts";
import { MASK_TINT } from "../lib/viz/draw_mask_panel.ts";
import {
  drawPreviewFigure,
  PREVIEW_COLUMNS,
  previewTileOrigin,
} from "../lib/viz/preview_figure.ts";

const pixel = (data: Uint8Array, width: number, x: number, y: number) =>
  Array.from(data.subarray(3 * (y * width + x), 3 * (y * width + x) + 3));

Deno.test("overlayFigure() enlarges the overlay block by block and adds a legend with both colours", () => {
  const w = 32, h = 32;
  const gt = new Uint8Array(w * h), pred = new Uint8Array(w * h);
  for (let y = 8; y < 16; y++) for (let x = 8; x < 16; x++) gt[y * w + x] = 1;
  for (let y = 20; y < 28; y++) for (let x = 20; x < 28; x++) pred[y * w + x] = 1;
  const image = Float32Array.from({ length: w * h }, (_, i) => i % 7);
  const rgb = renderOverlay(image, { gt, pred, width: w, height: h });
  const fig = overlayFigure(rgb, { width: w, height: h });
  const s = 8; // 32 px -> 256 px
  assert.equal(fig.width, w * s);
  assert.ok(fig.height > h * s);
  for (const [x, y] of [[8, 8], [20, 20], [3, 5], [31, 31]] as const) {
    const src = pixel(rgb, w, x, y);
    for (const [dx, dy] of [[0, 0], [s - 1, s - 1]] as const) {
      assert.deepEqual(pixel(fig.data, fig.width, x * s + dx, y * s + dy), src);
    }
  }
  assert.deepEqual(pixel(fig.data, fig.width, 8 * s, 8 * s), [...GT_COLOR]);
  assert.deepEqual(pixel(fig.data, fig.width, 20 * s, 20 * s), [...PRED_COLOR]);
  // the legend strip (below the image) shows a swatch of each colour
  const legend = (color: readonly number[]) => {
    for (let y = h * s; y < fig.height; y++) {
      for (let x = 0; x < 40; x++) {
        if (pixel(fig.data, fig.width, x, y).join() === color.join()) return true;
      }
    }
    return false;
  };
  assert.ok(legend(GT_COLOR) && legend(PRED_COLOR));
});

Deno.test("drawPreviewFigure() shows input, tinted removed patches, masked input and reconstruction, enlarged", () => {
  const size = 16, patch = 8, n = 2;
  const input = Float32Array.from({ length: n * size * size }, (_, i) => (i * 37) % 11);
  const masked = input.map((v, i) => (Math.floor((i % (size * size)) / size) < 8 ? 0 : v));
  const recon = input.map((v) => v * 0.5);
  const mask = Float32Array.of(1, 1, 0, 0, 0, 1, 0, 0); // image 0: top row removed; image 1: patch 1
  const fig = drawPreviewFigure({ input, masked, reconstruction: recon, mask }, {
    batch: n,
    size,
    channels: 1,
    patchSize: patch,
  });
  assert.equal(PREVIEW_COLUMNS.length, 4);
  const at = (k: number, n = 0) => previewTileOrigin(k, n, size);
  const scale = at(0).scale;
  assert.equal(scale, 6, "16 px tiles are enlarged 6x (at most)");
  assert.ok(fig.width >= 4 * size * scale && fig.height >= n * size * scale);
  const rgb = (k: number, x: number, y: number, n = 0) =>
    pixel(fig.data, fig.width, at(k, n).x + x * scale, at(k, n).y + y * scale);
  const tint = (v: number[]) => v.map((g, c) => Math.round(0.5 * g + 0.5 * MASK_TINT[c]!));
  // column 1 is column 0 tinted towards MASK_TINT in the removed patches, equal elsewhere
  for (const [x, y] of [[2, 2], [12, 3]] as const) {
    assert.equal(rgb(0, x, y)[0], rgb(0, x, y)[2], "the input is gray");
    assert.deepEqual(rgb(1, x, y), tint(rgb(0, x, y)), "image 0: the top patch row is removed");
  }
  assert.deepEqual(rgb(1, 2, 12), rgb(0, 2, 12), "image 0 keeps patch row 1");
  assert.deepEqual(rgb(1, 12, 2, 1), tint(rgb(0, 12, 2, 1)), "image 1: patch 1 is removed");
  assert.deepEqual(rgb(1, 2, 2, 1), rgb(0, 2, 2, 1), "image 1 keeps patch 0");
  // column 2 shows the masked input (its top half zeroed here), column 3 the reconstruction
  assert.notDeepEqual(rgb(2, 2, 2), rgb(0, 2, 2));
  assert.deepEqual(rgb(2, 2, 12), rgb(0, 2, 12));
  // enlarged: a scale x scale block of one value
  const x0 = at(0).x, y0 = at(0).y;
  assert.deepEqual(
    pixel(fig.data, fig.width, x0 + scale - 1, y0 + scale - 1),
    pixel(fig.data, fig.width, x0, y0),
  );
  assert.throws(
    () =>
      drawPreviewFigure({ input, masked, reconstruction: recon, mask: new Float32Array(3) }, {
        batch: n,
        size,
        channels: 1,
        patchSize: patch,
      }),
    /mask has 3 values/,
  );
});
