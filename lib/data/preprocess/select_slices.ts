/**
 * Which 2D slices a stage keeps (AMLP sec. 4.1/4.3): pretraining keeps every
 * slice that is not entirely zero ("only completely black images are
 * discarded"); fine-tuning keeps only slices whose label contains the object.
 *
 * @module
 */

/** `pretrain`: non-black slices; `finetune`: slices with a nonzero label. */
export type SliceMode = "pretrain" | "finetune";

/**
 * Decides whether to keep one slice.
 *
 * @param mode The stage.
 * @param image The slice's pixels (all channels).
 * @param label The slice's label, or `null` (never kept in `finetune`).
 * @returns True to keep it.
 * @example
 * ```ts
 * import { keepSlice } from "./select_slices.ts";
 * if (keepSlice("pretrain", new Float32Array(4), null)) throw new Error("black slice kept");
 * ```
 */
export function keepSlice(mode: SliceMode, image: Float32Array, label: Uint8Array | null): boolean {
  if (mode === "finetune") return label !== null && label.some((v) => v !== 0);
  return image.some((v) => v !== 0);
}
