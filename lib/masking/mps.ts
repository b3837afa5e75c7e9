/**
 * AMLP's masked patch selection (MPS): cluster the patches of every image into
 * two groups, call the smaller one the lesion, and remove the patches most
 * likely to be lesion. `shaders/mps_scores.wgsl` with its TS twin, and
 * {@linkcode mpsMaskGpu}, the whole chain on the GPU:
 * patch_vectors -> (similarity, MPS-AMS) -> kmeans -> mps_scores -> rank_mask.
 *
 * Score (AMLP sec. 3.1 ranks by "the probability of being judged as the
 * foreground (i.e., the distance from each patch to the center point of the
 * foreground category)"): with Euclidean distances d_fg, d_bg of the patch's
 * feature vector to the foreground and background centres,
 * `p = d_bg / (d_fg + d_bg)`, 0.5 when both are 0. p > 0.5 exactly for patches
 * nearer the lesion centre, and p is scale free. The smaller cluster is the
 * foreground (equal sizes: cluster 0). `fg[n, l]` = 1 where the k-means label
 * is the foreground: CCL's `label_ori`.
 *
 * Edge cases: all patches equal -> one seed, every patch in cluster 0, cluster
 * 1 empty and hence "foreground", all labels 0 and all p = 0.5, so rank_mask's
 * tie rule removes the lowest patch indices.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import type { Kernels } from "../gpu/kernels.ts";
import { type ImageShape, patchGrid, patchify } from "../patchify.ts";
import { type FeatureShape, kmeansCpu, kmeansGpu } from "./kmeans.ts";
import { type MaskOrder, maskOrderScores } from "./mask_order.ts";
import { patchVectorsGpu } from "./patch_vectors.ts";
import { randomScoresGpu } from "./random_scores.ts";
import { type RankedMask, rankMaskCpu, rankMaskGpu } from "./rank_mask.ts";
import { similarityCpu, similarityGpu, type SimilarityOptions } from "./similarity.ts";

/** Shader name and workgroup size of the kernel. */
export const MPS_SCORES = { name: "mps_scores", workgroupSize: 64 } as const;

/**
 * TS twin of `mps_scores.wgsl`.
 *
 * @param features `[N, L, D]` the clustered feature vectors.
 * @param clusters `centres` `[N, 2, D]`, `labels` `[N, L]`, `sizes` `[N, 2]` from k-means.
 * @param shape N, L, D.
 * @param order `hardToEasy` writes p, `easyToHard` writes 1 - p (default `hardToEasy`).
 * @returns `scores` `[N, L]` f32 and `fg` `[N, L]` u32 (1 = lesion cluster).
 * @example
 * ```ts
 * import { kmeansCpu } from "./kmeans.ts";
 * import { mpsScoresCpu } from "./mps.ts";
 * const x = new Float32Array([0, 0, 0, 9, 1]), shape = { batch: 1, patches: 5, dim: 1 };
 * const { fg } = mpsScoresCpu(x, kmeansCpu(x, shape), shape);
 * if (fg.join() !== "0,0,0,1,0") throw new Error("the bright patch is the small cluster");
 * ```
 */
