/**
 * The Vision Transformer encoder (Dosovitskiy et al. 2021) as MAE builds it:
 * a linear patch embedding of the P x P x C patches, a fixed 2D sine-cosine
 * position embedding, an optional class token, `depth` pre-norm transformer
 * blocks and a final LayerNorm. Shared by the masked autoencoder
 * (`vit_mae.ts`: the encoder then sees only the kept tokens) and UNETR
 * (`unetr.ts`: all tokens, and the hidden states of some blocks).
 *
 * Parameters (all under `encoder.`): `patch_embed.{w,b}` (`[P*P*C, D]`, the
 * Conv2d(kernel = stride = P) of MAE as a matrix over patch vectors in
 * row, column, channel order), `cls_token` `[1, D]` (when `classToken`),
 * `block<i>.*` (`transformer.ts`), `norm.{g,b}`.
 *
 * References: https://github.com/facebookresearch/mae (models_mae.py)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { ParamSpec } from "./param_spec.ts";
import { sincosPosEmbed2d } from "./pos_embed.ts";
import {
  blockSpecs,
  layerNorm,
  layerNormSpecs,
  type ParamGetter,
  transformerBlock,
} from "./transformer.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { keepTokensOp } from "../kernels/token_gather.ts";
import type { TokenIds } from "../kernels/token_ids.ts";

/** Architecture of a ViT encoder. */
export interface ViTOptions {
  /** Side of the square input image. */
  readonly imageSize: number;
  /** P: the side of a patch (token); divides imageSize. */
  readonly patchSize: number;
  /** C: input channels. */
  readonly inChannels: number;
  /** D: token width; a multiple of 4 (sine-cosine embedding) and of `heads`. */
  readonly width: number;
  /** Transformer blocks. */
  readonly depth: number;
  /** Attention heads. */
  readonly heads: number;
  /** MLP hidden units per D (4 in ViT). */
  readonly mlpRatio: number;
  /** Prepend a learned class token (MAE: yes; MONAI's UNETR: no). */
  readonly classToken: boolean;
}

/** The token grid of an architecture. */
export interface TokenGrid {
  readonly gh: number;
  readonly gw: number;
  /** L = gh * gw. */
  readonly patches: number;
  /** P * P * C, the values of one patch. */
  readonly patchDim: number;
}

/**
 * Checks an architecture and returns its token grid.
 *
 * @param o The options.
 * @param what The network, for messages.
 * @returns The grid.
 * @throws {RangeError} On a size that does not fit.
 */
export function checkViT(o: ViTOptions, what = "ViT"): TokenGrid {
  for (const key of ["imageSize", "patchSize", "inChannels", "width", "depth", "heads"] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) {
      throw new RangeError(`Cannot create ${what}: ${key} ${o[key]} is not a positive integer`);
    }
  }
  if (o.imageSize % o.patchSize !== 0) {
    throw new RangeError(
      `Cannot create ${what}: patchSize ${o.patchSize} does not divide imageSize ${o.imageSize}`,
    );
  }
  if (o.width % 4 !== 0 || o.width % o.heads !== 0) {
    throw new RangeError(
      `Cannot create ${what}: width ${o.width} is not a multiple of 4 and of heads ${o.heads}`,
    );
  }
  if (!(o.mlpRatio > 0)) {
    throw new RangeError(`Cannot create ${what}: mlpRatio ${o.mlpRatio} is not positive`);
  }
  const g = o.imageSize / o.patchSize;
  return { gh: g, gw: g, patches: g * g, patchDim: o.patchSize ** 2 * o.inChannels };
}

/**
 * The encoder's parameter specs, in creation order.
 *
 * @param o The architecture.
 * @returns Specs named `encoder.*`.
 */
export function vitEncoderSpecs(o: ViTOptions): ParamSpec[] {
  const { patchDim } = checkViT(o);
  const d = o.width;
  const specs: ParamSpec[] = [
    // MAE initialises the patch embedding like a Linear (xavier over the flattened kernel)
    {
      name: "encoder.patch_embed.w",
      shape: [patchDim, d],
      init: { kind: "xavier", fanIn: patchDim, fanOut: d },
    },
    { name: "encoder.patch_embed.b", shape: [d], init: { kind: "zeros" } },
  ];
  if (o.classToken) {
    specs.push({ name: "encoder.cls_token", shape: [1, d], init: { kind: "normal", std: 0.02 } });
  }
  for (let i = 0; i < o.depth; i++) specs.push(...blockSpecs(`encoder.block${i}`, d, o.mlpRatio));
  specs.push(...layerNormSpecs("encoder.norm", d));
  return specs;
}

/**
 * The encoder's fixed position embedding, kept out of `tf.tidy`.
 *
 * @param o The architecture.
 * @returns `[(1 if classToken) + L, D]`.
 */
export function encoderPosEmbed(o: ViTOptions): tf.Tensor2D {
  const grid = checkViT(o);
  const rows = grid.patches + (o.classToken ? 1 : 0);
  return tf.keep(tf.tensor2d(sincosPosEmbed2d(o.width, grid, o.classToken), [rows, o.width]));
}

/**
 * Cuts images into token vectors (MAE's `patchify`): `[N, H, W, C] -> [N, L, P*P*C]`,
 * patches row-major, values in row, column, channel order.
 *
 * @param images `[N, H, W, C]`, H and W multiples of P.
 * @param patchSize P.
 * @returns `[N, L, P*P*C]`.
 * @throws {RangeError} If P does not divide H and W.
 */
