/**
 * MPS's per-patch score: `shaders/mps_scores.wgsl` and its TS twin. From a
 * 2-means clustering of the patch features, the smaller cluster is the
 * foreground (the lesion; equal sizes: cluster 0), and every patch gets
 * `p = d_bg / (d_fg + d_bg)`, with d_fg, d_bg the Euclidean distances of its
 * feature vector to the foreground and background centres (0.5 when both are
 * 0); `fg[n, l]` = 1 where the k-means label is the foreground. The masking
 * chain that uses it is `lib/masking/mps.ts`.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import type { FeatureShape } from "./kmeans.ts";

/** Which end of p comes first: `hardToEasy` scores p, `easyToHard` scores 1 - p. */
export type ScoreOrder = "hardToEasy" | "easyToHard";

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
 * import { mpsScoresCpu } from "./mps_scores.ts";
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
  order: ScoreOrder = "hardToEasy",
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
  shape: FeatureShape & { readonly order?: ScoreOrder },
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
