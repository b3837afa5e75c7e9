/**
 * SwAV's prototypes (Caron et al., NeurIPS 2020): K trainable unit vectors in
 * the projection space, stored as the columns of `prototypes.w` `[D, K]` (a
 * bias-free linear layer, as SwAV's `nn.Linear(D, K, bias=False)`). A sample's
 * scores are the cosines between its normalised projection and every
 * prototype. SwAV re-normalises the prototypes before every step
 * ({@linkcode normalizePrototypes}), so the scores stay cosines whatever the
 * optimiser (and its weight decay) did to them.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { makeRng, normal } from "../random.ts";
import { l2Normalize } from "./l2_normalize.ts";

/** The parameter holding the prototypes. */
export const PROTOTYPES = "prototypes.w";

let created = 0;

/**
 * Adds K random unit prototypes of dimension D to `params`.
 *
 * @param params The network's parameter map (updated).
 * @param dim D, the projection size.
 * @param count K, the number of prototypes.
 * @param seed Initialisation seed.
 * @throws {RangeError} If D or K is not a positive integer.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { addPrototypes, prototypeScores } from "./prototypes.ts";
 * const params = new Map<string, tf.Variable>();
 * addPrototypes(params, 4, 3, 1);
 * const s = prototypeScores(params, tf.ones([2, 4])).dataSync();
 * if (s.some((v) => Math.abs(v) > 1 + 1e-6)) throw new Error("scores are cosines");
 * ```
 */
export function addPrototypes(
  params: Map<string, tf.Variable>,
  dim: number,
  count: number,
  seed: number,
): void {
  for (const [key, value] of [["dim", dim], ["count", count]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot create prototypes: ${key} ${value} is not a positive integer`);
    }
  }
  const rng = makeRng(seed);
  const values = Float32Array.from({ length: dim * count }, () => normal(rng));
  params.set(
    PROTOTYPES,
    tf.tidy(() =>
      tf.variable(
        unitColumns(tf.tensor2d(values, [dim, count])),
        true,
        `prototypes${++created}/${PROTOTYPES}`,
      )
    ),
  );
}

/**
 * Scales every prototype (column) to unit length, in place.
 *
 * @param params The parameter map holding `prototypes.w`.
 * @throws {RangeError} If there are no prototypes.
 */
export function normalizePrototypes(params: ReadonlyMap<string, tf.Variable>): void {
  const c = prototypesOf(params);
  tf.tidy(() => c.assign(unitColumns(c as tf.Tensor2D)));
}

/**
 * The scores of projections against the prototypes: `normalize(z) . C`.
 *
 * @param params The parameter map holding `prototypes.w` `[D, K]`.
 * @param z `[N, D]` projections.
 * @returns `[N, K]` scores (cosines when the prototypes are unit vectors).
 * @throws {RangeError} If there are no prototypes.
 */
export function prototypeScores(
  params: ReadonlyMap<string, tf.Variable>,
  z: tf.Tensor2D,
): tf.Tensor2D {
  const c = prototypesOf(params);
  return tf.tidy(() => tf.matMul(l2Normalize(z), c as tf.Tensor2D));
}

function prototypesOf(params: ReadonlyMap<string, tf.Variable>): tf.Variable {
  const c = params.get(PROTOTYPES);
  if (!c) throw new RangeError(`Cannot use prototypes: the network has no "${PROTOTYPES}"`);
  return c;
}

function unitColumns(c: tf.Tensor2D): tf.Tensor2D {
  return tf.transpose(l2Normalize(tf.transpose(c))) as tf.Tensor2D;
}
