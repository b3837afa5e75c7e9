/**
 * MPS-AMS's softmax-normalised patch similarity (covariance) matrix:
 * `shaders/similarity.wgsl` and its TS twin.
 *
 * MPS-AMS (Wang et al. 2023, sec. 2.1) "construct[s] a covariance matrix after
 * a softmax layer according to the degree of similarity between different
 * patches. Then, we take k-means to divide all patches into two categories."
 * Our reading: for the patch vectors x_i of one image,
 * `C[i, j] = (1/D) sum_d (x_id - m_i)(x_jd - m_j)` (the covariance of two
 * patches over their pixels, m_i the patch mean), `S[i, :] = softmax(C[i, :] / T)`,
 * and k-means clusters the rows of S: patch i is described by how similar it
 * is to every other patch. The paper gives no temperature; AMLP (the journal
 * version) lists "temperature t = 0.1", which is the default here. With
 * `centre: false` C is the raw second moment `(1/D) x_i . x_j` instead.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import type { FeatureShape } from "./kmeans.ts";

/** Shader name and workgroup size of the kernel. */
export const SIMILARITY = { name: "similarity", workgroupSize: 64 } as const;

/** Options of the similarity matrix. */
export interface SimilarityOptions {
  /** Softmax temperature T (default 0.1, AMLP's "temperature t"). */
  readonly temperature?: number;
  /** Subtract each patch's mean first: covariance (default true) or second moment. */
  readonly centre?: boolean;
}

/**
 * TS twin of `similarity.wgsl`: f32 arithmetic in the shader's order (sums,
 * then scale, max, exp, normalise), so the GPU and CPU paths of a run agree.
 *
 * @param features `[N, L, D]` patch vectors.
 * @param shape N, L, D.
 * @param options Temperature and centring.
 * @returns `[N, L, L]`, every row a softmax (sums to 1).
 * @throws {RangeError} If the sizes disagree or the temperature is not positive.
 * @example
 * ```ts
 * import { similarityCpu } from "./similarity.ts";
 * const s = similarityCpu(new Float32Array([0, 1, 1, 0]), { batch: 1, patches: 2, dim: 2 });
 * if (Math.abs(s[0]! + s[1]! - 1) > 1e-6) throw new Error("rows sum to 1");
 * ```
 */
export function similarityCpu(
  features: Float32Array,
  shape: FeatureShape,
  options: SimilarityOptions = {},
): Float32Array {
  // f32 arithmetic in the shader's order, so that both paths cluster the same rows
  const invT = Math.fround(checkOptions(features.length, shape, options));
  const centre = options.centre ?? true;
  const { batch, patches, dim } = shape;
  const f = Math.fround;
  const means = new Float32Array(batch * patches);
  for (let r = 0; r < batch * patches; r++) {
    if (!centre) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s = f(s + (features[r * dim + d] as number));
    means[r] = f(s / dim);
  }
  const out = new Float32Array(batch * patches * patches);
  for (let r = 0; r < batch * patches; r++) {
    const first = Math.floor(r / patches) * patches;
    const row = out.subarray(r * patches, (r + 1) * patches);
    const mi = means[r] as number;
    let top = -3.402823e38;
    for (let j = 0; j < patches; j++) {
      const mj = means[first + j] as number;
      let s = 0;
      for (let d = 0; d < dim; d++) {
        const a = f((features[r * dim + d] as number) - mi);
        const b = f((features[(first + j) * dim + d] as number) - mj);
        s = f(s + f(a * b));
      }
      row[j] = f(f(s / dim) * invT);
      top = Math.max(top, row[j] as number);
    }
    let total = 0;
    for (let j = 0; j < patches; j++) {
      row[j] = expNonpositive(f((row[j] as number) - top));
      total = f(total + (row[j] as number));
    }
    for (let j = 0; j < patches; j++) row[j] = f((row[j] as number) / total);
  }
  return out;
}

/**
 * Runs `similarity.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `similarity`.
 * @param features `[N, L, D]` f32 buffer of patch vectors.
 * @param shape N, L, D.
 * @param options Temperature and centring.
 * @returns A new `[N, L, L]` f32 buffer (k-means features with D = L); the caller destroys it.
 * @throws {RangeError} If the temperature is not positive.
 */
export function similarityGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  features: GPUBuffer,
  shape: FeatureShape,
  options: SimilarityOptions = {},
): GPUBuffer {
  const invT = checkOptions(shape.batch * shape.patches * shape.dim, shape, options);
  const { batch, patches, dim } = shape;
  const out = createStorage(device, batch * patches * patches * 4, "similarity");
  const params = uniformBuffer(device, [
    ["u32", batch],
    ["u32", patches],
    ["u32", dim],
    ["u32", options.centre ?? true ? 1 : 0],
    ["f32", invT],
  ]);
  dispatch(
    device,
    pipeline,
    [params, features, out],
    workgroupCount(batch * patches, SIMILARITY.workgroupSize),
  );
  params.destroy();
  return out;
}

function checkOptions(length: number, shape: FeatureShape, options: SimilarityOptions): number {
  const temperature = options.temperature ?? 0.1;
  if (!(temperature > 0) || !Number.isFinite(temperature)) {
    throw new RangeError(
      `Cannot compute patch similarity: temperature ${temperature} is not positive`,
    );
  }
  if (length !== shape.batch * shape.patches * shape.dim) {
    throw new RangeError(
      `Cannot compute patch similarity: features has ${length} values, expected N * L * D = ${shape.batch} * ${shape.patches} * ${shape.dim}`,
    );
  }
  return 1 / temperature;
}

const LOG2E = Math.fround(1.44269502);
const LN2_HI = 0.693145751953125; // exact in f32, and n * LN2_HI is exact for |n| < 256
const LN2_LO = Math.fround(1.42860677e-6);
/** 1/7!, ..., 1/2!, 1, 1 as f32: the Taylor polynomial of e^r, highest power first. */
const EXP_POLY = [
  1.98412701e-4,
  1.38888892e-3,
  8.33333377e-3,
  4.16666679e-2,
  0.166666672,
  0.5,
  1,
  1,
]
  .map(Math.fround);

/**
 * exp(x) for x <= 0 in f32 arithmetic, step for step as `exp_nonpositive` in
 * `similarity.wgsl` (Cody-Waite reduction, degree-7 Taylor polynomial, times 2^n).
 *
 * @param x A non-positive f32 value.
 * @returns e^x, within 2 ulp; 0 below -86.
 */
export function expNonpositive(x: number): number {
  const f = Math.fround;
  if (x < -86) return 0;
  const n = Math.floor(f(f(x * LOG2E) + 0.5));
  const r = f(f(x - f(n * LN2_HI)) - f(n * LN2_LO));
  let p = EXP_POLY[0] as number;
  for (let k = 1; k < EXP_POLY.length; k++) p = f(f(p * r) + (EXP_POLY[k] as number));
  return f(p * 2 ** n);
}
