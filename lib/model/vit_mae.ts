/**
 * The ViT masked autoencoder of MAE (He et al., CVPR 2022), with HPM's loss
 * predictor (Wang et al., CVPR 2023; SelfMedHPM) as an option.
 *
 * - Encoder (`vit.ts`): only the kept tokens (`idsKeep`), plus the class token.
 * - Decoder: a linear map to the decoder width, the kept tokens put back on
 *   the patch grid with a learned mask token where tokens were removed (MAE's
 *   unshuffle by `idsRestore`), the decoder's own fixed sine-cosine position
 *   embedding, `decoderDepth` transformer blocks, a LayerNorm and a linear
 *   head to the P*P*C values of each patch (`decoder.*`).
 * - Loss predictor (HPM, `lossPredictor: true`): a second stack of
 *   `decoderDepth` blocks on the same decoder input, a LayerNorm and a linear
 *   head to P*P*C values whose mean is the token's predicted loss
 *   (`losspred.*`), as HPM's `decoder_blocks_losspred` / `decoder_pred_losspred`.
 *
 * Parameter names: `encoder.*` (see `vit.ts`), `decoder.embed.{w,b}`,
 * `decoder.mask_token` `[1, Dd]`, `decoder.block<i>.*`, `decoder.norm.{g,b}`,
 * `decoder.pred.{w,b}`, `losspred.block<i>.*`, `losspred.norm.{g,b}`, `losspred.pred.{w,b}`.
 *
 * References: https://github.com/facebookresearch/mae (models_mae.py),
 * https://github.com/Haochen-Wang409/HPM (models_mae_learn_loss.py)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { countSpecs, createParams, type ParamSpec } from "./param_spec.ts";
import { sincosPosEmbed2d } from "./pos_embed.ts";
import {
  blockSpecs,
  layerNorm,
  layerNormSpecs,
  linear,
  linearSpecs,
  mlpHidden,
  type ParamGetter,
  paramGetter,
  transformerBlock,
} from "./transformer.ts";
import { checkViT, encoderPosEmbed, vitEncode, vitEncoderSpecs, type ViTOptions } from "./vit.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { restoreTokensOp } from "../kernels/token_gather.ts";
import type { TokenIds } from "../kernels/token_ids.ts";

/** Architecture of a ViT masked autoencoder. */
export interface ViTMaeOptions extends ViTOptions {
  /** Decoder token width (MAE: 512); a multiple of 4 and of decoderHeads. */
  readonly decoderWidth: number;
  /** Decoder blocks (MAE: 8); the loss predictor has as many. */
  readonly decoderDepth: number;
  readonly decoderHeads: number;
  /** Adds HPM's loss predictor. */
  readonly lossPredictor: boolean;
}

/** A ViT masked autoencoder: options, parameters and fixed position embeddings. */
export interface ViTMae {
  readonly arch: "vit";
  readonly options: ViTMaeOptions;
  readonly params: Map<string, tf.Variable>;
  /** `[(1) + L, D]` encoder position embedding (not trained). */
  readonly posEmbed: tf.Tensor2D;
  /** `[(1) + L, Dd]` decoder position embedding (not trained). */
  readonly decoderPosEmbed: tf.Tensor2D;
}

/**
 * The parameter specs of the whole autoencoder, in creation order.
 *
 * @param o The architecture.
 * @returns Specs of the encoder, decoder and (optionally) loss predictor.
 * @throws {RangeError} On a size that does not fit.
 */
export function vitMaeSpecs(o: ViTMaeOptions): ParamSpec[] {
  const { patchDim } = checkViT(o, "ViT masked autoencoder");
  checkViT(
    { ...o, width: o.decoderWidth, depth: o.decoderDepth, heads: o.decoderHeads },
    "ViT decoder",
  );
  const dd = o.decoderWidth;
  const specs = vitEncoderSpecs(o);
  specs.push(
    ...linearSpecs("decoder.embed", o.width, dd),
    { name: "decoder.mask_token", shape: [1, dd], init: { kind: "normal", std: 0.02 } },
  );
  for (let i = 0; i < o.decoderDepth; i++) {
    specs.push(...blockSpecs(`decoder.block${i}`, dd, o.mlpRatio));
  }
  specs.push(...layerNormSpecs("decoder.norm", dd), ...linearSpecs("decoder.pred", dd, patchDim));
  if (o.lossPredictor) {
    for (let i = 0; i < o.decoderDepth; i++) {
      specs.push(...blockSpecs(`losspred.block${i}`, dd, o.mlpRatio));
    }
    specs.push(
      ...layerNormSpecs("losspred.norm", dd),
      ...linearSpecs("losspred.pred", dd, patchDim),
    );
  }
  return specs;
}

