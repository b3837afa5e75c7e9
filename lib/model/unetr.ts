/**
 * UNETR (Hatamizadeh et al., WACV 2022; MONAI's `UNETR`) in 2D: a ViT
 * encoder (`vit.ts`, the same parameters as the masked autoencoder's, so
 * pretrained weights transfer by name) whose token maps feed a U-shaped
 * convolutional decoder.
 *
 * With patch P = 2^k the tokens form an (H/P) x (W/P) grid. Skip level j
 * (j = 1..k-1, resolution H/2^j, `featureSize * 2^j` channels) takes the
 * output of encoder block `round(j * depth / k)` (1-based: blocks 3, 6, 9 of
 * 12 for P = 16, as the paper's z3, z6, z9), reshapes its patch tokens to the
 * grid and upsamples it k - j times by 2x2 stride-2 transposed convolutions,
 * each after the first followed by a residual block. Level 0 is a residual
 * block on the image itself. The decoder starts from the final (normalised)
 * tokens and, for j = k-1 down to 0, upsamples by a transposed convolution,
 * concatenates [upsampled, skip j] and applies a residual block; a 1x1
 * convolution gives the class logits.
 *
 * Residual block (MONAI's UnetResBlock): conv3x3 -> instance norm -> leaky
 * ReLU (0.01) -> conv3x3 -> instance norm, plus the input (through a 1x1
 * conv + instance norm when the channel count changes), then leaky ReLU.
 * Convolutions have no bias (instance norm follows), the 1x1 head has one;
 * instance norm has no affine parameters (MONAI's default).
 *
 * Parameter names: `encoder.*` (ViT), `unetr.enc0.conv{1,2,3}.w`,
 * `unetr.enc<j>.up0.w`, `unetr.enc<j>.up<m>.w`, `unetr.enc<j>.res<m>.conv{1,2}.w`,
 * `unetr.dec<j>.up.w`, `unetr.dec<j>.res.conv{1,2,3}.w`, `unetr.head.{w,b}`.
 *
 * References: https://arxiv.org/abs/2103.10504, https://github.com/Project-MONAI/MONAI
 * (monai/networks/nets/unetr.py, blocks/unetr_block.py, dynunet_block.py)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createParams, type ParamSpec } from "./param_spec.ts";
import { type ParamGetter, paramGetter } from "./transformer.ts";
import { checkViT, encoderPosEmbed, vitEncode, vitEncoderSpecs, type ViTOptions } from "./vit.ts";

/** Architecture of a UNETR. */
export interface UnetrOptions {
  /** The encoder; its patch size must be a power of two >= 2. */
  readonly vit: ViTOptions;
  /** Output channels (1 for binary segmentation, K for K classes). */
  readonly outChannels: number;
  /** Channels of the full-resolution level (MONAI's feature_size, 16). */
  readonly featureSize: number;
}

/** A UNETR: options, parameters and the encoder's fixed position embedding. */
export interface Unetr {
  readonly arch: "unetr";
  readonly options: UnetrOptions;
  readonly params: Map<string, tf.Variable>;
  readonly posEmbed: tf.Tensor2D;
}

/** The decoder's levels: k = log2(P) and the 0-based encoder blocks of skip levels 1..k-1. */
export function unetrLevels(o: UnetrOptions): { levels: number; skipBlocks: number[] } {
  const p = o.vit.patchSize;
  const levels = Math.round(Math.log2(p));
  if (p < 2 || 2 ** levels !== p) {
    throw new RangeError(`Cannot create UNETR: patchSize ${p} is not a power of two >= 2`);
  }
  const skipBlocks: number[] = [];
  for (let j = 1; j < levels; j++) {
    skipBlocks.push(Math.max(1, Math.round((j * o.vit.depth) / levels)) - 1);
  }
  return { levels, skipBlocks };
}

/**
 * The parameter specs, encoder first.
 *
 * @param o The architecture.
 * @returns The specs.
 * @throws {RangeError} On a size that does not fit.
 */
