// edt.wgsl (squaredEdtGpu) against its TS twin squaredEdt on the WebGPU adapter at hand,
// and HD95 with the GPU EDT against the scipy vectors. f32 on the GPU, f64 in TS:
// squared distances agree to 1e-5 relative; 0 and Infinity exactly.

import assert from "node:assert/strict";
import { device, gpu, noGpu } from "../_gpu.ts";
import { EDT_MAX_LINE, edtGpu, squaredEdt, squaredEdtGpu } from "../../lib/kernels/edt.ts";
import { computeCaseMetricsAsync } from "../../lib/metrics/case_metrics.ts";
import { regionMask } from "../../lib/metrics/multiclass.ts";
import { selectEdt } from "../../lib/metrics/select_edt.ts";
import { makeRng } from "../../lib/random.ts";
import { DATA_DIR, loadSource, readNiftiLabels } from "../_masks.ts";
import { VECTORS } from "./_vectors.ts";
import { applyOps } from "../_perturb.ts";

const REL = 1e-5;

/** Asserts GPU == TS: exact for 0 and Infinity, 1e-5 relative otherwise; returns the worst. */
async function compare(mask: Uint8Array, dims: number[], spacing: number[], what: string) {
  const want = squaredEdt(mask, dims, { spacing });
  const got = await squaredEdtGpu(mask, dims, { spacing, device: device() });
  assert.equal(got.length, want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    if (w === 0 || w === Infinity) {
      if (g !== w) assert.fail(`${what} voxel ${i}: GPU ${g}, TS ${w}`);
      continue;
    }
    const rel = Math.abs(g - w) / w;
    if (!(rel <= REL)) assert.fail(`${what} voxel ${i}: GPU ${g}, TS ${w} (relative ${rel})`);
    worst = Math.max(worst, rel);
  }
  return worst;
}

Deno.test({
  name: "squaredEdtGpu() equals squaredEdt() on random 2D and 3D masks of odd sizes",
  ignore: noGpu,
  async fn() {
    const rng = makeRng(11);
    const shapes: Array<[number[], number[]]> = [
      [[17, 11], [0.7, 1.9]],
      [[1, 23], [1, 0.35]], // one line along y, lines of length 1 along x
      [[23, 1], [0.35, 1]],
      [[65, 67], [1, 1]], // line counts just above the workgroup size
      [[9, 8, 7], [1.2, 0.5, 3.0]],
      [[31, 29, 13], [0.9, 0.9, 2.5]],
      [[5, 130, 3], [2, 0.5, 1]],
    ];
    let worst = 0;
    for (const [dims, spacing] of shapes) {
      const n = dims.reduce((a, b) => a * b, 1);
      for (const density of [0.02, 0.5, 0.97, 0.9999]) {
        const mask = Uint8Array.from({ length: n }, () => (rng.next() < density ? 1 : 0));
        worst = Math.max(worst, await compare(mask, dims, spacing, `[${dims}] ${density}`));
      }
    }
    console.log(`worst relative difference of squared distances: ${worst}`);
  },
});

Deno.test({
  name: "squaredEdtGpu() handles an empty mask, a full mask and one zero voxel",
  ignore: noGpu,
  async fn() {
    const dims = [13, 7, 5], n = 13 * 7 * 5, spacing = [0.5, 1, 2.5];
    // no foreground: every distance 0
    assert.deepEqual([
      ...await squaredEdtGpu(new Uint8Array(n), dims, { spacing, device: device() }),
    ], new Array(n).fill(0));
    // no background voxel at all: Infinity everywhere, as the TS twin
    const full = await squaredEdtGpu(new Uint8Array(n).fill(1), dims, {
      spacing,
      device: device(),
    });
    assert.deepEqual([...full], [...squaredEdt(new Uint8Array(n).fill(1), dims, { spacing })]);
    assert.ok(full.every((v) => v === Infinity));
    // one zero voxel in a corner: the farthest corner is at sum((n - 1) * s)^2
    const one = new Uint8Array(n).fill(1);
    one[0] = 0;
    await compare(one, dims, spacing, "one zero voxel");
    const d = await edtGpu(one, dims, { spacing, device: device() });
    assert.ok(Math.abs(d[n - 1]! - Math.hypot(12 * 0.5, 6 * 1, 4 * 2.5)) < 1e-5);
  },
});

