/**
 * The networks of contrastive pretraining on the U-Net encoder (MPS-AMS
 * Table 1's SimCLR, BYOL and SwAV rows): the U-Net's encoder (`down*`,
 * `bottom*`, the same parameters and initialisation as the MIM U-Net), its
 * bottleneck features global-average-pooled into one vector per image, and
 * the method's heads:
 *
 * - SimCLR: a projection head (`projector.*`), trained with NT-Xent;
 * - BYOL: a projector and a predictor (`predictor.*`), plus a target network
 *   (encoder + projector, an EMA of the online one, see {@linkcode createTargetNet});
 * - SwAV: a projection head and K prototypes (`prototypes.w`).
 *
 * Everything lives in one parameter map, so AdamW, checkpoints and resume
 * need nothing new; fine-tuning with `model.init: encoder` takes the
 * `down*`/`bottom*` tensors exactly as from a MIM checkpoint, and the heads
 * stay behind.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { deriveSeed } from "../random.ts";
import { createUNet, type UNet, UNET_DEPTH, unetEncoder } from "./unet.ts";
import type { NormKind } from "./norm.ts";
import { addMlpHead, mlpHead } from "./mlp_head.ts";
import { addPrototypes } from "./prototypes.ts";
import type { PRETRAIN_METHODS } from "../config/contrastive_config.ts";

/** A contrastive method: `pretrain.method` other than `mim`. */
export type ContrastiveMethod = Exclude<(typeof PRETRAIN_METHODS)[number], "mim">;

/** Architecture of a contrastive network. */
export interface ContrastiveNetOptions {
  readonly method: ContrastiveMethod;
  /** Input channels (modalities). */
  readonly inChannels: number;
  /** Channels of the U-Net's first level; the embedding has `16 * baseWidth`. */
  readonly baseWidth: number;
  /** Hidden units of the projector (and BYOL's predictor). */
  readonly hidden: number;
  /** Projection size D. */
  readonly projection: number;
  /** SwAV's number of prototypes K (unused by the other methods). */
  readonly prototypes: number;
  /** The encoder's normalisation, as the U-Net's `norm` (default none). */
  readonly norm?: NormKind;
  /** GroupNorm's group count, as the U-Net's `normGroups` (default 8). */
  readonly normGroups?: number;
}

/**
 * Creates the online network of a contrastive method: an encoder-only U-Net
 * (weights as `createUNet` with the same seed) and the method's heads.
 *
 * @param options Method and sizes.
 * @param seed Initialisation seed (the encoder's; heads draw from derived seeds).
 * @returns The network; its parameter map holds encoder and heads.
 * @throws {RangeError} On non-positive sizes.
 * @example
 * ```ts
 * import { createContrastiveNet } from "./contrastive_net.ts";
 * const net = createContrastiveNet(
 *   { method: "byol", inChannels: 1, baseWidth: 2, hidden: 8, projection: 4, prototypes: 5 }, 0);
 * if (!net.params.has("predictor.fc0.w") || net.params.has("up0.conv0.w")) throw new Error("heads");
 * ```
 */
export function createContrastiveNet(options: ContrastiveNetOptions, seed: number): UNet {
  const { method, inChannels, baseWidth, hidden, projection, norm, normGroups } = options;
  const net = createUNet(
    {
      inChannels,
      outChannels: inChannels,
      baseWidth,
      encoderOnly: true,
      ...(norm === undefined ? {} : { norm }),
      ...(normGroups === undefined ? {} : { normGroups }),
    },
    seed,
  );
  const features = embeddingSize(baseWidth);
  addMlpHead(
    net.params,
    "projector",
    { inputs: features, hidden, outputs: projection },
    deriveSeed(seed, "projector"),
  );
  if (method === "byol") {
    addMlpHead(
      net.params,
      "predictor",
      { inputs: projection, hidden, outputs: projection },
      deriveSeed(seed, "predictor"),
    );
  }
  if (method === "swav") {
    addPrototypes(net.params, projection, options.prototypes, deriveSeed(seed, "prototypes"));
  }
  return net;
}

/**
 * BYOL's target network: a copy of the online encoder and projector (not the
 * predictor), as non-trainable variables. It is only ever changed by
 * `emaUpdate` and never enters a gradient tape.
 *
 * @param online The online network.
 * @returns The target, same parameter names as the online network's encoder and projector.
 */
export function createTargetNet(online: UNet): UNet {
  const params = new Map<string, tf.Variable>();
  for (const name of targetParamNames(online)) {
    const v = online.params.get(name) as tf.Variable;
    params.set(name, tf.variable(v.clone(), false, `target_${v.name}`));
  }
  return { arch: "unet", options: online.options, params };
}

/**
 * The names of the online parameters that BYOL's target mirrors, in order.
 *
 * @param online The online network.
 * @returns Encoder and projector parameter names.
 */
export function targetParamNames(online: UNet): string[] {
  return [...online.params.keys()].filter((name) =>
    !name.startsWith("predictor.") && !name.startsWith("prototypes.")
  );
}

/**
 * The image embedding: the bottleneck features averaged over space.
 *
 * @param net A contrastive (or full) U-Net.
 * @param x `[N, H, W, C]` images, H and W multiples of 16.
 * @returns `[N, 16 * baseWidth]`.
 */
export function embedImages(net: UNet, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => tf.mean(unetEncoder(net, x).bottom, [1, 2]) as tf.Tensor2D);
}

/**
 * The projections of images: `projector(embed(x))`.
 *
 * @param net A contrastive network.
 * @param x `[N, H, W, C]` images.
 * @returns `[N, D]`.
 */
export function projectImages(net: UNet, x: tf.Tensor4D): tf.Tensor2D {
  return tf.tidy(() => mlpHead(net.params, "projector", embedImages(net, x)));
}

/**
 * BYOL's prediction of a projection.
 *
 * @param net The online network (with a predictor).
 * @param z `[N, D]` projections.
 * @returns `[N, D]`.
 */
export function predictProjection(net: UNet, z: tf.Tensor2D): tf.Tensor2D {
  return mlpHead(net.params, "predictor", z);
}

/**
 * The embedding size of a U-Net encoder.
 *
 * @param baseWidth Channels of the first level.
 * @returns The bottleneck's channels, `baseWidth * 2^4`.
 */
export function embeddingSize(baseWidth: number): number {
  return baseWidth * 2 ** UNET_DEPTH;
}
