import assert from "node:assert/strict";
import { preprocessCase, type PreprocessSettings } from "../lib/data/preprocess/preprocess_case.ts";
import type { SourceCase } from "../lib/data/layouts/case_ref.ts";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { ConfigError } from "../lib/errors.ts";

const IDENTITY = [[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]];

/** A CT-like 8 x 8 x 4 volume in HU: air, soft tissue and bone. */
function ctVolume(bone: number, air: number): SourceCase {
  const n = 8 * 8 * 4;
  const hu = Float32Array.from(
    { length: n },
    (_, i) => (i % 7 === 0 ? bone : i % 5 === 0 ? air : -40 + (i % 13) * 9),
  );
  return {
    caseId: "ct",
    channels: [hu],
    label: null,
    dims: [8, 8, 4],
    spacing: [1, 1, 1],
    affine: IDENTITY,
    is2d: false,
    sources: [],
  };
}

const SETTINGS: PreprocessSettings = {
  size: 8,
  spacing: [1, 1, 1],
  mode: "pretrain",
  clipPercentiles: [0, 100],
  percentileRegion: "all",
  imageInterpolation: "linear",
  intensityWindow: [-150, 150],
};

Deno.test("preprocessCase() with an intensity window ignores values beyond it (CT in HU)", () => {
  const a = preprocessCase(ctVolume(1200, -1000), SETTINGS);
  const b = preprocessCase(ctVolume(3000, -3000), SETTINGS);
  assert.deepEqual(a.images, b.images, "bone and air beyond the window look the same");
  const open = { ...SETTINGS, intensityWindow: null };
  assert.notDeepEqual(
    preprocessCase(ctVolume(1200, -1000), open).images,
    preprocessCase(ctVolume(3000, -3000), open).images,
  );
  assert.deepEqual(a.intensity[0]!.clip, [-150, 150]);
});

Deno.test("resolvePreprocessConfig() reads intensityWindow as [lo, hi] or null", () => {
  const base = { layout: "busi", input: "x" };
  assert.equal(resolvePreprocessConfig(base).intensityWindow, null);
  assert.deepEqual(
    resolvePreprocessConfig(base, { intensityWindow: [-150, 150] }).intensityWindow,
    [
      -150,
      150,
    ],
  );
  assert.throws(
    () => resolvePreprocessConfig(base, { intensityWindow: [150, -150] }),
    (e: unknown) => e instanceof ConfigError && e.key === "intensityWindow",
  );
});