Deno.test({
  name: "squaredEdtGpu() splits more than 65535 workgroups over y and takes the longest axis",
  ignore: noGpu,
  async fn() {
    // 4.2M lines of one voxel along x: more than 65535 * 64 invocations in one pass
    const rng = makeRng(5);
    const dims = [1, 2100, 2001], n = 2100 * 2001;
    const mask = Uint8Array.from({ length: n }, () => (rng.next() < 0.99999 ? 1 : 0));
    await compare(mask, dims, [1, 0.8, 1.3], "4.2M lines");
    // the longest accepted line, sparse sites: positions ~1e4 mm, distances ~1 mm, where
    // ((fq + pq^2) - (fr + pr^2)) / (2 (pq - pr)) in f32 would misplace breakpoints by voxels
    const line = Uint8Array.from({ length: EDT_MAX_LINE }, () => (rng.next() < 0.9 ? 1 : 0));
    await compare(line, [EDT_MAX_LINE, 1], [0.7, 1], "longest line");
    await compare(line, [1, EDT_MAX_LINE], [1, 1.3], "longest line along y");
  },
});

Deno.test({
  name: "squaredEdtGpu() rejects what squaredEdt() rejects",
  ignore: noGpu,
  async fn() {
    await assert.rejects(
      squaredEdtGpu(new Uint8Array(4), [2, 2], { spacing: [1, 1, 1], device: device() }),
      TypeError,
    );
    await assert.rejects(
      squaredEdtGpu(new Uint8Array(5), [2, 2], { device: device() }),
      RangeError,
    );
    await assert.rejects(
      squaredEdtGpu(new Uint8Array(EDT_MAX_LINE + 1), [1, EDT_MAX_LINE + 1], { device: device() }),
      /an axis of 8193 voxels is longer than 8192/,
    );
  },
});

Deno.test("selectEdt() keeps TS on software adapters and without one, GPU on hardware", () => {
  const fake = (description: string) => ({
    adapter: { info: { vendor: "", architecture: "", device: "", description } } as GPUAdapter,
    device: {} as GPUDevice,
    description,
  });
  assert.equal(selectEdt("auto").place, "cpu");
  assert.equal(selectEdt("cpu", fake("NVIDIA GeForce RTX 4090")).place, "cpu");
  assert.equal(selectEdt("auto", fake("llvmpipe (LLVM 15.0.6, 256 bits)")).place, "cpu");
  assert.equal(selectEdt("auto", fake("NVIDIA GeForce RTX 4090")).place, "gpu");
  assert.equal(selectEdt("gpu", fake("llvmpipe")).place, "gpu");
  assert.throws(() => selectEdt("gpu"), /Cannot run the EDT on "gpu": there is no WebGPU adapter/);
  assert.throws(() => selectEdt("fast" as "auto"), RangeError);
});

// ---- real masks (../shared/data) ----------------------------------------------------------

const noData = DATA_DIR === null;
if (noData) console.warn("edt_gpu_test: ../shared/data not found; real-mask GPU tests skipped");

Deno.test({
  name: "squaredEdtGpu() equals squaredEdt() on real BUSI, hippocampus and BraTS masks",
  ignore: noGpu || noData,
  async fn() {
    for (const c of VECTORS.edt) {
      const vol = loadSource(c.source);
      const m = regionMask(vol.data, c.region);
      if (c.invert) { for (let i = 0; i < m.length; i++) m[i] = 1 - m[i]!; }
      await compare(m, vol.dims, c.spacing, c.id);
    }
    // a whole BraTS volume (240 x 240 x 155), tumour and its complement, made anisotropic
    const wt = readNiftiLabels(`${DATA_DIR}brats2018/case_0/GT_W.nii.gz`);
    const tumour = regionMask(wt.data, { name: "WT", minLabel: 1 });
    await compare(tumour, wt.dims, [1, 1, 1], "BraTS WT");
    const outside = tumour.map((v) => 1 - v);
    await compare(outside, wt.dims, [0.9, 1.1, 2.5], "BraTS outside WT, anisotropic");
  },
});

Deno.test({
  name: "HD95 with the GPU EDT matches scipy within 1e-3 mm on the real-mask vectors",
  ignore: noGpu || noData,
  async fn() {
    const choice = selectEdt("gpu", gpu);
    assert.equal(choice.place, "gpu");
    let worst = 0;
    for (const c of VECTORS.binary) {
      const vol = loadSource(c.source);
      const gt = regionMask(applyOps(vol.data, vol.dims, c.gtOps), c.region);
      const pred = regionMask(applyOps(vol.data, vol.dims, c.predOps), c.region);
      const m = await computeCaseMetricsAsync(gt, pred, vol.dims, c.spacing, { edt: choice.edt });
      const diff = Math.abs(m.hd95 - c.expected.hd95);
      assert.ok(diff <= 1e-3, `${c.id}: GPU HD95 ${m.hd95}, scipy ${c.expected.hd95}`);
      worst = Math.max(worst, diff);
    }
    console.log(`${VECTORS.binary.length} cases, worst |GPU HD95 - scipy| = ${worst} mm`);
  },
});
