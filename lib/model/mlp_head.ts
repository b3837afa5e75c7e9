/**
 * The small MLP heads of contrastive pretraining: SimCLR's projection head,
 * BYOL's projector and predictor, SwAV's projection head. Each is
 * `Linear -> BatchNorm -> ReLU -> Linear` (BYOL's and SwAV's heads, SimCLR v2's
 * and its reference code's); the batch norm uses the statistics of the batch
 * it sees (there is no inference mode: the heads are dropped after
 * pretraining, only the encoder transfers).
 *
 * Parameters are added to a network's parameter map under a prefix, e.g.
 * `projector.fc0.w`, `projector.bn0.gamma`, `projector.fc1.b`, so that AdamW,
 * checkpoints and resume treat them as any other parameter (`.w` kernels get
 * weight decay, biases and batch-norm parameters do not).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { makeRng, normal } from "../random.ts";

/** Sizes of an MLP head. */
export interface MlpHeadOptions {
  /** Input features (the encoder's bottleneck channels). */
  readonly inputs: number;
  /** Hidden units. */
  readonly hidden: number;
  /** Output features. */
  readonly outputs: number;
}

/** The batch norm's variance floor (PyTorch's default). */
const BN_EPSILON = 1e-5;

let created = 0;

/**
 * Adds an MLP head's parameters to `params`: He-normal first layer (it feeds a
 * ReLU) without bias, LeCun-normal second layer with a zero bias, batch-norm
 * scale 1 and shift 0.
 *
 * @param params The network's parameter map (updated).
 * @param prefix The head's name, e.g. `projector`.
 * @param options Its sizes.
 * @param seed Initialisation seed.
 * @param trainable False for a target network that only follows by EMA.
 * @throws {RangeError} If a size is not a positive integer or the prefix is taken.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { addMlpHead, mlpHead } from "./mlp_head.ts";
 * const params = new Map<string, tf.Variable>();
 * addMlpHead(params, "projector", { inputs: 4, hidden: 8, outputs: 3 }, 1);
 * const y = mlpHead(params, "projector", tf.ones([2, 4]));
 * if (y.shape.join() !== "2,3") throw new Error("wrong shape");
 * ```
 */
export function addMlpHead(
  params: Map<string, tf.Variable>,
  prefix: string,
  options: MlpHeadOptions,
  seed: number,
  trainable = true,
): void {
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(
        `Cannot create head "${prefix}": ${key} ${value} is not a positive integer`,
      );
    }
  }
  if (params.has(`${prefix}.fc0.w`)) {
    throw new RangeError(`Cannot create head "${prefix}": the network already has one`);
  }
  const rng = makeRng(seed);
  const scope = `head${++created}`;
  const add = (name: string, shape: number[], fill: (i: number) => number) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const values = Float32Array.from({ length: size }, (_, i) => fill(i));
    params.set(
      `${prefix}.${name}`,
      tf.tidy(() => tf.variable(tf.tensor(values, shape), trainable, `${scope}/${prefix}.${name}`)),
    );
  };
  const { inputs, hidden, outputs } = options;
  add("fc0.w", [inputs, hidden], () => Math.sqrt(2 / inputs) * normal(rng));
  add("bn0.gamma", [hidden], () => 1);
  add("bn0.beta", [hidden], () => 0);
  add("fc1.w", [hidden, outputs], () => Math.sqrt(1 / hidden) * normal(rng));
  add("fc1.b", [outputs], () => 0);
}

/**
 * Runs an MLP head: `fc1(relu(bn(fc0(x))))`, the batch norm over the batch axis
 * (fc0 has no bias: the batch norm's shift would cancel it).
 *
 * @param params The parameter map holding the head.
 * @param prefix The head's name.
 * @param x `[N, inputs]` features (N >= 2 for a meaningful batch norm).
 * @returns `[N, outputs]`.
 * @throws {RangeError} If the head is missing.
 */
export function mlpHead(
  params: ReadonlyMap<string, tf.Variable>,
  prefix: string,
  x: tf.Tensor2D,
): tf.Tensor2D {
  const p = (name: string) => {
    const v = params.get(`${prefix}.${name}`);
    if (!v) {
      throw new RangeError(`Cannot run head "${prefix}": parameter "${prefix}.${name}" is missing`);
    }
    return v;
  };
  return tf.tidy(() => {
    const h = tf.matMul(x, p("fc0.w") as tf.Tensor2D);
    const { mean, variance } = tf.moments(h, 0, true);
    const normed = tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, BN_EPSILON)));
    const a = tf.relu(tf.add(tf.mul(normed, p("bn0.gamma")), p("bn0.beta")));
    return tf.add(tf.matMul(a, p("fc1.w") as tf.Tensor2D), p("fc1.b")) as tf.Tensor2D;
  });
}
