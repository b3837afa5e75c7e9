/**
 * The networks a pretraining run can train, behind one interface: AMLP's
 * U-Net (it sees the image with removed patches zero-filled and returns an
 * image) and MAE's ViT masked autoencoder (its encoder sees the kept tokens
 * only and its decoder returns one vector per patch). Both give the per-patch
 * reconstruction that `lib/loss/` scores, and, for hard patches mining, a
 * predicted loss per patch.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import type { Config } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { applyMaskOp } from "../kernels/apply_mask.ts";
import { type TokenIds, tokenIdsOp } from "../kernels/token_ids.ts";
import { createUNet, type UNet, unetFeatures, unetHead } from "./unet.ts";
import { predictPatchLoss } from "./loss_predictor.ts";
import {
  createViTMae,
  disposeViTMae,
  maeDecoderInput,
  maeEncode,
  maePredictLoss,
  maeReconstruct,
  type ViTMae,
  type ViTMaeOptions,
} from "./vit_mae.ts";

/** A pretraining network. */
export type MimNet = UNet | ViTMae;

/**
 * The ViT masked autoencoder a config describes: `model.vit`, patch
 * `mask.patchSize`, image `data.size`.
 *
 * @param config The run config.
 * @param channels Image channels.
 * @param lossPredictor Add HPM's loss predictor.
 * @returns The options.
 */
export function vitMaeOptions(
  config: Config,
  channels: number,
  lossPredictor: boolean,
): ViTMaeOptions {
  return {
    imageSize: config.data.size,
    patchSize: config.mask.patchSize,
    inChannels: channels,
    ...config.model.vit,
    lossPredictor,
  };
}

/**
 * Creates the network `model.arch` names, drawn from `seed`.
 *
 * @param config The run config.
 * @param options Image channels, and whether HPM's loss predictor is needed.
 * @param seed Initialisation seed (the same seed gives the same weights: an EMA teacher's start).
 * @returns The network.
 */
export function createMimNet(
  config: Config,
  options: { readonly channels: number; readonly lossPredictor: boolean },
  seed: number,
): MimNet {
  if (config.model.arch === "vit") {
    return createViTMae(vitMaeOptions(config, options.channels, options.lossPredictor), seed);
  }
  return createUNet({
    inChannels: options.channels,
    outChannels: options.channels,
    baseWidth: config.model.baseWidth,
    norm: config.model.norm,
    normGroups: config.model.normGroups,
    lossPredictor: options.lossPredictor,
  }, seed);
}

/**
 * Frees a network's variables (and a ViT's fixed position embeddings).
 *
 * @param net The network.
 */
export function disposeMimNet(net: MimNet): void {
  if (net.arch === "vit") disposeViTMae(net);
  else for (const v of net.params.values()) v.dispose();
}

/**
 * HPM's teacher view: the predicted loss of every patch of the unmasked images.
 *
 * @param net A network with a loss predictor.
 * @param ctx Where the kernels run.
 * @param images `[N, H, W, C]`.
 * @param patchSize P.
 * @returns `[N, L]`.
 */
export function predictAllPatchLosses(
  net: MimNet,
  ctx: KernelContext,
  images: tf.Tensor4D,
  patchSize: number,
): tf.Tensor2D {
  if (net.arch === "unet") return predictPatchLoss(net, unetFeatures(net, images), patchSize);
  return maePredictLoss(net, maeDecoderInput(net, maeEncode(net, images, ctx, null), ctx, null));
}

/** What a network is fed for a masked batch (built outside the gradient). */
export type MimInput =
  /** U-Net: the images with removed patches filled. */
  | { readonly kind: "pixels"; readonly masked: tf.Tensor4D }
  /** ViT: the images, the token order of the mask, and the mask. */
  | {
    readonly kind: "tokens";
    readonly images: tf.Tensor4D;
    readonly ids: TokenIds<tf.Tensor2D>;
    readonly mask: tf.Tensor2D;
  };

/**
 * The input of `net` for images and their mask.
 *
 * @param net The network.
 * @param ctx Where the kernels run.
 * @param images `[N, H, W, C]`.
 * @param mask `[N, L]`, 1 = removed; every sample removes the same count.
 * @param options Patch size and fill value (U-Net), and K, the tokens kept per sample (ViT).
 * @returns The input.
 */
export function mimInput(
  net: MimNet,
  ctx: KernelContext,
  images: tf.Tensor4D,
  mask: tf.Tensor2D,
  options: { readonly patchSize: number; readonly fill: number; readonly keep: number },
): MimInput {
  if (net.arch === "unet") {
    return { kind: "pixels", masked: applyMaskOp(ctx, images, mask, options) };
  }
  return { kind: "tokens", images, ids: tokenIdsOp(ctx, mask, options.keep), mask };
}

/** What the network returns. */
export interface MimOutput {
  /** The reconstruction: `[N, H, W, C]` (U-Net) or `[N, L, P*P*C]` tokens (ViT). */
  readonly pred: tf.Tensor4D | tf.Tensor3D;
  /** `[N, L]` the loss predictor's output, when asked for. */
  readonly predictedLoss: tf.Tensor2D | null;
}

/**
 * Runs the network (differentiable in its parameters).
 *
 * @param net The network.
 * @param ctx Where the kernels run.
 * @param input From {@linkcode mimInput}.
 * @param options Patch size, and whether to run the loss predictor.
 * @returns The reconstruction and the predicted per-patch loss.
 * @throws {RangeError} If the input is not the network's kind.
 */
export function mimForward(
  net: MimNet,
  ctx: KernelContext,
  input: MimInput,
  options: { readonly patchSize: number; readonly predictLoss: boolean },
): MimOutput {
  if (net.arch === "unet") {
    if (input.kind !== "pixels") throw new RangeError("Cannot run U-Net: its input must be pixels");
    const features = unetFeatures(net, input.masked);
    return {
      pred: unetHead(net, "head", features),
      predictedLoss: options.predictLoss
        ? predictPatchLoss(net, features, options.patchSize)
        : null,
    };
  }
  if (input.kind !== "tokens") throw new RangeError("Cannot run ViT: its input must be tokens");
  const latent = maeEncode(net, input.images, ctx, input.ids);
  const decoderInput = maeDecoderInput(net, latent, ctx, { ids: input.ids, mask: input.mask });
  return {
    pred: maeReconstruct(net, decoderInput),
    predictedLoss: options.predictLoss ? maePredictLoss(net, decoderInput) : null,
  };
}

/**
 * A one-line description of the pretraining network a config describes.
 *
 * @param config The run config.
 * @returns E.g. `U-Net (base width 8)` or `ViT masked autoencoder (patch 8, D 128, depth 4, 4 heads; decoder D 64, depth 2)`.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG } from "../config/pretrain_config.ts";
 * import { describeMimNet } from "./mim_net.ts";
 * if (describeMimNet(DEFAULT_CONFIG) !== "U-Net (base width 8)") throw new Error("default U-Net");
 * ```
 */
export function describeMimNet(config: Config): string {
  if (config.model.arch === "unet") return `U-Net (base width ${config.model.baseWidth})`;
  const v = config.model.vit;
  return `ViT masked autoencoder (patch ${config.mask.patchSize}, D ${v.width}, depth ${v.depth}, ` +
    `${v.heads} heads${
      v.classToken ? ", class token" : ""
    }; decoder D ${v.decoderWidth}, depth ${v.decoderDepth})`;
}
