/**
 * Normalisation after each 3x3 convolution of the U-Net (`model.norm`). The
 * papers' U-Net (AMLP sec. 4.5, Ronneberger et al. 2015) has none and the
 * papers say nothing more; U-Nets in practice use GroupNorm or BatchNorm.
 * medmim offers GroupNorm (Wu and He, ECCV 2018): it normalises each image's
 * channel groups over space and channels-in-group, so it behaves the same in
 * training and inference, at batch 1 and with masked inputs, and has no
 * running statistics to carry from pretraining to fine-tuning.
 *
 * Per normalised convolution `<conv>`: `<conv>.norm.gamma` (ones) and
 * `<conv>.norm.beta` (zeros), `[C]` each; neither gets weight decay (AdamW
 * decays `.w` only), both transfer with their layer.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { NORM_KINDS } from "../config/common.ts";
import { groupNormFused } from "./group_norm_fused.ts";

/** A normalisation choice (`model.norm`). */
export type NormKind = (typeof NORM_KINDS)[number];

/** GroupNorm's epsilon (as PyTorch's `nn.GroupNorm`). */
export const GROUP_NORM_EPS = 1e-5;

/**
 * The number of groups GroupNorm uses for `channels` channels: the greatest
 * common divisor of `groups` and `channels`, so every group has as many channels.
 *
 * @param groups The configured group count (`model.normGroups`).
 * @param channels The layer's channels.
 * @returns A divisor of `channels`, at most `groups`.
 * @throws {RangeError} If either is not a positive integer.
 * @example
 * ```ts
 * import { groupCount } from "./norm.ts";
 * if (groupCount(8, 16) !== 8 || groupCount(8, 12) !== 4) throw new Error("gcd");
 * ```
 */
export function groupCount(groups: number, channels: number): number {
  for (const [key, value] of [["groups", groups], ["channels", channels]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot count norm groups: ${key} ${value} is not a positive integer`);
    }
  }
  let a = groups, b = channels;
  while (b) [a, b] = [b, a % b];
  return a;
}

/**
 * GroupNorm of an NHWC tensor: per image and group, subtract the mean and
 * divide by `sqrt(var + eps)` (population variance over H, W and the group's
 * channels), then scale by `gamma` and shift by `beta` per channel. On the
 * webgpu backend it is composed of tfjs ops ({@linkcode groupNormOps}); on
 * the others (tensors in host memory) it is two fused passes each way
 * (`group_norm_fused.ts`), the same function.
 *
 * @param x `[N, H, W, C]`.
 * @param gamma `[C]` scale.
 * @param beta `[C]` shift.
 * @param groups Groups; must divide C.
 * @returns `[N, H, W, C]`.
 * @throws {RangeError} If `groups` does not divide C.
 */
export function groupNorm(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  groups: number,
): tf.Tensor4D {
  checkGroups(groups, x.shape[3]);
  return tf.getBackend() === "webgpu"
    ? groupNormOps(x, gamma, beta, groups)
    : groupNormFused(x, gamma, beta, groups, GROUP_NORM_EPS);
}

/**
 * {@linkcode groupNorm} composed of tfjs ops (reshape, moments, elementwise),
 * differentiated by tfjs: runs on any backend.
 *
 * @param x `[N, H, W, C]`.
 * @param gamma `[C]` scale.
 * @param beta `[C]` shift.
 * @param groups Groups; must divide C.
 * @returns `[N, H, W, C]`.
 * @throws {RangeError} If `groups` does not divide C.
 */
export function groupNormOps(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  groups: number,
): tf.Tensor4D {
  const [n, h, w, c] = x.shape;
  checkGroups(groups, c);
  return tf.tidy(() => {
    const grouped = tf.reshape(x, [n, h, w, groups, c / groups]);
    const { mean, variance } = tf.moments(grouped, [1, 2, 4], true);
    const normed = tf.mul(tf.sub(grouped, mean), tf.rsqrt(tf.add(variance, GROUP_NORM_EPS)));
    return tf.add(tf.mul(tf.reshape(normed, [n, h, w, c]), gamma), beta) as tf.Tensor4D;
  });
}

function checkGroups(groups: number, channels: number): void {
  if (!Number.isInteger(groups) || groups < 1 || channels % groups !== 0) {
    throw new RangeError(
      `Cannot apply GroupNorm: ${groups} groups do not divide ${channels} channels`,
    );
  }
}
