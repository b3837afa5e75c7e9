// tfjs has no stop_gradient op, and comparison ops (Equal, Greater, ...) have
// no registered gradient, so any comparison on a path from a trained tensor
// makes tf.grad throw. Both helpers run their ops inside a customGrad node
// whose gradient is zero: nothing inside is recorded on the tape.
import * as tf from "@tensorflow/tfjs";

/**
 * Computes `fn(...inputs)` as a constant: gradients do not flow through it.
 * Use it for masks built from comparisons.
 */
export function withoutGradient<T extends tf.Tensor>(
  inputs: readonly tf.Tensor[],
  fn: (...xs: tf.Tensor[]) => T,
): T {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return {
      value: fn(...xs),
      gradFunc: () => xs.map((x) => tf.zerosLike(x)),
    };
  });
  return op(...inputs) as T;
}

/** Returns `x` as a value that gradients do not flow through. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return withoutGradient([x], (v) => tf.clone(v) as T);
}
