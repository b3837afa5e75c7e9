// tfjs has no stop_gradient op: an identity whose gradient is zero.
import * as tf from "@tensorflow/tfjs";

const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => ({
  value: tf.clone(args[0] as tf.Tensor),
  gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor),
}));

/** Returns `x` as a value that gradients do not flow through. */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return op(x) as T;
}
