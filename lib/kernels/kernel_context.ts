/**
 * Where medmim's own kernels run: on the GPU device shared with tfjs (when
 * tfjs uses the webgpu backend, with every pipeline compiled), or through
 * their TS twins on the CPU (when tfjs runs on wasm or cpu, whose tensors live
 * in CPU memory anyway). Types only: `createKernelContext` in `registry.ts`
 * builds one.
 *
 * @module
 */

/** The kernels of the masking and loss steps, by key (their shaders: `registry.ts`). */
export type KernelName =
  | "randomScores"
  | "rankMask"
  | "applyMask"
  | "patchLoss"
  | "patchLossGrad"
  | "patchVectors"
  | "similarity"
  | "kmeans"
  | "mpsScores"
  | "hpmScores"
  | "tokenIds"
  | "tokenGather"
  | "tokenLoss"
  | "tokenLossGrad"
  | "augmentViews";

/** The compiled pipelines, by kernel. */
export type Kernels = { readonly [K in KernelName]: GPUComputePipeline };

/** The kernels' execution place. */
export type KernelContext =
  | { readonly mode: "gpu"; readonly device: GPUDevice; readonly kernels: Kernels }
  | { readonly mode: "cpu" };
