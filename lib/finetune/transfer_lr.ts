/**
 * Per-parameter learning-rate factors for fine-tuning a pretrained U-Net
 * (the papers are silent; both are common practice when transferring):
 *
 * - `optim.transferLrScale`: transferred parameters (those `model.init`
 *   loads) train at `lr * transferLrScale`, the fresh ones (the head, and the
 *   decoder under `encoder`) at `lr`. 1 = one lr for all (the papers' reading).
 * - `optim.layerDecay`: layer-wise lr decay along the U-Net's forward path,
 *   as BEiT/MAE fine-tuning do along ViT blocks: a parameter at depth `d`
 *   gets `layerDecay ^ (HEAD_DEPTH - d)`. Depths: `down0..3` 0-3, `bottom`
 *   4, `up3..0` 5-8, the heads 9. 1 = no decay.
 *
 * The factors multiply. With `model.init: scratch` every factor is 1. A
 * UNETR (`model.arch: vit`) takes `transferLrScale` (its `encoder.*` is
 * transferred) but not `layerDecay`, which the config refuses for it.
 *
 * @module
 */

import { UNET_DEPTH } from "../model/unet.ts";
import { isTransferred, type TransferMode } from "../model/load_pretrained.ts";

/** Depth of the 1x1 heads on the forward path (the last). */
export const HEAD_DEPTH = 2 * UNET_DEPTH + 1;

/**
 * The depth of a U-Net parameter along the forward path.
 *
 * @param name A parameter name, e.g. `down2.conv0.w`, `bottom.conv1.b`, `up0.tconv.w`, `head.w`.
 * @returns 0 for `down0` ... `HEAD_DEPTH` for the heads.
 * @throws {RangeError} If the name is not a U-Net parameter.
 * @example
 * ```ts
 * import { unetDepth } from "./transfer_lr.ts";
 * if (unetDepth("bottom.conv0.w") !== 4 || unetDepth("up0.conv1.b") !== 8) throw new Error();
 * ```
 */
export function unetDepth(name: string): number {
  const module = name.split(".")[0] ?? "";
  const down = /^down(\d+)$/.exec(module), up = /^up(\d+)$/.exec(module);
  if (down) return Number(down[1]);
  if (module === "bottom") return UNET_DEPTH;
  if (up) return 2 * UNET_DEPTH - Number(up[1]);
  if (module === "head" || module === "losshead") return HEAD_DEPTH;
  throw new RangeError(`Cannot place parameter "${name}": it is not a U-Net parameter`);
}

/** The settings {@linkcode transferLrScales} reads. */
export interface TransferLrOptions {
  /** `model.init`. */
  readonly init: "scratch" | TransferMode;
  /** Factor on the lr of transferred parameters. */
  readonly transferLrScale: number;
  /** Layer-wise decay factor per depth step below the head. */
  readonly layerDecay: number;
}

/**
 * The lr factor of every parameter.
 *
 * @param names The network's parameter names.
 * @param options Init mode and the two factors.
 * @returns Name -> factor (every name present).
 * @throws {RangeError} If `layerDecay` is not 1 and a name is not a U-Net parameter.
 * @example
 * ```ts
 * import { transferLrScales } from "./transfer_lr.ts";
 * const s = transferLrScales(["down0.conv0.w", "head.w"], {
 *   init: "encoder_decoder", transferLrScale: 0.1, layerDecay: 1,
 * });
 * if (s.get("down0.conv0.w") !== 0.1 || s.get("head.w") !== 1) throw new Error();
 * ```
 */
export function transferLrScales(
  names: Iterable<string>,
  options: TransferLrOptions,
): Map<string, number> {
  const scales = new Map<string, number>();
  for (const name of names) {
    if (options.init === "scratch") {
      scales.set(name, 1);
      continue;
    }
    const transfer = isTransferred(name, options.init) ? options.transferLrScale : 1;
    // a UNETR's names have no U-Net depth; its configs keep layerDecay at 1 (checked)
    const decay = options.layerDecay === 1
      ? 1
      : options.layerDecay ** (HEAD_DEPTH - unetDepth(name));
    scales.set(name, transfer * decay);
  }
  return scales;
}
