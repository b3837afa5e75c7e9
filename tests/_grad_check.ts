// Central finite-difference gradient check for scalar tfjs functions of one
// [N, L] input (run on the cpu backend, f32: eps and tolerance are loose).
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";

/** Asserts tf.grad(f)(x) equals the central difference of f at x. */
export function assertGradMatchesFiniteDifference(
  f: (x: tf.Tensor2D) => tf.Scalar,
  x: tf.Tensor2D,
  { eps = 1e-3, tol = 2e-2, what = "gradient" } = {},
): void {
  const analytic = tf.tidy(() =>
    Float32Array.from(tf.grad((v: tf.Tensor) => f(v as tf.Tensor2D))(x).dataSync())
  );
  const values = Float32Array.from(x.dataSync());
  const numeric = new Float32Array(values.length);
  const at = (v: Float32Array) => tf.tidy(() => f(tf.tensor2d(v, x.shape)).dataSync()[0] as number);
  for (let i = 0; i < values.length; i++) {
    const plus = values.slice(), minus = values.slice();
    plus[i] = (plus[i] as number) + eps;
    minus[i] = (minus[i] as number) - eps;
    numeric[i] = (at(plus) - at(minus)) / (2 * eps);
  }
  assertClose(analytic, numeric, tol, what);
}
