/**
 * The segmentation networks a fine-tuning run can train, behind one
 * interface: AMLP's U-Net, or UNETR (a ViT encoder, transferable from the
 * ViT masked autoencoder, with a convolutional decoder) when `model.arch` is
 * `vit`.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { createUNet, type UNet, unetForward } from "./unet.ts";
import { createUnetr, type Unetr, unetrForward, type UnetrOptions } from "./unetr.ts";

/** A segmentation network. */
export type SegNet = UNet | Unetr;

/**
 * The UNETR a fine-tuning config describes: `model.vit` at `data.size`, `model.unetr`.
 *
 * @param config The fine-tuning config.
 * @param inChannels Image channels.
 * @returns The options.
 */
export function unetrOptions(config: FinetuneConfig, inChannels: number): UnetrOptions {
  return {
    vit: { imageSize: config.data.size, inChannels, ...config.model.vit },
    outChannels: config.model.numClasses,
    featureSize: config.model.unetr.featureSize,
  };
}

/**
 * Creates the network `model.arch` names (U-Net, or UNETR for `vit`).
 *
 * @param config The fine-tuning config.
 * @param inChannels Image channels.
 * @param seed Initialisation seed.
 * @returns The network.
 */
export function createSegNet(config: FinetuneConfig, inChannels: number, seed: number): SegNet {
  if (config.model.arch === "vit") return createUnetr(unetrOptions(config, inChannels), seed);
  return createUNet({
    inChannels,
    outChannels: config.model.numClasses,
    baseWidth: config.model.baseWidth,
    norm: config.model.norm,
    normGroups: config.model.normGroups,
  }, seed);
}

/**
 * Runs a segmentation network.
 *
 * @param net The network.
 * @param x `[N, H, W, C]`.
 * @returns `[N, H, W, classes]` logits.
 */
export function segForward(net: SegNet, x: tf.Tensor4D): tf.Tensor4D {
  return net.arch === "unetr" ? unetrForward(net, x) : unetForward(net, x);
}

/**
 * A one-line description of the network a fine-tuning config describes.
 *
 * @param config The fine-tuning config.
 * @returns E.g. `U-Net (base width 8)`, `U-Net (base width 8, GroupNorm 8)` or `UNETR (patch 8, D 128, depth 4, 4 heads; features 16)`.
 * @example
 * ```ts
 * import { DEFAULT_FINETUNE_CONFIG } from "../config/finetune_config.ts";
 * import { describeSegNet } from "./seg_net.ts";
 * if (describeSegNet(DEFAULT_FINETUNE_CONFIG) !== "U-Net (base width 8)") throw new Error("U-Net");
 * ```
 */
export function describeSegNet(config: FinetuneConfig): string {
  if (config.model.arch === "unet") {
    const { baseWidth, norm, normGroups } = config.model;
    return `U-Net (base width ${baseWidth}${norm === "group" ? `, GroupNorm ${normGroups}` : ""})`;
  }
  const v = config.model.vit;
  return `UNETR (patch ${v.patchSize}, D ${v.width}, depth ${v.depth}, ${v.heads} heads; ` +
    `features ${config.model.unetr.featureSize})`;
}
