/**
 * AdamW (Loshchilov and Hutter, ICLR 2019): Adam with decoupled weight decay,
 * applied to convolution kernels only (not biases), as MAE does. The state is
 * plain named tensors so that checkpoints can save and restore it.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { ADAMW_KERNEL, type AdamWKernelAttrs, wasmAdamWReady } from "../backend/wasm_adamw.ts";

/** Hyperparameters that stay fixed during a run. */
export interface AdamWOptions {
  readonly beta1: number;
  readonly beta2: number;
  readonly weightDecay: number;
  readonly epsilon?: number;
}

/** Optimizer state: step count and the two moments per parameter. */
export interface AdamWState {
  step: number;
  readonly m: Map<string, tf.Variable>;
  readonly v: Map<string, tf.Variable>;
}

/**
 * Creates zero moments for `params`.
 *
 * @param params The parameters, by name.
 * @returns A fresh state.
 */
export function createAdamWState(params: ReadonlyMap<string, tf.Variable>): AdamWState {
  const m = new Map<string, tf.Variable>();
  const v = new Map<string, tf.Variable>();
  for (const [name, p] of params) {
    // tidy frees the zeros; the variables (which own a reference) survive it
    m.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `${p.name}.adam_m`)));
    v.set(name, tf.tidy(() => tf.variable(tf.zerosLike(p), false, `${p.name}.adam_v`)));
  }
  return { step: 0, m, v };
}

/** Whether a parameter gets weight decay: kernels yes, biases no. */
export function decays(name: string): boolean {
  return name.endsWith(".w");
}

/**
 * Applies one AdamW update in place.
 *
 * @param params The parameters.
 * @param grads Their gradients, by tf variable name (`tf.variableGrads`); missing ones are skipped.
 * @param state The optimizer state (updated).
 * @param lr The learning rate of this step.
 * @param options Betas, weight decay, epsilon.
 * @param lrScales Per-parameter factors on `lr` (and so on the decay step), by
 *   parameter name; a name not in the map gets 1.
 *
 * On the wasm backend with medmim's kernels each tensor takes one fused pass
 * (`MedmimAdamW`, `lib/backend/wasm_adamw.ts`) that gives the same float32
 * values as the tensor ops below, bit for bit, in one pass instead of 13.
 */
export function adamWStep(
  params: ReadonlyMap<string, tf.Variable>,
  grads: Readonly<Record<string, tf.Tensor>>,
  state: AdamWState,
  lr: number,
  options: AdamWOptions,
  lrScales?: ReadonlyMap<string, number>,
): void {
  state.step += 1;
  const { beta1, beta2, weightDecay } = options;
  const eps = options.epsilon ?? 1e-8;
  const c1 = 1 - beta1 ** state.step;
  const c2 = 1 - beta2 ** state.step;
  const fused = wasmAdamWReady();
  tf.tidy(() => {
    for (const [name, p] of params) {
      const g = grads[p.name];
      if (!g) continue;
      const m = state.m.get(name) as tf.Variable;
      const v = state.v.get(name) as tf.Variable;
      const scaledLr = lr * (lrScales?.get(name) ?? 1);
      const wd = weightDecay > 0 && decays(name) ? weightDecay : 0;
      if (fused) {
        const attrs: AdamWKernelAttrs = {
          beta1,
          beta2,
          c1,
          c2,
          eps,
          lr: scaledLr,
          weightDecay: wd,
        };
        const [p1, m1, v1] = tf.engine().runKernel(
          ADAMW_KERNEL,
          { p, g, m, v },
          attrs as unknown as tf.NamedAttrMap,
        ) as tf.Tensor[];
        m.assign(m1!);
        v.assign(v1!);
        p.assign(p1!);
        continue;
      }
      const m1 = tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1));
      const v1 = tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2));
      m.assign(m1);
      v.assign(v1);
      let update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), eps));
      if (wd > 0) update = tf.add(update, tf.mul(p, wd));
      p.assign(tf.sub(p, tf.mul(update, scaledLr)));
    }
  });
}
