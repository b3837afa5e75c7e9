/**
 * A network's parameters as a list of specs (name, shape, initialisation),
 * from which the parameter count and the tf.Variables both come, so a count
 * can be checked without allocating a large model.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { makeRng, normal } from "../random.ts";

/** How a parameter starts. */
export type ParamInit =
  /** Glorot/Xavier uniform, U(-a, a) with a = sqrt(6 / (fanIn + fanOut)) (MAE's Linear). */
  | { readonly kind: "xavier"; readonly fanIn: number; readonly fanOut: number }
  /** N(0, std^2), e.g. He-normal std = sqrt(2 / fanIn), or MAE's 0.02 for tokens. */
  | { readonly kind: "normal"; readonly std: number }
  | { readonly kind: "zeros" }
  | { readonly kind: "ones" };

/** One parameter. */
export interface ParamSpec {
  /** Dotted name, e.g. `encoder.block0.attn.qkv.w`. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: ParamInit;
}

/**
 * Counts the scalars of a spec list.
 *
 * @param specs The parameters.
 * @returns The number of scalars.
 * @example
 * ```ts
 * import { countSpecs } from "./param_spec.ts";
 * const n = countSpecs([{ name: "w", shape: [3, 4], init: { kind: "zeros" } }]);
 * if (n !== 12) throw new Error("3 x 4");
 * ```
 */
export function countSpecs(specs: readonly ParamSpec[]): number {
  return specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
}

let created = 0;

/**
 * Creates the variables of a spec list, drawn in list order from `seed` (the
 * same seed gives the same weights on every backend).
 *
 * @param specs The parameters.
 * @param seed Initialisation seed.
 * @param prefix A name for the tfjs variables' scope (they must be globally unique).
 * @returns The variables by name, in list order.
 * @throws {RangeError} If a name repeats.
 */
export function createParams(
  specs: readonly ParamSpec[],
  seed: number,
  prefix: string,
): Map<string, tf.Variable> {
  const rng = makeRng(seed);
  const scope = `${prefix}${++created}`;
  const params = new Map<string, tf.Variable>();
  for (const { name, shape, init } of specs) {
    if (params.has(name)) throw new RangeError(`Cannot create parameters: "${name}" repeats`);
    const size = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(size);
    if (init.kind === "ones") values.fill(1);
    else if (init.kind === "normal") {
      for (let i = 0; i < size; i++) values[i] = init.std * normal(rng);
    } else if (init.kind === "xavier") {
      const a = Math.sqrt(6 / (init.fanIn + init.fanOut));
      for (let i = 0; i < size; i++) values[i] = a * (2 * rng.next() - 1);
    }
    // tidy frees the initial tensor; the variable (which owns a reference) survives it
    params.set(
      name,
      tf.tidy(() => tf.variable(tf.tensor(values, [...shape]), true, `${scope}/${name}`)),
    );
  }
  return params;
}