export function mpsScoresCpu(
  features: Float32Array,
  clusters: {
    readonly centres: Float32Array;
    readonly labels: Uint32Array;
    readonly sizes: Uint32Array;
  },
  shape: FeatureShape,
  order: Exclude<MaskOrder, "random"> = "hardToEasy",
): { scores: Float32Array; fg: Uint32Array } {
  const { batch, patches, dim } = shape;
  const f = Math.fround;
  const scores = new Float32Array(batch * patches);
  const fg = new Uint32Array(batch * patches);
  for (let n = 0; n < batch; n++) {
    const fore = (clusters.sizes[2 * n + 1] as number) < (clusters.sizes[2 * n] as number) ? 1 : 0;
    const cf = (2 * n + fore) * dim;
    const cb = (2 * n + 1 - fore) * dim;
    for (let l = 0; l < patches; l++) {
      const i = n * patches + l;
      let sf = 0, sb = 0;
      for (let d = 0; d < dim; d++) {
        const x = features[i * dim + d] as number;
        const ef = f(x - (clusters.centres[cf + d] as number));
        const eb = f(x - (clusters.centres[cb + d] as number));
        sf = f(sf + f(ef * ef));
        sb = f(sb + f(eb * eb));
      }
      const df = f(Math.sqrt(sf)), db = f(Math.sqrt(sb));
      const total = f(df + db);
      const p = total > 0 ? f(db / total) : 0.5;
      scores[i] = order === "easyToHard" ? 1 - p : p;
      fg[i] = clusters.labels[i] === fore ? 1 : 0;
    }
  }
  return { scores, fg };
}

/**
 * Runs `mps_scores.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `mps_scores`.
 * @param buffers `features` `[N, L, D]` and the k-means `centres`, `labels`, `sizes`.
 * @param shape N, L, D and the masking order (default `hardToEasy`).
 * @returns New `scores` (f32) and `fg` (u32) `[N, L]` buffers; the caller destroys them.
 */
export function mpsScoresGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: {
    readonly features: GPUBuffer;
    readonly centres: GPUBuffer;
    readonly labels: GPUBuffer;
    readonly sizes: GPUBuffer;
  },
  shape: FeatureShape & { readonly order?: Exclude<MaskOrder, "random"> },
): { scores: GPUBuffer; fg: GPUBuffer } {
  const count = shape.batch * shape.patches;
  const scores = createStorage(device, count * 4, "mps_scores");
  const fg = createStorage(device, count * 4, "mps_fg");
  const params = uniformBuffer(device, [
    ["u32", shape.batch],
    ["u32", shape.patches],
    ["u32", shape.dim],
    ["u32", shape.order === "easyToHard" ? 1 : 0],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.features, buffers.centres, buffers.labels, buffers.sizes, scores, fg],
    workgroupCount(count, MPS_SCORES.workgroupSize),
  );
  params.destroy();
  return { scores, fg };
}

/** Options of {@linkcode mpsMaskGpu}. */
export interface MpsMaskOptions {
  /** `[N]` u32 buffer: patches to remove per sample (e.g. from `maskedCount()`). */
  readonly counts: GPUBuffer;
  /** What k-means clusters: `patches` (AMLP, default) or `similarity` rows (MPS-AMS). */
  readonly features?: "patches" | "similarity";
  /** Options of the MPS-AMS similarity matrix. */
  readonly similarity?: SimilarityOptions;
  /** Masking order (Table 4), default `hardToEasy`. */
  readonly order?: MaskOrder;
  /** Seed of the noise for `order: "random"`. */
  readonly seed?: number;
  /** Cap on k-means centre updates. */
  readonly maxIter?: number;
}

/** What {@linkcode mpsMaskGpu} returns: the mask plus what the losses need. */
export interface MpsMask<T> extends RankedMask<T> {
  /** `[N, L]` f32 scores fed to rank_mask. */
  readonly scores: T;
  /** `[N, L]` u32, 1 = k-means lesion cluster (CCL's label_ori). */
  readonly fg: T;
}

/**
 * The whole MPS chain on the GPU, encoded without CPU readback:
 * image -> patch vectors -> (similarity rows) -> 2-means -> scores -> mask.
 *
 * @param device The device.
 * @param kernels From `loadKernels(device)`.
 * @param images `[N, H, W, C]` f32 buffer.
 * @param shape The image shape and patch size.
 * @param options Counts, feature kind, order, seed, k-means cap.
 * @returns New `mask`, `ranks`, `scores`, `fg` buffers; the caller destroys them.
 * @throws {RangeError} If H or W is not a multiple of the patch size.
 */
