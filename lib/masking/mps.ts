/**
 * AMLP's masked patch selection (MPS): cluster the patches of every image into
 * two groups, call the smaller one the lesion, and remove the patches most
 * likely to be lesion: {@linkcode mpsMaskGpu}, the whole chain on the GPU
 * (patch_vectors -> (similarity, MPS-AMS) -> kmeans -> mps_scores -> rank_mask),
 * its TS twin {@linkcode mpsMaskCpu}, and {@linkcode mpsMaskOp}, the tfjs-level
 * op that picks one of them.
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

import { uploadBuffer } from "../gpu/compute.ts";
import type { Kernels } from "../kernels/kernel_context.ts";
import { type ImageShape, patchGrid, patchify } from "../patchify.ts";
import { kmeansCpu, kmeansGpu } from "../kernels/kmeans.ts";
import { type MaskOrder, maskOrderScores } from "./mask_order.ts";
import { patchVectorsGpu } from "../kernels/patch_vectors.ts";
import { randomScoresGpu } from "../kernels/random_scores.ts";
import { type RankedMask, rankMaskCpu, rankMaskGpu } from "../kernels/rank_mask.ts";
import { mpsScoresCpu, mpsScoresGpu } from "../kernels/mps_scores.ts";
import * as tf from "@tensorflow/tfjs";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { similarityCpu, similarityGpu, type SimilarityOptions } from "../kernels/similarity.ts";

/** Options of {@linkcode mpsMaskGpu}. */
export interface MpsMaskOptions {
  /** `[N]` u32 buffer: patches to remove per sample (e.g. from `removedPatchCount()`). */
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

/** Options of {@linkcode mpsMaskOp}. */
export interface MpsMaskOpOptions {
  readonly patchSize: number;
  /** `patches` (AMLP) or `similarity` (MPS-AMS). */
  readonly features: "patches" | "similarity";
  /** Table 4 order; `random` still clusters (CCL needs the labels) but masks at random. */
  readonly order: MaskOrder;
  readonly seed: number;
}

/**
 * Builds the MPS mask of a batch.
 *
 * @param ctx Where to run.
 * @param images `[N, H, W, C]`.
 * @param counts `[N]` patches to remove.
 * @param options Patch size, features, order, seed.
 * @returns `mask` `[N, L]` (1 = remove) and `fg` `[N, L]` float (1 = k-means lesion cluster).
 */
export function mpsMaskOp(
  ctx: KernelContext,
  images: tf.Tensor4D,
  counts: Uint32Array,
  options: MpsMaskOpOptions,
): { mask: tf.Tensor2D; fg: tf.Tensor2D } {
  const [batch, height, width, channels] = images.shape;
  const shape = { batch, height, width, channels, patchSize: options.patchSize };
  const patches = (height / options.patchSize) * (width / options.patchSize);
  const maskOptions = { features: options.features, order: options.order, seed: options.seed };
  if (ctx.mode === "cpu") {
    const out = mpsMaskCpu(images.dataSync() as Float32Array, shape, { ...maskOptions, counts });
    return {
      mask: tf.tensor2d(out.mask, [batch, patches]),
      fg: tf.tensor2d(Float32Array.from(out.fg), [batch, patches]),
    };
  }
  const input = tensorToBuffer(images);
  const countBuffer = uploadBuffer(ctx.device, counts, "counts");
  const out = mpsMaskGpu(ctx.device, ctx.kernels, input.buffer, shape, {
    ...maskOptions,
    counts: countBuffer,
  });
  input.release();
  countBuffer.destroy();
  out.ranks.destroy();
  out.scores.destroy();
  const fgInt = bufferToTensor<tf.Rank.R2>(out.fg, [batch, patches], "int32");
  const fg = tf.cast(fgInt, "float32") as tf.Tensor2D;
  fgInt.dispose();
  return { mask: bufferToTensor<tf.Rank.R2>(out.mask, [batch, patches]), fg };
}
