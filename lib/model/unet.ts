/**
 * The U-Net of AMLP sec. 4.5: four down modules and four up modules, each with
 * two 3x3 convolutions (+ ReLU); 2x2 max-pooling down, 2x2 stride-2 transposed
 * convolution up, skip connections by concatenation, and a 1x1 head. Level k
 * has `baseWidth * 2^k` channels (k = 0..4; AMLP uses baseWidth 64).
 *
 * The same network is the MIM autoencoder (masked image in, image out) and the
 * segmenter (image in, class logits out): only the head differs, so
 * pretrained encoder and decoder weights transfer by name.
 *
 * Parameters are named tf.Variables, e.g. `down0.conv1.w`, `bottom.conv0.b`,
 * `up2.tconv.w`, `head.w`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { makeRng, normal } from "../random.ts";
import { groupCount, groupNorm, type NormKind } from "./norm.ts";

/** Number of down (and up) modules. */
export const UNET_DEPTH = 4;

/** Architecture of a U-Net. */
export interface UNetOptions {
  /** Input channels (modalities). */
  readonly inChannels: number;
  /** Output channels (1 for reconstruction of a 1-channel image, K for K classes). */
  readonly outChannels: number;
  /** Channels of the first level. */
  readonly baseWidth: number;
  /**
   * Adds HPM's loss predictor: a second 1x1 head on the last decoder features
   * (`losshead.w`, `losshead.b`), see `loss_predictor.ts`. Default false.
   */
  readonly lossPredictor?: boolean;
  /**
   * Creates the encoder only (`down*`, `bottom*`): no decoder, no heads. The
   * encoder's weights are the same as a full network's of the same seed. For
   * pretraining that uses the bottleneck features alone (SimCLR, BYOL, SwAV).
   * Default false.
   */
  readonly encoderOnly?: boolean;
  /**
   * Normalisation after every 3x3 convolution, before its ReLU (`norm.ts`):
   * `none` (default, the papers' U-Net) or `group` (GroupNorm, adds
   * `<conv>.norm.gamma` and `<conv>.norm.beta`).
   */
  readonly norm?: NormKind;
  /** GroupNorm's group count (per layer: its gcd with the channels). Default 8. */
  readonly normGroups?: number;
}

let created = 0;

/** A U-Net: its options and its parameters in creation order (keys are the short names). */
export interface UNet {
  readonly arch: "unet";
  readonly options: UNetOptions;
  readonly params: Map<string, tf.Variable>;
}

/**
 * Creates a U-Net with He-normal kernels and zero biases, drawn from `seed`
 * (the same seed gives the same weights on every backend).
 *
 * @param options Channels and width.
 * @param seed Initialisation seed.
 * @returns The network.
 * @throws {RangeError} On non-positive sizes.
 */
