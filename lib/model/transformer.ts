/**
 * The pre-norm transformer block of ViT (Dosovitskiy et al. 2021; timm's
 * `Block`, as MAE uses it): `x + Attn(LN(x))`, then `x + MLP(LN(x))`, with
 * multi-head self-attention (one `qkv` projection, softmax(q k^T / sqrt(Dh)) v,
 * an output projection) and a GELU MLP of `mlpRatio * D` hidden units.
 * LayerNorm eps is 1e-6 (MAE). Functional: parameters come from a map by name.
 *
 * Parameter names under a block prefix `p`: `p.norm1.{g,b}`, `p.attn.qkv.{w,b}`
 * (`[D, 3D]`, output laid out q | k | v, each head-major), `p.attn.proj.{w,b}`,
 * `p.norm2.{g,b}`, `p.mlp.fc1.{w,b}`, `p.mlp.fc2.{w,b}`. Kernels are `[in, out]`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { ParamSpec } from "./param_spec.ts";

/** LayerNorm epsilon (MAE's `partial(nn.LayerNorm, eps=1e-6)`). */
export const LAYER_NORM_EPS = 1e-6;

/** Looks up a parameter; throws naming it when missing. */
export type ParamGetter = (name: string) => tf.Tensor;

/**
 * A parameter getter over a map.
 *
 * @param params The parameters.
 * @param what The network, for the message.
 * @returns A getter that throws a RangeError naming a missing parameter.
 */
export function paramGetter(params: ReadonlyMap<string, tf.Tensor>, what: string): ParamGetter {
  return (name) => {
    const v = params.get(name);
    if (!v) throw new RangeError(`Cannot run ${what}: parameter "${name}" is missing`);
    return v;
  };
}

/**
 * Specs of a linear layer `name.w` `[fanIn, fanOut]` (Xavier uniform) and `name.b` (zeros).
 *
 * @param name The layer's prefix.
 * @param fanIn Inputs.
 * @param fanOut Outputs.
 * @returns Two specs.
 */
export function linearSpecs(name: string, fanIn: number, fanOut: number): ParamSpec[] {
  return [
    { name: `${name}.w`, shape: [fanIn, fanOut], init: { kind: "xavier", fanIn, fanOut } },
    { name: `${name}.b`, shape: [fanOut], init: { kind: "zeros" } },
  ];
}

/**
 * Specs of a LayerNorm `name.g` (ones) and `name.b` (zeros).
 *
 * @param name The layer's prefix.
 * @param dim D.
 * @returns Two specs.
 */
export function layerNormSpecs(name: string, dim: number): ParamSpec[] {
  return [
    { name: `${name}.g`, shape: [dim], init: { kind: "ones" } },
    { name: `${name}.b`, shape: [dim], init: { kind: "zeros" } },
  ];
}

/** MLP hidden units of a block: `floor(D * mlpRatio)` (timm). */
export function mlpHidden(dim: number, mlpRatio: number): number {
  return Math.floor(dim * mlpRatio);
}

/**
 * Specs of one transformer block.
 *
 * @param prefix The block's name, e.g. `encoder.block3`.
 * @param dim D.
 * @param mlpRatio MLP hidden units per D.
 * @returns The block's specs.
 */
export function blockSpecs(prefix: string, dim: number, mlpRatio: number): ParamSpec[] {
  const hidden = mlpHidden(dim, mlpRatio);
  return [
    ...layerNormSpecs(`${prefix}.norm1`, dim),
    ...linearSpecs(`${prefix}.attn.qkv`, dim, 3 * dim),
    ...linearSpecs(`${prefix}.attn.proj`, dim, dim),
    ...layerNormSpecs(`${prefix}.norm2`, dim),
    ...linearSpecs(`${prefix}.mlp.fc1`, dim, hidden),
    ...linearSpecs(`${prefix}.mlp.fc2`, hidden, dim),
  ];
}

/**
 * `x W + b` over the last axis.
 *
 * @param get Parameter getter.
 * @param name The layer's prefix (`name.w`, `name.b`).
 * @param x `[..., in]`.
 * @returns `[..., out]`.
 */
export function linear(get: ParamGetter, name: string, x: tf.Tensor): tf.Tensor {
  const w = get(`${name}.w`) as tf.Tensor2D;
  const [fanIn, fanOut] = w.shape;
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, fanIn]) as tf.Tensor2D;
  return tf.reshape(tf.add(tf.matMul(flat, w), get(`${name}.b`)), [...lead, fanOut]);
}

/**
 * LayerNorm over the last axis: `(x - mean) / sqrt(var + eps) * g + b`.
 *
 * @param get Parameter getter.
 * @param name The layer's prefix (`name.g`, `name.b`).
 * @param x `[..., D]`.
 * @returns The same shape.
 */
export function layerNorm(get: ParamGetter, name: string, x: tf.Tensor): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centred = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centred), -1, true);
  const normed = tf.mul(centred, tf.rsqrt(tf.add(variance, LAYER_NORM_EPS)));
  return tf.add(tf.mul(normed, get(`${name}.g`)), get(`${name}.b`));
}

/**
 * GELU with the exact error function, `x * (1 + erf(x / sqrt(2))) / 2` (PyTorch's default).
 *
 * @param x Any tensor.
 * @returns GELU(x).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/**
 * Multi-head self-attention.
 *
 * @param get Parameter getter.
 * @param prefix The block prefix (`prefix.attn.qkv`, `prefix.attn.proj`).
 * @param x `[N, T, D]`.
 * @param heads H; divides D.
 * @returns `[N, T, D]`.
 */
export function attention(
  get: ParamGetter,
  prefix: string,
  x: tf.Tensor3D,
  heads: number,
): tf.Tensor3D {
  const [n, t, d] = x.shape;
  const dh = d / heads;
  const qkv = linear(get, `${prefix}.attn.qkv`, x);
  const [q, k, v] = tf.split(qkv, 3, 2).map((part) =>
    tf.transpose(tf.reshape(part, [n, t, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D
  ) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
  const scores = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // [N, H, T, T]
  const mixed = tf.matMul(tf.softmax(scores), v); // [N, H, T, Dh]
  const merged = tf.reshape(tf.transpose(mixed, [0, 2, 1, 3]), [n, t, d]);
  return linear(get, `${prefix}.attn.proj`, merged) as tf.Tensor3D;
}

/**
 * One pre-norm transformer block.
 *
 * @param get Parameter getter.
 * @param prefix The block's name.
 * @param x `[N, T, D]`.
 * @param heads Attention heads.
 * @returns `[N, T, D]`.
 */
export function transformerBlock(
  get: ParamGetter,
  prefix: string,
  x: tf.Tensor3D,
  heads: number,
): tf.Tensor3D {
  const h = tf.add(
    x,
    attention(get, prefix, layerNorm(get, `${prefix}.norm1`, x) as tf.Tensor3D, heads),
  );
  const hidden = gelu(linear(get, `${prefix}.mlp.fc1`, layerNorm(get, `${prefix}.norm2`, h)));
  return tf.add(h, linear(get, `${prefix}.mlp.fc2`, hidden)) as tf.Tensor3D;
}
