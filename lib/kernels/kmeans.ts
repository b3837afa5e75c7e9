/**
 * Batched 2-means clustering of patch feature vectors, one clustering per
 * sample: `shaders/kmeans.wgsl` (one workgroup per sample, the whole Lloyd
 * loop in one dispatch) and its TS twin.
 *
 * Seeding is deterministic and needs no seed: a0 = the vector with the lowest
 * mean (the darkest patch for raw patches), b = the vector farthest from a0,
 * a = the vector farthest from b; centre 0 starts at a, centre 1 at b (ties go
 * to the lowest index). Two maximin steps, so features whose mean is constant
 * (softmax similarity rows) still get two distinct seeds when any exist.
 * Lloyd iterations assign each vector to the nearer centre (squared Euclidean,
 * ties to centre 0) and stop when no label changes (a flag in workgroup memory,
 * no CPU readback) or after `maxIter` centre updates. An empty cluster keeps
 * its centre. The loop ends with an assignment: labels are always the nearest
 * centre of the returned centres.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer } from "../gpu/compute.ts";

/** Shader name and workgroup size of the kernel. */
export const KMEANS = { name: "kmeans", workgroupSize: 64 } as const;

/** Default cap on centre updates; 2-means on patch vectors settles in a few. */
export const KMEANS_MAX_ITER = 20;

/** The shape of a batch of feature vectors. */
export interface FeatureShape {
  /** N, samples (one clustering each). */
  readonly batch: number;
  /** L, vectors (patches) per sample. */
  readonly patches: number;
  /** D, values per vector. */
  readonly dim: number;
}

/** The result of a batched 2-means clustering. */
export interface KMeansResult<F, U> {
  /** `[N, 2, D]` final centres. */
  readonly centres: F;
  /** `[N, L]` cluster of every vector, 0 or 1. */
  readonly labels: U;
  /** `[N, 2]` vectors per cluster. */
  readonly sizes: U;
  /** `[N]` centre updates performed (< maxIter means converged). */
  readonly iterations: U;
}

/**
 * TS twin of `kmeans.wgsl` (f32 arithmetic, same summation order).
 *
 * @param features `[N, L, D]` feature vectors.
 * @param shape N, L, D.
 * @param options `maxIter`: cap on centre updates (default {@linkcode KMEANS_MAX_ITER}).
 * @returns Centres, labels, cluster sizes and iteration counts.
 * @throws {RangeError} If the sizes disagree or a size is not a positive integer.
 * @example
 * ```ts
 * import { kmeansCpu } from "./kmeans.ts";
 * const r = kmeansCpu(new Float32Array([0, 0, 1, 9, 10]), { batch: 1, patches: 5, dim: 1 });
 * if (r.labels.join() !== "0,0,0,1,1") throw new Error("wrong clusters");
 * ```
 */