export function imageTokens(images: tf.Tensor4D, patchSize: number): tf.Tensor3D {
  const [n, h, w, c] = images.shape;
  const p = patchSize;
  if (h % p !== 0 || w % p !== 0) {
    throw new RangeError(`Cannot cut tokens: patchSize ${p} does not divide ${h}x${w}`);
  }
  // rank 4 throughout (every backend transposes rank 4)
  const rows = tf.reshape(images, [n * (h / p), p, w / p, p * c]);
  return tf.reshape(tf.transpose(rows, [0, 2, 1, 3]), [n, (h / p) * (w / p), p * p * c]);
}

/**
 * Puts token vectors back into images (MAE's `unpatchify`), the inverse of
 * {@linkcode imageTokens}: `[N, L, P*P*C] -> [N, H, W, C]`.
 *
 * @param tokens `[N, L, P*P*C]`.
 * @param shape `[N, H, W, C]` of the images.
 * @param patchSize P.
 * @returns The images.
 * @throws {RangeError} If the sizes do not fit.
 */
export function tokensToImages(
  tokens: tf.Tensor3D,
  shape: readonly [number, number, number, number],
  patchSize: number,
): tf.Tensor4D {
  const [n, h, w, c] = shape;
  const p = patchSize;
  if (
    h % p !== 0 || w % p !== 0 || tokens.shape.join() !== [n, (h / p) * (w / p), p * p * c].join()
  ) {
    throw new RangeError(
      `Cannot assemble images [${shape}] from tokens [${tokens.shape}] of patch size ${p}`,
    );
  }
  const cells = tf.reshape(tokens, [n * (h / p), w / p, p, p * c]);
  return tf.reshape(tf.transpose(cells, [0, 2, 1, 3]), [n, h, w, c]) as tf.Tensor4D;
}

/** A ViT encoder's weights and constants. */
export interface ViTEncoderParts {
  readonly vit: ViTOptions;
  readonly get: ParamGetter;
  /** From {@linkcode encoderPosEmbed}. */
  readonly posEmbed: tf.Tensor2D;
}

/** What the encoder returns. */
export interface EncoderOutput {
  /** `[N, (1 if classToken) + T, D]`: the final LayerNorm's output (class token first). */
  readonly tokens: tf.Tensor3D;
  /** The outputs of the requested blocks (before the final norm), patch tokens only, `[N, T, D]`, one per requested index. */
  readonly hidden: tf.Tensor3D[];
}

/**
 * Runs the encoder on all tokens, or (MAE) on the kept ones only.
 *
 * @param parts Weights, architecture and position embedding.
 * @param images `[N, H, W, C]` with H = W = imageSize.
 * @param options `ids` (with `ctx`): encode only the tokens `ids.idsKeep`, in
 *   that order; `hiddenBlocks`: 0-based blocks whose outputs to return.
 * @returns The encoded tokens (T = K with ids, else L) and the hidden states.
 * @throws {RangeError} If the image does not fit the architecture.
 */
export function vitEncode(
  parts: ViTEncoderParts,
  images: tf.Tensor4D,
  options: {
    readonly ctx?: KernelContext;
    readonly ids?: TokenIds<tf.Tensor2D> | null;
    readonly hiddenBlocks?: readonly number[];
  } = {},
): EncoderOutput {
  const { vit, get, posEmbed } = parts;
  const [n, h, w, c] = images.shape;
  if (h !== vit.imageSize || w !== vit.imageSize || c !== vit.inChannels) {
    throw new RangeError(
      `Cannot run ViT: input is ${h}x${w}x${c}, the network expects ` +
        `${vit.imageSize}x${vit.imageSize}x${vit.inChannels}`,
    );
  }
  const offset = vit.classToken ? 1 : 0;
  const patches = (h / vit.patchSize) * (w / vit.patchSize);
  const patchPos = tf.slice(posEmbed, [offset, 0], [patches, vit.width]);
  const embedded = tf.add(
    tf.add(
      tf.matMul(
        tf.reshape(imageTokens(images, vit.patchSize), [n * patches, -1]) as tf.Tensor2D,
        get("encoder.patch_embed.w") as tf.Tensor2D,
      ),
      get("encoder.patch_embed.b"),
    ).reshape([n, patches, vit.width]),
    patchPos,
  ) as tf.Tensor3D;
  let x = embedded;
  if (options.ids) {
    if (!options.ctx) throw new RangeError("Cannot run ViT on kept tokens: no kernel context");
    x = keepTokensOp(options.ctx, embedded, options.ids);
  }
  if (vit.classToken) {
    const cls = tf.add(get("encoder.cls_token"), tf.slice(posEmbed, [0, 0], [1, vit.width]));
    x = tf.concat([tf.tile(tf.reshape(cls, [1, 1, vit.width]), [n, 1, 1]), x], 1) as tf.Tensor3D;
  }
  const outputs = new Map<number, tf.Tensor3D>();
  const wanted = new Set(options.hiddenBlocks ?? []);
  for (let i = 0; i < vit.depth; i++) {
    x = transformerBlock(get, `encoder.block${i}`, x, vit.heads);
    if (wanted.has(i)) {
      const t = x.shape[1] - offset;
      outputs.set(i, tf.slice(x, [0, offset, 0], [n, t, vit.width]) as tf.Tensor3D);
    }
  }
  const hidden = (options.hiddenBlocks ?? []).map((i) => {
    const h = outputs.get(i);
    if (!h) {
      throw new RangeError(`Cannot return ViT block ${i}: the encoder has ${vit.depth} blocks`);
    }
    return h;
  });
  return { tokens: layerNorm(get, "encoder.norm", x) as tf.Tensor3D, hidden };
}
