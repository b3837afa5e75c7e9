// Compares lib/metrics/ with scipy/numpy reference values on real masks
// (tests/testdata/metric_vectors.json, written by tests/vectors/make_metric_vectors.py).
// Skips with a message when ../shared/data is absent.

import assert from "node:assert/strict";
import { boundaryPasses } from "../../lib/metrics/boundary_iou.ts";
import { computeCaseMetrics } from "../../lib/metrics/case_metrics.ts";
import { edt } from "../../lib/kernels/edt.ts";
import { computeMulticlassMetrics, regionMask } from "../../lib/metrics/multiclass.ts";
import { overlapMetrics } from "../../lib/metrics/overlap.ts";
import { DATA_DIR, loadSource, NO_DATA_MESSAGE, type Source, type Volume } from "../_masks.ts";
import { applyOps } from "../_perturb.ts";
import { VECTORS } from "./_vectors.ts";

const ignore = DATA_DIR === null;
if (ignore) console.warn(NO_DATA_MESSAGE);

const cache = new Map<string, Volume>();
function load(src: Source): Volume {
  const key = JSON.stringify(src);
  let v = cache.get(key);
  if (v === undefined) {
    v = loadSource(src);
    cache.set(key, v);
  }
  return v;
}

function close(actual: number, expected: number, tol: number, what: string): void {
  assert.ok(
    Math.abs(actual - expected) <= tol,
    `${what}: got ${actual}, scipy gives ${expected} (tol ${tol})`,
  );
}

const METRIC_TOL = 1e-6;
const HD95_TOL = 1e-3;

Deno.test({
  name: "computeCaseMetrics() matches scipy on BUSI and hippocampus masks and perturbations",
  ignore,
  fn() {
    let worstHd = 0;
    for (const c of VECTORS.binary) {
      const vol = load(c.source);
      assert.deepEqual(vol.dims, c.dims, c.id);
      const gt = regionMask(applyOps(vol.data, vol.dims, c.gtOps), c.region);
      const pred = regionMask(applyOps(vol.data, vol.dims, c.predOps), c.region);
      const e = c.expected;
      const o = overlapMetrics(gt, pred, vol.dims);
      assert.deepEqual([o.tp, o.fp, o.fn], [e.tp, e.fp, e.fn], `${c.id} counts`);
      const plane = c.biouMode === "slices" ? vol.dims.slice(0, 2) : vol.dims;
      assert.equal(boundaryPasses(plane), e.biouPasses, `${c.id} bIoU passes`);
      const m = computeCaseMetrics(gt, pred, vol.dims, c.spacing, { biouMode: c.biouMode });
      assert.equal(m.branch, e.branch, `${c.id} branch`);
      close(m.dsc, e.dsc, METRIC_TOL, `${c.id} dsc`);
      close(m.sen, e.sen, METRIC_TOL, `${c.id} sen`);
      close(m.ppv, e.ppv, METRIC_TOL, `${c.id} ppv`);
      close(m.biou, e.biou, METRIC_TOL, `${c.id} biou`);
      close(m.hd95, e.hd95, HD95_TOL, `${c.id} hd95`);
      worstHd = Math.max(worstHd, Math.abs(m.hd95 - e.hd95));
    }
    console.log(`${VECTORS.binary.length} binary cases, worst |HD95 - scipy| = ${worstHd} mm`);
  },
});

Deno.test({
  name: "computeMulticlassMetrics() matches scipy per hippocampus class and in the mean",
  ignore,
  fn() {
    for (const c of VECTORS.multiclass) {
      const vol = load(c.source);
      const pred = applyOps(vol.data, vol.dims, c.predOps);
      const m = computeMulticlassMetrics(vol.data, pred, vol.dims, {
        regions: c.regions,
        spacing: c.spacing,
      });
      c.expected.regions.forEach((e, k) => {
        const r = m.regions[k]!;
        assert.equal(r.name, e.name);
        assert.equal(r.branch, e.branch, `${c.id} ${e.name} branch`);
        for (const key of ["dsc", "sen", "ppv", "biou"] as const) {
          close(r[key], e[key], METRIC_TOL, `${c.id} ${e.name} ${key}`);
        }
        close(r.hd95, e.hd95, HD95_TOL, `${c.id} ${e.name} hd95`);
      });
      for (const key of ["dsc", "sen", "ppv", "biou", "hd95"] as const) {
        close(m.mean[key], c.expected.mean[key]!, key === "hd95" ? HD95_TOL : METRIC_TOL, key);
      }
    }
  },
});

Deno.test({
  name: "edt() matches scipy distance_transform_edt(sampling=) on 2D and 3D anisotropic masks",
  ignore,
  fn() {
    let worst = 0;
    for (const c of VECTORS.edt) {
      const vol = load(c.source);
      const m = regionMask(vol.data, c.region);
      if (c.invert) { for (let i = 0; i < m.length; i++) m[i] = 1 - m[i]!; }
      const d = edt(m, vol.dims, { spacing: c.spacing });
      const e = c.expected;
      let count = 0;
      let sum = 0;
      let sumSquares = 0;
      let max = 0;
      for (const v of d) {
        if (v > 0) count++;
        sum += v;
        sumSquares += v * v;
        max = Math.max(max, v);
      }
      assert.equal(count, e.count, `${c.id} count`);
      close(max, e.max, 1e-6, `${c.id} max`);
      close(sum, e.sum, 1e-9 * e.sum, `${c.id} sum`);
      close(sumSquares, e.sumSquares, 1e-9 * e.sumSquares, `${c.id} sum of squares`);
      for (const [i, v] of e.samples) {
        close(d[i!]!, v!, 1e-6, `${c.id} voxel ${i}`);
        worst = Math.max(worst, Math.abs(d[i!]! - v!));
      }
    }
    console.log(`${VECTORS.edt.length} EDT cases, worst sampled |edt - scipy| = ${worst}`);
  },
});