export function unetrSpecs(o: UnetrOptions): ParamSpec[] {
  checkViT(o.vit, "UNETR");
  for (const key of ["outChannels", "featureSize"] as const) {
    if (!Number.isInteger(o[key]) || o[key] < 1) {
      throw new RangeError(`Cannot create UNETR: ${key} ${o[key]} is not a positive integer`);
    }
  }
  const { levels } = unetrLevels(o);
  const c = (j: number) => o.featureSize * 2 ** j;
  const d = o.vit.width;
  const specs = vitEncoderSpecs(o.vit);
  const conv = (name: string, k: number, cin: number, cout: number) =>
    specs.push({
      name: `${name}.w`,
      shape: [k, k, cin, cout],
      init: { kind: "normal", std: Math.sqrt(2 / (k * k * cin)) },
    });
  // transposed conv filter: [2, 2, outC, inC]
  const up = (name: string, cin: number, cout: number) =>
    specs.push({
      name: `${name}.w`,
      shape: [2, 2, cout, cin],
      init: { kind: "normal", std: Math.sqrt(2 / (4 * cin)) },
    });
  const res = (name: string, cin: number, cout: number) => {
    conv(`${name}.conv1`, 3, cin, cout);
    conv(`${name}.conv2`, 3, cout, cout);
    if (cin !== cout) conv(`${name}.conv3`, 1, cin, cout);
  };
  res("unetr.enc0", o.vit.inChannels, c(0));
  for (let j = 1; j < levels; j++) {
    up(`unetr.enc${j}.up0`, d, c(j));
    for (let m = 1; m < levels - j; m++) {
      up(`unetr.enc${j}.up${m}`, c(j), c(j));
      res(`unetr.enc${j}.res${m}`, c(j), c(j));
    }
  }
  for (let j = levels - 1; j >= 0; j--) {
    up(`unetr.dec${j}.up`, j === levels - 1 ? d : c(j + 1), c(j));
    res(`unetr.dec${j}.res`, 2 * c(j), c(j));
  }
  conv("unetr.head", 1, c(0), o.outChannels);
  specs.push({ name: "unetr.head.b", shape: [o.outChannels], init: { kind: "zeros" } });
  return specs;
}

/**
 * Creates a UNETR from `seed`: the encoder as the masked autoencoder's
 * (Xavier-uniform), the convolutions He-normal.
 *
 * @param o The architecture.
 * @param seed Initialisation seed.
 * @returns The network.
 * @throws {RangeError} On a size that does not fit.
 */
export function createUnetr(o: UnetrOptions, seed: number): Unetr {
  const params = createParams(unetrSpecs(o), seed, "unetr");
  return { arch: "unetr", options: o, params, posEmbed: encoderPosEmbed(o.vit) };
}

function instanceNorm(x: tf.Tensor4D): tf.Tensor4D {
  const { mean, variance } = tf.moments(x, [1, 2], true);
  return tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))) as tf.Tensor4D;
}

function conv(get: ParamGetter, name: string, x: tf.Tensor4D): tf.Tensor4D {
  return tf.conv2d(x, get(`${name}.w`) as tf.Tensor4D, 1, "same");
}

function upsample(get: ParamGetter, name: string, x: tf.Tensor4D): tf.Tensor4D {
  const w = get(`${name}.w`) as tf.Tensor4D;
  const [n, h, wd] = x.shape;
  return tf.conv2dTranspose(x, w, [n, 2 * h, 2 * wd, w.shape[2]], 2, "valid");
}

function resBlock(get: ParamGetter, name: string, x: tf.Tensor4D, project: boolean): tf.Tensor4D {
  const h = tf.leakyRelu(instanceNorm(conv(get, `${name}.conv1`, x)), 0.01) as tf.Tensor4D;
  const r = instanceNorm(conv(get, `${name}.conv2`, h));
  const skip = project ? instanceNorm(conv(get, `${name}.conv3`, x)) : x;
  return tf.leakyRelu(tf.add(r, skip), 0.01) as tf.Tensor4D;
}

/**
 * Runs the UNETR.
 *
 * @param net The network.
 * @param x `[N, S, S, inChannels]`, S = the encoder's imageSize.
 * @returns `[N, S, S, outChannels]` logits.
 * @throws {RangeError} If the input does not fit the encoder.
 */
export function unetrForward(net: Unetr, x: tf.Tensor4D): tf.Tensor4D {
  const o = net.options;
  const get = paramGetter(net.params, "UNETR");
  const { levels, skipBlocks } = unetrLevels(o);
  const n = x.shape[0];
  const g = o.vit.imageSize / o.vit.patchSize;
  const d = o.vit.width;
  const { tokens, hidden } = vitEncode({ vit: o.vit, get, posEmbed: net.posEmbed }, x, {
    hiddenBlocks: skipBlocks,
  });
  const grid = (t: tf.Tensor3D) => tf.reshape(t, [n, g, g, d]) as tf.Tensor4D;
  const offset = o.vit.classToken ? 1 : 0;
  const last = tf.slice(tokens, [0, offset, 0], [n, g * g, d]) as tf.Tensor3D;

  const skips: tf.Tensor4D[] = [resBlock(get, "unetr.enc0", x, o.vit.inChannels !== o.featureSize)];
  for (let j = 1; j < levels; j++) {
    let h = upsample(get, `unetr.enc${j}.up0`, grid(hidden[j - 1] as tf.Tensor3D));
    for (let m = 1; m < levels - j; m++) {
      h = resBlock(get, `unetr.enc${j}.res${m}`, upsample(get, `unetr.enc${j}.up${m}`, h), false);
    }
    skips.push(h);
  }
  let h = grid(last);
  for (let j = levels - 1; j >= 0; j--) {
    const up = upsample(get, `unetr.dec${j}.up`, h);
    h = resBlock(get, `unetr.dec${j}.res`, tf.concat([up, skips[j] as tf.Tensor4D], 3), true);
  }
  return tf.add(conv(get, "unetr.head", h), get("unetr.head.b")) as tf.Tensor4D;
}