/**
 * The number of trained parameters (the fixed position embeddings are not parameters).
 *
 * @param o The architecture.
 * @returns Scalars.
 */
export function vitMaeParamCount(o: ViTMaeOptions): number {
  return countSpecs(vitMaeSpecs(o));
}

/**
 * Creates the autoencoder: Xavier-uniform kernels, zero biases, unit LayerNorm
 * gains, N(0, 0.02) class and mask tokens (MAE), drawn from `seed`.
 *
 * @param o The architecture.
 * @param seed Initialisation seed.
 * @returns The network.
 * @throws {RangeError} On a size that does not fit.
 */
export function createViTMae(o: ViTMaeOptions, seed: number): ViTMae {
  const grid = checkViT(o, "ViT masked autoencoder");
  const params = createParams(vitMaeSpecs(o), seed, "vitmae");
  const rows = grid.patches + (o.classToken ? 1 : 0);
  const decoderPosEmbed = tf.keep(
    tf.tensor2d(sincosPosEmbed2d(o.decoderWidth, grid, o.classToken), [rows, o.decoderWidth]),
  );
  return { arch: "vit", options: o, params, posEmbed: encoderPosEmbed(o), decoderPosEmbed };
}

/**
 * Frees a network's variables and constants.
 *
 * @param net The network.
 */
export function disposeViTMae(net: ViTMae): void {
  tf.dispose([...net.params.values(), net.posEmbed, net.decoderPosEmbed]);
}

function getter(net: ViTMae): ParamGetter {
  return paramGetter(net.params, "ViT masked autoencoder");
}

/**
 * The encoder on the kept tokens (all tokens when `ids` is null).
 *
 * @param net The network.
 * @param images `[N, H, W, C]`.
 * @param ctx Where the token kernels run.
 * @param ids The token order of the mask, or null for no mask.
 * @returns `[N, (1) + K, D]` latent tokens, class token first.
 */
export function maeEncode(
  net: ViTMae,
  images: tf.Tensor4D,
  ctx: KernelContext,
  ids: TokenIds<tf.Tensor2D> | null,
): tf.Tensor3D {
  return vitEncode({ vit: net.options, get: getter(net), posEmbed: net.posEmbed }, images, {
    ctx,
    ids,
  }).tokens;
}

/**
 * The decoder's input: latent tokens mapped to the decoder width, put back on
 * the patch grid with the mask token at removed tokens, plus the decoder
 * position embedding.
 *
 * @param net The network.
 * @param latent `[N, (1) + K, D]` from {@linkcode maeEncode}.
 * @param ctx Where the token kernels run.
 * @param masking `ids` and the `mask` `[N, L]` (1 = removed), or null when nothing was removed.
 * @returns `[N, (1) + L, Dd]`.
 */
export function maeDecoderInput(
  net: ViTMae,
  latent: tf.Tensor3D,
  ctx: KernelContext,
  masking: { readonly ids: TokenIds<tf.Tensor2D>; readonly mask: tf.Tensor2D } | null,
): tf.Tensor3D {
  const o = net.options;
  const get = getter(net);
  const offset = o.classToken ? 1 : 0;
  const [n, t] = latent.shape;
  const dd = o.decoderWidth;
  const y = linear(get, "decoder.embed", latent) as tf.Tensor3D;
  let tokens = tf.slice(y, [0, offset, 0], [n, t - offset, dd]) as tf.Tensor3D;
  if (masking) {
    const [, patches] = masking.mask.shape;
    const maskToken = tf.reshape(get("decoder.mask_token"), [1, 1, dd]);
    tokens = tf.add(
      restoreTokensOp(ctx, tokens, masking.ids), // zeros at removed tokens
      tf.mul(tf.reshape(masking.mask, [n, patches, 1]), maskToken),
    ) as tf.Tensor3D;
  }
  const x = offset ? tf.concat([tf.slice(y, [0, 0, 0], [n, 1, dd]), tokens], 1) : tokens;
  return tf.add(x, net.decoderPosEmbed) as tf.Tensor3D;
}

