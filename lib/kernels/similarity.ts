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
 * TS twin of `similarity.wgsl`.
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
  const invT = checkOptions(features.length, shape, options);
  const centre = options.centre ?? true;
  const { batch, patches, dim } = shape;
  const means = new Float64Array(batch * patches);
  for (let r = 0; r < batch * patches; r++) {
    if (!centre) continue;
    let s = 0;
    for (let d = 0; d < dim; d++) s += features[r * dim + d] as number;
    means[r] = s / dim;
  }
  const out = new Float32Array(batch * patches * patches);
  const row = new Float64Array(patches);
  for (let r = 0; r < batch * patches; r++) {
    const first = Math.floor(r / patches) * patches;
    let top = -Infinity;
    for (let j = 0; j < patches; j++) {
      let s = 0;
      for (let d = 0; d < dim; d++) {
        s += ((features[r * dim + d] as number) - (means[r] as number)) *
          ((features[(first + j) * dim + d] as number) - (means[first + j] as number));
      }
      row[j] = (s / dim) * invT;
      top = Math.max(top, row[j] as number);
    }
    let total = 0;
    for (let j = 0; j < patches; j++) total += row[j] = Math.exp((row[j] as number) - top);
    for (let j = 0; j < patches; j++) out[r * patches + j] = (row[j] as number) / total;
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
