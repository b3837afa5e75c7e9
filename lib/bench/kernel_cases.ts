/**
 * The bench's WGSL kernels, each beside its TS twin on the same inputs: by
 * default a batch of 8 images of 128 x 128 x 1 with 16 x 16 patches (L = 64
 * patches of D = 256 values), the default shape of a MIM batch (the GPU bench
 * pack passes a larger one). `bytes` counts each input read and each output
 * written once: effective GB/s = bytes / time.
 *
 * @module
 */

import type { Kernels } from "../kernels/kernel_context.ts";
import { uploadBuffer } from "../gpu/compute.ts";
import { randomScoresCpu, randomScoresGpu } from "../kernels/random_scores.ts";
import { rankMaskCpu, rankMaskGpu } from "../kernels/rank_mask.ts";
import { applyMaskCpu, applyMaskGpu } from "../kernels/apply_mask.ts";
import { patchVectorsGpu } from "../kernels/patch_vectors.ts";
import { similarityCpu, similarityGpu } from "../kernels/similarity.ts";
import { kmeansCpu, kmeansGpu } from "../kernels/kmeans.ts";
import { mpsScoresCpu, mpsScoresGpu } from "../kernels/mps_scores.ts";
import { hpmScoresCpu, hpmScoresGpu } from "../kernels/hpm_scores.ts";
import { patchLossCpu, patchLossGpu } from "../kernels/patch_loss.ts";
import { patchLossGradCpu, patchLossGradGpu } from "../kernels/patch_loss_grad.ts";
import { tokenIdsCpu, tokenIdsGpu } from "../kernels/token_ids.ts";
import { tokenGatherCpu, tokenGatherGpu } from "../kernels/token_gather.ts";
import { tokenLossCpu, tokenLossGpu } from "../kernels/token_loss.ts";
import { tokenLossGradCpu, tokenLossGradGpu } from "../kernels/token_loss_grad.ts";
import { type ImageShape, patchify } from "../patchify.ts";
import { makeRng } from "../random.ts";

/** One kernel and its twin, ready to run. */
export interface KernelCase {
  readonly name: string;
  /** What one run processes, for the table. */
  readonly shape: string;
  /** Bytes read + written by one run. */
  readonly bytes: number;
  /** The TS twin. */
  readonly cpu: () => void;
  /** Encodes and submits the kernel; returns its output buffers (destroyed by the caller). */
  readonly gpu: () => GPUBuffer[];
}

/** The batch shape every case uses. */
export const BENCH_SHAPE: ImageShape = {
  batch: 8,
  height: 128,
  width: 128,
  channels: 1,
  patchSize: 16,
};

/**
 * Builds the cases with their inputs uploaded to `device`.
 *
 * @param device The device.
 * @param kernels Its compiled pipelines.
 * @param shape The batch (default {@linkcode BENCH_SHAPE}; one channel).
 * @returns The cases and a function that frees their input buffers.
 */