export function createUNet(options: UNetOptions, seed: number): UNet {
  for (const key of ["inChannels", "outChannels", "baseWidth"] as const) {
    const value = options[key];
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot create U-Net: ${key} ${value} is not a positive integer`);
    }
  }
  const rng = makeRng(seed);
  const params = new Map<string, tf.Variable>();
  const scope = `unet${++created}`; // tfjs variable names are global: keep them unique
  const add = (name: string, shape: number[], fanIn: number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const std = fanIn > 0 ? Math.sqrt(2 / fanIn) : 0;
    const values = Float32Array.from({ length: size }, () => (std ? std * normal(rng) : 0));
    // tidy frees the initial tensor; the variable (which owns a reference) survives it
    params.set(
      name,
      tf.tidy(() => tf.variable(tf.tensor(values, shape), true, `${scope}/${name}`)),
    );
  };
  const conv = (name: string, k: number, cin: number, cout: number) => {
    add(`${name}.w`, [k, k, cin, cout], k * k * cin);
    add(`${name}.b`, [cout], 0);
    if (k === 3 && (options.norm ?? "none") !== "none") {
      params.set(
        `${name}.norm.gamma`,
        tf.tidy(() => tf.variable(tf.ones([cout]), true, `${scope}/${name}.norm.gamma`)),
      );
      add(`${name}.norm.beta`, [cout], 0);
    }
  };
  const w = (level: number) => options.baseWidth * 2 ** level;
  let cin = options.inChannels;
  for (let level = 0; level < UNET_DEPTH; level++) {
    conv(`down${level}.conv0`, 3, cin, w(level));
    conv(`down${level}.conv1`, 3, w(level), w(level));
    cin = w(level);
  }
  conv("bottom.conv0", 3, cin, w(UNET_DEPTH));
  conv("bottom.conv1", 3, w(UNET_DEPTH), w(UNET_DEPTH));
  if (options.encoderOnly) return { arch: "unet", options, params };
  for (let level = UNET_DEPTH - 1; level >= 0; level--) {
    // transposed conv filter: [2, 2, outC, inC]
    add(`up${level}.tconv.w`, [2, 2, w(level), w(level + 1)], 4 * w(level + 1));
    add(`up${level}.tconv.b`, [w(level)], 0);
    conv(`up${level}.conv0`, 3, 2 * w(level), w(level));
    conv(`up${level}.conv1`, 3, w(level), w(level));
  }
  conv("head", 1, w(0), options.outChannels);
  if (options.lossPredictor) conv("losshead", 1, w(0), 1);
  return { arch: "unet", options, params };
}

/**
 * Runs the U-Net.
 *
 * @param net The network.
 * @param x `[N, H, W, inChannels]`, H and W multiples of 16.
 * @returns `[N, H, W, outChannels]` (no output activation).
 * @throws {RangeError} If the input shape does not fit.
 */
export function unetForward(net: UNet, x: tf.Tensor4D): tf.Tensor4D {
  return unetHead(net, "head", unetFeatures(net, x));
}

/**
 * Applies a 1x1 head (`head` or `losshead`) to the last decoder features.
 *
 * @param net The network.
 * @param name The head's parameter prefix.
 * @param features `[N, H, W, baseWidth]` from {@linkcode unetFeatures}.
 * @returns `[N, H, W, outputs of the head]`.
 * @throws {RangeError} If the head does not exist.
 */
export function unetHead(net: UNet, name: string, features: tf.Tensor4D): tf.Tensor4D {
  const w = net.params.get(`${name}.w`), b = net.params.get(`${name}.b`);
  if (!w || !b) throw new RangeError(`Cannot run U-Net: it has no head "${name}"`);
  return tf.add(tf.conv2d(features, w as tf.Tensor4D, 1, "same"), b) as tf.Tensor4D;
}

/**
 * Runs the U-Net up to (not including) its 1x1 heads.
 *
 * @param net The network.
 * @param x `[N, H, W, inChannels]`, H and W multiples of 16.
 * @returns `[N, H, W, baseWidth]` features of the last decoder level.
 * @throws {RangeError} If the input shape does not fit.
 */
export function unetFeatures(net: UNet, x: tf.Tensor4D): tf.Tensor4D {
  const { bottom, skips } = unetEncoder(net, x);
  const p = param(net);
  const block = convBlock(net);
  let h = bottom;
  for (let level = UNET_DEPTH - 1; level >= 0; level--) {
    const skip = skips[level] as tf.Tensor4D;
    const [n, sh, sw, sc] = skip.shape;
    const up = tf.conv2dTranspose(
      h,
      p(`up${level}.tconv.w`) as tf.Tensor4D,
      [n, sh, sw, sc],
      2,
      "valid",
    );
    h = tf.relu(tf.add(up, p(`up${level}.tconv.b`))) as tf.Tensor4D;
    h = block(tf.concat([skip, h], 3), `up${level}`);
  }
  return h;
}

/**
 * Runs the U-Net's encoder: the four down modules and the bottom module.
 *
 * @param net The network (a full one or an `encoderOnly` one).
 * @param x `[N, H, W, inChannels]`, H and W multiples of 16.
 * @returns `bottom`, `[N, H/16, W/16, 16 * baseWidth]` bottleneck features, and
 *   `skips`, the four down modules' outputs (full resolution first).
 * @throws {RangeError} If the input shape does not fit.
 */
export function unetEncoder(
  net: UNet,
  x: tf.Tensor4D,
): { bottom: tf.Tensor4D; skips: tf.Tensor4D[] } {
  const [, height, width, channels] = x.shape;
  const factor = 2 ** UNET_DEPTH;
  if (height % factor !== 0 || width % factor !== 0) {
    throw new RangeError(
      `Cannot run U-Net: input ${height}x${width} is not a multiple of ${factor} (four 2x2 poolings)`,
    );
  }
  if (channels !== net.options.inChannels) {
    throw new RangeError(
      `Cannot run U-Net: input has ${channels} channels, the network expects ${net.options.inChannels}`,
    );
  }
  const block = convBlock(net);
  const skips: tf.Tensor4D[] = [];
  let h = x;
  for (let level = 0; level < UNET_DEPTH; level++) {
    h = block(h, `down${level}`);
    skips.push(h);
    h = tf.maxPool(h, 2, 2, "valid");
  }
  return { bottom: block(h, "bottom"), skips };
}

function param(net: UNet): (name: string) => tf.Variable {
  return (name) => {
    const v = net.params.get(name);
    if (!v) throw new RangeError(`Cannot run U-Net: parameter "${name}" is missing`);
    return v;
  };
}

/** Two 3x3 convolutions (+ GroupNorm when `options.norm` is `group`) + ReLU of module `name`. */
function convBlock(net: UNet): (h: tf.Tensor4D, name: string) => tf.Tensor4D {
  const p = param(net);
  const norm = net.options.norm ?? "none";
  const groups = net.options.normGroups ?? 8;
  const conv = (h: tf.Tensor4D, name: string) => {
    let y = tf.add(tf.conv2d(h, p(`${name}.w`) as tf.Tensor4D, 1, "same"), p(`${name}.b`));
    if (norm === "group") {
      const channels = y.shape[3] as number;
      y = groupNorm(
        y as tf.Tensor4D,
        p(`${name}.norm.gamma`),
        p(`${name}.norm.beta`),
        groupCount(groups, channels),
      );
    }
    return tf.relu(y) as tf.Tensor4D;
  };
  return (h, name) => conv(conv(h, `${name}.conv0`), `${name}.conv1`);
}

/**
 * Counts a network's parameters.
 *
 * @param net Any network with named parameters (U-Net, ViT, UNETR).
 * @returns The number of scalars.
 */
export function countParams(net: { readonly params: ReadonlyMap<string, tf.Variable> }): number {
  let total = 0;
  for (const v of net.params.values()) total += v.size;
  return total;
}

/**
 * Forward FLOPs of one image (multiply-add = 2 FLOPs), counted analytically
 * for convolutions and transposed convolutions (which dominate).
 *
 * @param options Architecture.
 * @param height Image height.
 * @param width Image width.
 * @returns FLOPs per image for the forward pass.
 */
export function unetForwardFlops(options: UNetOptions, height: number, width: number): number {
  const w = (level: number) => options.baseWidth * 2 ** level;
  let flops = 0;
  let pixels = height * width;
  let cin = options.inChannels;
  const conv = (k: number, a: number, b: number, px: number) => 2 * k * k * a * b * px;
  const levelPixels: number[] = [];
  for (let level = 0; level < UNET_DEPTH; level++) {
    flops += conv(3, cin, w(level), pixels) + conv(3, w(level), w(level), pixels);
    levelPixels.push(pixels);
    cin = w(level);
    pixels /= 4;
  }
  flops += conv(3, cin, w(UNET_DEPTH), pixels) + conv(3, w(UNET_DEPTH), w(UNET_DEPTH), pixels);
  if (options.encoderOnly) return flops;
  for (let level = UNET_DEPTH - 1; level >= 0; level--) {
    const px = levelPixels[level] as number;
    flops += 2 * w(level + 1) * w(level) * px; // 2x2 stride 2: each output pixel gets one tap
    flops += conv(3, 2 * w(level), w(level), px) + conv(3, w(level), w(level), px);
  }
  const heads = options.outChannels + (options.lossPredictor ? 1 : 0);
  return flops + conv(1, w(0), heads, height * width);
}