export function mpsMaskGpu(
  device: GPUDevice,
  kernels: Kernels,
  images: GPUBuffer,
  shape: ImageShape,
  options: MpsMaskOptions,
): MpsMask<GPUBuffer> {
  const { patches } = patchGrid(shape);
  const batch = shape.batch;
  const vectors = patchVectorsGpu(device, kernels.patchVectors, images, shape);
  let features = vectors;
  let dim = shape.patchSize * shape.patchSize * shape.channels;
  if (options.features === "similarity") {
    features = similarityGpu(
      device,
      kernels.similarity,
      vectors,
      { batch, patches, dim },
      options.similarity,
    );
    dim = patches;
  }
  const featureShape = { batch, patches, dim };
  const kmOptions = options.maxIter === undefined ? {} : { maxIter: options.maxIter };
  const clusters = kmeansGpu(device, kernels.kmeans, features, featureShape, kmOptions);
  const order = options.order ?? "hardToEasy";
  const mps = mpsScoresGpu(device, kernels.mpsScores, { features, ...clusters }, {
    ...featureShape,
    order: order === "easyToHard" ? "easyToHard" : "hardToEasy",
  });
  let scores = mps.scores;
  if (order === "random") {
    mps.scores.destroy();
    scores = randomScoresGpu(device, kernels.randomScores, batch * patches, options.seed ?? 0);
  }
  const ranked = rankMaskGpu(device, kernels.rankMask, { scores, counts: options.counts }, {
    batch,
    patches,
  });
  for (
    const b of new Set([
      vectors,
      features,
      clusters.centres,
      clusters.labels,
      clusters.sizes,
      clusters.iterations,
    ])
  ) {
    b.destroy();
  }
  return { ...ranked, scores, fg: mps.fg };
}

/**
 * TS twin of {@linkcode mpsMaskGpu}: the same chain on the CPU (for backends
 * without WebGPU and for tests).
 *
 * @param images `[N, H, W, C]` values.
 * @param shape The image shape and patch size.
 * @param options As {@linkcode mpsMaskGpu}, with `counts` a `Uint32Array` `[N]`.
 * @returns `mask`, `ranks`, `scores`, `fg`, all `[N, L]`.
 * @throws {RangeError} If H or W is not a multiple of the patch size.
 * @example
 * ```ts
 * import { mpsMaskCpu } from "./mps.ts";
 * const img = new Float32Array([0, 0, 0, 1]); // 2 x 2, one bright pixel
 * const { mask } = mpsMaskCpu(img, { batch: 1, height: 2, width: 2, channels: 1, patchSize: 1 },
 *   { counts: new Uint32Array([1]) });
 * if (mask.join() !== "0,0,0,1") throw new Error("the odd patch goes first");
 * ```
 */
export function mpsMaskCpu(
  images: Float32Array,
  shape: ImageShape,
  options: Omit<MpsMaskOptions, "counts"> & { readonly counts: Uint32Array },
): {
  readonly mask: Float32Array;
  readonly ranks: Uint32Array;
  readonly scores: Float32Array;
  readonly fg: Uint32Array;
} {
  const { patches } = patchGrid(shape);
  const batch = shape.batch;
  let features = patchify(images, shape);
  let dim = shape.patchSize * shape.patchSize * shape.channels;
  if (options.features === "similarity") {
    features = similarityCpu(features, { batch, patches, dim }, options.similarity);
    dim = patches;
  }
  const featureShape = { batch, patches, dim };
  const kmOptions = options.maxIter === undefined ? {} : { maxIter: options.maxIter };
  const order = options.order ?? "hardToEasy";
  const mps = mpsScoresCpu(features, kmeansCpu(features, featureShape, kmOptions), featureShape);
  const scores = maskOrderScores(mps.scores, { order, seed: options.seed ?? 0 });
  return { ...rankMaskCpu(scores, options.counts, patches), scores, fg: mps.fg };
}