function decoderBranch(net: ViTMae, branch: "decoder" | "losspred", x: tf.Tensor3D): tf.Tensor3D {
  const o = net.options;
  const get = getter(net);
  let h = x;
  for (let i = 0; i < o.decoderDepth; i++) {
    h = transformerBlock(get, `${branch}.block${i}`, h, o.decoderHeads);
  }
  const out = linear(get, `${branch}.pred`, layerNorm(get, `${branch}.norm`, h)) as tf.Tensor3D;
  const offset = o.classToken ? 1 : 0;
  const [n, t, v] = out.shape;
  return tf.slice(out, [0, offset, 0], [n, t - offset, v]) as tf.Tensor3D;
}

/**
 * The reconstruction head: the decoder blocks, norm and prediction.
 *
 * @param net The network.
 * @param input `[N, (1) + L, Dd]` from {@linkcode maeDecoderInput}.
 * @returns `[N, L, P*P*C]` predicted patch values in token order.
 */
export function maeReconstruct(net: ViTMae, input: tf.Tensor3D): tf.Tensor3D {
  return decoderBranch(net, "decoder", input);
}

/**
 * HPM's loss predictor: its own blocks, norm and head on the decoder input,
 * averaged over the P*P*C outputs of each token.
 *
 * @param net A network created with `lossPredictor: true`.
 * @param input `[N, (1) + L, Dd]` from {@linkcode maeDecoderInput}.
 * @returns `[N, L]` predicted per-token loss (only its order matters).
 * @throws {RangeError} If the network has no loss predictor.
 */
export function maePredictLoss(net: ViTMae, input: tf.Tensor3D): tf.Tensor2D {
  if (!net.options.lossPredictor) {
    throw new RangeError("Cannot predict token losses: the ViT was created without lossPredictor");
  }
  return tf.mean(decoderBranch(net, "losspred", input), -1) as tf.Tensor2D;
}

/**
 * Forward FLOPs of one image (multiply-add = 2 FLOPs), counted analytically
 * for the matrix products (which dominate): the patch embedding of all L
 * patches, the encoder on 1 + K tokens, the decoder (and loss predictor) on
 * 1 + L tokens. Per block and T tokens of width D with MLP width F:
 * `2 T (3 D^2 + D^2 + 2 D F) + 4 T^2 D` (projections, then scores and mixing).
 *
 * @param o The architecture.
 * @param keep K, the tokens the encoder sees.
 * @returns FLOPs per image.
 * @example
 * ```ts
 * import { maeForwardFlops } from "./vit_mae.ts";
 * const o = { imageSize: 4, patchSize: 2, inChannels: 1, width: 4, depth: 1, heads: 1,
 *   mlpRatio: 4, classToken: false, decoderWidth: 4, decoderDepth: 1, decoderHeads: 1,
 *   lossPredictor: false };
 * const block = (t: number) => 2 * t * (4 * 16 + 2 * 4 * 16) + 4 * t * t * 4;
 * // embed 4 patches, encoder on 2 tokens, decoder embed, decoder on 4 tokens, prediction
 * const expected = 2 * 4 * 4 * 4 + block(2) + 2 * 2 * 4 * 4 + block(4) + 2 * 4 * 4 * 4;
 * if (maeForwardFlops(o, 2) !== expected) throw new Error("flops");
 * ```
 */
export function maeForwardFlops(o: ViTMaeOptions, keep: number): number {
  const { patches, patchDim } = checkViT(o, "ViT masked autoencoder");
  const cls = o.classToken ? 1 : 0;
  const block = (t: number, d: number) =>
    2 * t * (4 * d * d + 2 * d * mlpHidden(d, o.mlpRatio)) + 4 * t * t * d;
  const te = cls + keep, td = cls + patches;
  let flops = 2 * patches * patchDim * o.width + o.depth * block(te, o.width);
  flops += 2 * te * o.width * o.decoderWidth;
  const branch = o.decoderDepth * block(td, o.decoderWidth) +
    2 * patches * o.decoderWidth * patchDim;
  return flops + branch * (o.lossPredictor ? 2 : 1);
}