export function kernelCases(
  device: GPUDevice,
  kernels: Kernels,
  shape: ImageShape = BENCH_SHAPE,
): { cases: KernelCase[]; release: () => void } {
  const { batch, height, width, patchSize } = shape;
  const pixels = batch * height * width;
  const patches = (height / patchSize) * (width / patchSize);
  const dim = patchSize * patchSize;
  const count = batch * patches;
  const rng = makeRng(2024);
  const random = (n: number) => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
  const images = random(pixels), pred = random(pixels), dy = random(count);
  const scores = randomScoresCpu(count, 7);
  const counts = new Uint32Array(batch).fill(patches / 2);
  const hard = new Uint32Array(batch).fill(patches / 4);
  const { mask, ranks } = rankMaskCpu(scores, counts, patches);
  const features = patchify(images, shape);
  const featureShape = { batch, patches, dim };
  const clusters = kmeansCpu(features, featureShape);
  const lossOptions = { patchSize, power: 2, normPix: false } as const;
  const { stats } = patchLossCpu(pred, images, shape, lossOptions);
  // the ViT's token moves and loss: the kept half of the tokens, a prediction in token order
  const keep = patches / 2;
  const ids = tokenIdsCpu(mask, { batch, patches, keep });
  const tokens = patchify(pred, shape);
  const keepShape = { batch, rows: patches, count: keep, dim };

  const up = (data: Float32Array | Uint32Array) => uploadBuffer(device, data, "bench input");
  const b = {
    images: up(images),
    pred: up(pred),
    dy: up(dy),
    scores: up(scores),
    counts: up(counts),
    hard: up(hard),
    mask: up(mask),
    ranks: up(ranks),
    features: up(features),
    stats: up(stats),
    centres: up(clusters.centres),
    labels: up(clusters.labels),
    sizes: up(clusters.sizes),
    idsKeep: up(ids.idsKeep),
    tokens: up(tokens),
  };
  const f4 = 4, img = pixels * f4, perPatch = count * f4;
  const gridShape = `${batch}x${height}x${width}, P ${patchSize}`;
  const featureText = `${batch}x${patches}x${dim}`;
  const cases: KernelCase[] = [
    {
      name: "random_scores",
      shape: `${batch}x${patches}`,
      bytes: perPatch,
      cpu: () => randomScoresCpu(count, 7),
      gpu: () => [randomScoresGpu(device, kernels.randomScores, count, 7)],
    },
    {
      name: "rank_mask",
      shape: `${batch}x${patches}`,
      bytes: 3 * perPatch + batch * 4,
      cpu: () => rankMaskCpu(scores, counts, patches),
      gpu: () => {
        const out = rankMaskGpu(device, kernels.rankMask, { scores: b.scores, counts: b.counts }, {
          batch,
          patches,
        });
        return [out.mask, out.ranks];
      },
    },
    {
      name: "apply_mask",
      shape: gridShape,
      bytes: 2 * img + perPatch,
      cpu: () => applyMaskCpu(images, mask, shape),
      gpu:
        () => [applyMaskGpu(device, kernels.applyMask, { images: b.images, mask: b.mask }, shape)],
    },
    {
      name: "patch_loss",
      shape: gridShape,
      bytes: 2 * img + 3 * perPatch,
      cpu: () => patchLossCpu(pred, images, shape, lossOptions),
      gpu: () => {
        const out = patchLossGpu(
          device,
          kernels.patchLoss,
          { pred: b.pred, target: b.images },
          shape,
          {
            ...lossOptions,
          },
        );
        return [out.loss, out.stats];
      },
    },
    {
      name: "patch_loss_grad",
      shape: gridShape,
      bytes: 3 * img + 3 * perPatch,
      cpu: () => patchLossGradCpu(pred, images, stats, dy, { ...shape, power: 2 }),
      gpu: () => [
        patchLossGradGpu(
          device,
          kernels.patchLossGrad,
          { pred: b.pred, target: b.images, stats: b.stats, dy: b.dy },
          { ...shape, power: 2 },
        ),
      ],
    },
    {
      name: "patch_vectors",
      shape: gridShape,
      bytes: 2 * img,
      cpu: () => patchify(images, shape),
      gpu: () => [patchVectorsGpu(device, kernels.patchVectors, b.images, shape)],
    },
    {
      name: "similarity",
      shape: featureText,
      bytes: img + count * patches * f4,
      cpu: () => similarityCpu(features, featureShape),
      gpu: () => [similarityGpu(device, kernels.similarity, b.features, featureShape)],
    },
    {
      name: "kmeans",
      shape: featureText,
      bytes: img + 2 * batch * dim * f4 + perPatch + 3 * batch * f4,
      cpu: () => kmeansCpu(features, featureShape),
      gpu: () => {
        const out = kmeansGpu(device, kernels.kmeans, b.features, featureShape);
        return [out.centres, out.labels, out.sizes, out.iterations];
      },
    },
    {
      name: "mps_scores",
      shape: featureText,
      bytes: img + 2 * batch * dim * f4 + 3 * perPatch + 2 * batch * f4,
      cpu: () => mpsScoresCpu(features, clusters, featureShape),
      gpu: () => {
        const out = mpsScoresGpu(device, kernels.mpsScores, {
          features: b.features,
          centres: b.centres,
          labels: b.labels,
          sizes: b.sizes,
        }, featureShape);
        return [out.scores, out.fg];
      },
    },
    {
      name: "hpm_scores",
      shape: `${batch}x${patches}`,
      bytes: 2 * perPatch + batch * 4,
      cpu: () => hpmScoresCpu(ranks, hard, { patches, seed: 3 }),
      gpu: () => [
        hpmScoresGpu(device, kernels.hpmScores, { ranks: b.ranks, hard: b.hard }, {
          batch,
          patches,
          seed: 3,
        }),
      ],
    },
    {
      name: "token_ids",
      shape: `${batch}x${patches}, keep ${keep}`,
      bytes: 2 * perPatch + batch * keep * f4,
      cpu: () => tokenIdsCpu(mask, { batch, patches, keep }),
      gpu: () => {
        const out = tokenIdsGpu(device, kernels.tokenIds, b.mask, { batch, patches, keep });
        return [out.idsKeep, out.idsRestore];
      },
    },
    {
      name: "token_gather",
      shape: `${featureText} -> ${keep}`,
      bytes: 2 * batch * keep * dim * f4 + batch * keep * f4,
      cpu: () => tokenGatherCpu(features, ids.idsKeep, keepShape),
      gpu: () => [
        tokenGatherGpu(device, kernels.tokenGather, { src: b.features, ids: b.idsKeep }, keepShape),
      ],
    },
    {
      name: "token_loss",
      shape: featureText,
      bytes: 2 * img + 3 * perPatch,
      cpu: () => tokenLossCpu(tokens, images, shape, lossOptions),
      gpu: () => {
        const out = tokenLossGpu(
          device,
          kernels.tokenLoss,
          { pred: b.tokens, target: b.images },
          shape,
          lossOptions,
        );
        return [out.loss, out.stats];
      },
    },
    {
      name: "token_loss_grad",
      shape: featureText,
      bytes: 3 * img + 3 * perPatch,
      cpu: () => tokenLossGradCpu(tokens, images, stats, dy, { ...shape, power: 2 }),
      gpu: () => [
        tokenLossGradGpu(
          device,
          kernels.tokenLossGrad,
          { pred: b.tokens, target: b.images, stats: b.stats, dy: b.dy },
          { ...shape, power: 2 },
        ),
      ],
    },
  ];
  return { cases, release: () => Object.values(b).forEach((buffer) => buffer.destroy()) };
}
