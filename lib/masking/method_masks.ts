/**
 * The masks several masking strategies draw on the same images, side by side,
 * for comparing what each removes (`tasks/draw_masks.ts`). Every strategy runs
 * through the TS twins of its kernels, so no GPU is needed and the masks equal
 * what `mpsMaskGpu` / `random_scores` + `rank_mask` produce on a device.
 *
 * @module
 */

import { type ImageShape, patchGrid } from "../patchify.ts";
import { mpsMaskCpu } from "./mps.ts";
import type { MaskOrder } from "./mask_order.ts";
import { randomScoresCpu } from "../kernels/random_scores.ts";
import { rankMaskCpu } from "../kernels/rank_mask.ts";
import type { SimilarityOptions } from "../kernels/similarity.ts";

/**
 * A masking strategy that can be drawn: a `mask.method` of the config, with
 * `+<mask.order>` where the order is not the default `hardToEasy`.
 */
export type DrawnMask =
  | "random"
  | "mps"
  | "mps_ams"
  | "mps+easyToHard"
  | "mps_ams+easyToHard";

/** Every drawable strategy with a short label, in drawing order. */
export const DRAWN_MASK_METHODS: readonly {
  readonly method: DrawnMask;
  readonly label: string;
}[] = [
  { method: "random", label: "random" },
  { method: "mps", label: "MPS" },
  { method: "mps_ams", label: "MPS-AMS" },
  { method: "mps+easyToHard", label: "MPS e2h" },
  { method: "mps_ams+easyToHard", label: "AMS e2h" },
];

/** Options of {@linkcode methodMasks}. */
export interface MethodMasksOptions {
  /** Patches to remove per image (e.g. `removedPatchCount(L, ratio)`). */
  readonly count: number;
  /** Seed of the random strategy's noise (default 0). */
  readonly seed?: number;
  /** Strategies to run (default all of {@linkcode DRAWN_MASK_METHODS}). */
  readonly methods?: readonly DrawnMask[];
  /** MPS-AMS similarity options (default temperature 0.1, centred). */
  readonly similarity?: SimilarityOptions;
}

/**
 * Computes the mask of every strategy on a batch.
 *
 * 1) `random`: MAE's noise argsort (`random_scores`, `rank_mask`).
 * 2) `mps`, `mps+easyToHard`: AMLP's MPS on raw patch vectors, lesion first or last.
 * 3) `mps_ams`, `mps_ams+easyToHard`: the same on MPS-AMS's similarity rows.
 *
 * @param images `[N, H, W, C]` values.
 * @param shape The image shape and patch size.
 * @param options Count, seed, strategies.
 * @returns Per strategy, the `[N, L]` mask (1 = remove), in `methods` order.
 * @throws {RangeError} If the shape is invalid or `count` is not in [0, L].
 * @example
 * ```ts
 * import { methodMasks } from "./method_masks.ts";
 * const img = new Float32Array([0, 0, 0, 1]); // 2 x 2, one bright pixel
 * const shape = { batch: 1, height: 2, width: 2, channels: 1, patchSize: 1 };
 * const [mps] = methodMasks(img, shape, { count: 1, methods: ["mps"] });
 * if (mps!.mask.join() !== "0,0,0,1") throw new Error("MPS removes the odd patch");
 * ```
 */
export function methodMasks(
  images: Float32Array,
  shape: ImageShape,
  options: MethodMasksOptions,
): { readonly method: DrawnMask; readonly mask: Float32Array }[] {
  const { patches } = patchGrid(shape);
  const { count } = options;
  if (!Number.isInteger(count) || count < 0 || count > patches) {
    throw new RangeError(`Cannot draw masks: count ${count} is not an integer in [0, ${patches}]`);
  }
  const counts = new Uint32Array(shape.batch).fill(count);
  const methods = options.methods ?? DRAWN_MASK_METHODS.map((m) => m.method);
  const similarity = options.similarity === undefined ? {} : { similarity: options.similarity };
  return methods.map((method) => {
    if (method === "random") {
      const scores = randomScoresCpu(shape.batch * patches, options.seed ?? 0);
      return { method, mask: rankMaskCpu(scores, counts, patches).mask };
    }
    const [name, order = "hardToEasy"] = method.split("+") as [string, MaskOrder?];
    const features = name === "mps" ? "patches" : "similarity";
    const { mask } = mpsMaskCpu(images, shape, { counts, features, order, ...similarity });
    return { method, mask };
  });
}