export function kmeansCpu(
  features: Float32Array,
  shape: FeatureShape,
  options: { readonly maxIter?: number } = {},
): KMeansResult<Float32Array, Uint32Array> {
  checkShape(features.length, shape);
  const maxIter = options.maxIter ?? KMEANS_MAX_ITER;
  const { batch, patches, dim } = shape;
  const f = Math.fround;
  const centres = new Float32Array(batch * 2 * dim);
  const labels = new Uint32Array(batch * patches);
  const sizes = new Uint32Array(batch * 2);
  const iterations = new Uint32Array(batch);
  for (let n = 0; n < batch; n++) {
    const base = n * patches * dim;
    const cbase = n * 2 * dim;
    const x = (l: number, d: number) => features[base + l * dim + d] as number;
    const distFF = (l: number, m: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const e = f(x(l, d) - x(m, d));
        s = f(s + f(e * e));
      }
      return s;
    };
    const distFC = (l: number, k: number) => {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const e = f(x(l, d) - (centres[cbase + k * dim + d] as number));
        s = f(s + f(e * e));
      }
      return s;
    };
    // 1) seeding: strict > keeps the lowest index on ties
    const argMax = (value: (l: number) => number) => {
      let best = 0;
      let bestValue = value(0);
      for (let l = 1; l < patches; l++) {
        const v = value(l);
        if (v > bestValue) [best, bestValue] = [l, v];
      }
      return best;
    };
    const a0 = argMax((l) => {
      let s = 0;
      for (let d = 0; d < dim; d++) s = f(s + x(l, d));
      return -f(s / dim);
    });
    const b = argMax((l) => distFF(l, a0));
    const a = argMax((l) => distFF(l, b));
    for (let d = 0; d < dim; d++) {
      centres[cbase + d] = x(a, d);
      centres[cbase + dim + d] = x(b, d);
    }
    // 2) Lloyd loop, ending with an assignment
    const own = labels.subarray(n * patches, (n + 1) * patches);
    own.fill(2);
    let iters = 0;
    let ones = 0;
    for (;;) {
      let changed = false;
      ones = 0;
      for (let l = 0; l < patches; l++) {
        const lab = distFC(l, 1) < distFC(l, 0) ? 1 : 0;
        if (own[l] !== lab) changed = true;
        own[l] = lab;
        ones += lab;
      }
      if (!changed || iters >= maxIter) break;
      for (let d = 0; d < dim; d++) {
        let s0 = 0, s1 = 0, c0 = 0, c1 = 0;
        for (let l = 0; l < patches; l++) {
          if (own[l] === 1) {
            s1 = f(s1 + x(l, d));
            c1++;
          } else {
            s0 = f(s0 + x(l, d));
            c0++;
          }
        }
        if (c0 > 0) centres[cbase + d] = s0 / c0;
        if (c1 > 0) centres[cbase + dim + d] = s1 / c1;
      }
      iters++;
    }
    sizes[2 * n] = patches - ones;
    sizes[2 * n + 1] = ones;
    iterations[n] = iters;
  }
  return { centres, labels, sizes, iterations };
}

/**
 * Runs `kmeans.wgsl`: one workgroup per sample, converging on the GPU.
 *
 * @param device The device.
 * @param pipeline The pipeline of `kmeans`.
 * @param features `[N, L, D]` f32 buffer (e.g. from `patchVectorsGpu` or `similarityGpu`).
 * @param shape N, L, D.
 * @param options `maxIter`: cap on centre updates (default {@linkcode KMEANS_MAX_ITER}).
 * @returns New buffers; the caller destroys them.
 * @throws {RangeError} If a size is not a positive integer.
 */
export function kmeansGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  features: GPUBuffer,
  shape: FeatureShape,
  options: { readonly maxIter?: number } = {},
): KMeansResult<GPUBuffer, GPUBuffer> {
  checkShape(shape.batch * shape.patches * shape.dim, shape);
  const { batch, patches, dim } = shape;
  const centres = createStorage(device, batch * 2 * dim * 4, "kmeans_centres");
  const labels = createStorage(device, batch * patches * 4, "kmeans_labels");
  const sizes = createStorage(device, batch * 2 * 4, "kmeans_sizes");
  const iterations = createStorage(device, batch * 4, "kmeans_iterations");
  const params = uniformBuffer(device, [
    ["u32", batch],
    ["u32", patches],
    ["u32", dim],
    ["u32", options.maxIter ?? KMEANS_MAX_ITER],
  ]);
  dispatch(device, pipeline, [params, features, centres, labels, sizes, iterations], batch);
  params.destroy();
  return { centres, labels, sizes, iterations };
}

function checkShape(length: number, shape: FeatureShape): void {
  for (const key of ["batch", "patches", "dim"] as const) {
    const v = shape[key];
    if (!Number.isInteger(v) || v < 1) {
      throw new RangeError(`Cannot run k-means: ${key} ${v} is not a positive integer`);
    }
  }
  if (length !== shape.batch * shape.patches * shape.dim) {
    throw new RangeError(
      `Cannot run k-means: features has ${length} values, expected N * L * D = ${shape.batch} * ${shape.patches} * ${shape.dim}`,
    );
  }
}
