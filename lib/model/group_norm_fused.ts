/**
 * GroupNorm as one forward and one backward pass over host memory, for tfjs
 * backends whose tensors live there (wasm, cpu). Composed of tfjs ops
 * (`norm.ts`), GroupNorm costs a transpose and a dozen elementwise kernels
 * each way, which made a width-8 U-Net step on wasm about 2.5x slower; these
 * loops cost about one read and one write of the tensor per pass.
 *
 * Backward (per image n and group g over its S = H * W * C/G values, with
 * `xhat = (x - mean) * inv`, `inv = 1 / sqrt(var + eps)`, `dxhat = dy * gamma`):
 * `dx = inv * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))`,
 * `dgamma[c] = sum(dy * xhat)`, `dbeta[c] = sum(dy)` over n, h, w.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** What the forward pass returns and the backward pass needs. */
export interface GroupNormForward {
  /** `[N, H, W, C]` output. */
  readonly y: Float32Array;
  /** `[N, H, W, C]` normalised input before the affine step. */
  readonly xhat: Float32Array;
  /** `[N, G]` inverse standard deviations. */
  readonly inv: Float64Array;
}

/**
 * GroupNorm forward on an NHWC array.
 *
 * @param x `[N, H, W, C]` values.
 * @param shape `[N, H, W, C]`.
 * @param gamma `[C]`.
 * @param beta `[C]`.
 * @param groups G, a divisor of C.
 * @param eps Added to the variance.
 * @returns Output, normalised input and inverse deviations.
 */
export function groupNormForwardCpu(
  x: Float32Array,
  shape: readonly [number, number, number, number],
  gamma: Float32Array,
  beta: Float32Array,
  groups: number,
  eps: number,
): GroupNormForward {
  const [n, h, w, c] = shape;
  const pixels = h * w, per = c / groups, count = pixels * per;
  const y = new Float32Array(x.length), xhat = new Float32Array(x.length);
  const inv = new Float64Array(n * groups);
  const sum = new Float64Array(c), sq = new Float64Array(c);
  const shift = new Float64Array(c), scale = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    const base = b * pixels * c;
    sum.fill(0);
    sq.fill(0);
    for (let p = 0; p < pixels; p++) {
      const row = base + p * c;
      for (let k = 0; k < c; k++) {
        const v = x[row + k]!;
        sum[k]! += v;
        sq[k]! += v * v;
      }
    }
    for (let g = 0; g < groups; g++) {
      let s = 0, q = 0;
      for (let k = g * per; k < (g + 1) * per; k++) s += sum[k]!, q += sq[k]!;
      const mean = s / count;
      const iv = 1 / Math.sqrt(Math.max(0, q / count - mean * mean) + eps);
      inv[b * groups + g] = iv;
      for (let k = g * per; k < (g + 1) * per; k++) shift[k] = mean, scale[k] = iv;
    }
    for (let p = 0; p < pixels; p++) {
      const row = base + p * c;
      for (let k = 0; k < c; k++) {
        const xh = (x[row + k]! - shift[k]!) * scale[k]!;
        xhat[row + k] = xh;
        y[row + k] = xh * gamma[k]! + beta[k]!;
      }
    }
  }
  return { y, xhat, inv };
}

/**
 * GroupNorm backward from the forward pass's saved values.
 *
 * @param dy `[N, H, W, C]` upstream gradient.
 * @param saved The forward pass's `xhat` and `inv`.
 * @param shape `[N, H, W, C]`.
 * @param gamma `[C]`.
 * @param groups G.
 * @returns `dx` `[N, H, W, C]`, `dgamma` and `dbeta` `[C]`.
 */
export function groupNormBackwardCpu(
  dy: Float32Array,
  saved: Pick<GroupNormForward, "xhat" | "inv">,
  shape: readonly [number, number, number, number],
  gamma: Float32Array,
  groups: number,
): { dx: Float32Array; dgamma: Float32Array; dbeta: Float32Array } {
  const [n, h, w, c] = shape;
  const { xhat, inv } = saved;
  const pixels = h * w, per = c / groups, count = pixels * per;
  const dx = new Float32Array(dy.length);
  const dgamma = new Float64Array(c), dbeta = new Float64Array(c);
  const sd = new Float64Array(c), sdx = new Float64Array(c);
  const a = new Float64Array(c), m1 = new Float64Array(c), m2 = new Float64Array(c);
  for (let b = 0; b < n; b++) {
    const base = b * pixels * c;
    sd.fill(0);
    sdx.fill(0);
    for (let p = 0; p < pixels; p++) {
      const row = base + p * c;
      for (let k = 0; k < c; k++) {
        const d = dy[row + k]!;
        sd[k]! += d;
        sdx[k]! += d * xhat[row + k]!;
      }
    }
    for (let g = 0; g < groups; g++) {
      // mean over the group of dxhat = dy * gamma, and of dxhat * xhat
      let s1 = 0, s2 = 0;
      for (let k = g * per; k < (g + 1) * per; k++) {
        s1 += gamma[k]! * sd[k]!;
        s2 += gamma[k]! * sdx[k]!;
      }
      const iv = inv[b * groups + g]!;
      for (let k = g * per; k < (g + 1) * per; k++) {
        a[k] = iv * gamma[k]!;
        m1[k] = (iv * s1) / count;
        m2[k] = (iv * s2) / count;
      }
    }
    for (let k = 0; k < c; k++) dgamma[k]! += sdx[k]!, dbeta[k]! += sd[k]!;
    for (let p = 0; p < pixels; p++) {
      const row = base + p * c;
      for (let k = 0; k < c; k++) {
        dx[row + k] = a[k]! * dy[row + k]! - m1[k]! - xhat[row + k]! * m2[k]!;
      }
    }
  }
  return { dx, dgamma: Float32Array.from(dgamma), dbeta: Float32Array.from(dbeta) };
}

/**
 * GroupNorm through the two passes above, with its gradient (tf.customGrad).
 * Reads its inputs to host memory: meant for the wasm and cpu backends.
 *
 * @param x `[N, H, W, C]`.
 * @param gamma `[C]`.
 * @param beta `[C]`.
 * @param groups G, a divisor of C (the caller checks).
 * @param eps Added to the variance.
 * @returns `[N, H, W, C]`.
 */
export function groupNormFused(
  x: tf.Tensor4D,
  gamma: tf.Tensor,
  beta: tf.Tensor,
  groups: number,
  eps: number,
): tf.Tensor4D {
  const shape = x.shape;
  const op = tf.customGrad((xs, gs, bs) => {
    const xt = xs as tf.Tensor4D, gt = gs as tf.Tensor, bt = bs as tf.Tensor;
    const g = gt.dataSync() as Float32Array;
    const forward = groupNormForwardCpu(
      xt.dataSync() as Float32Array,
      shape,
      g,
      bt.dataSync() as Float32Array,
      groups,
      eps,
    );
    return {
      value: tf.tensor4d(forward.y, shape),
      gradFunc: (dy: tf.Tensor) => {
        const { dx, dgamma, dbeta } = groupNormBackwardCpu(
          dy.dataSync() as Float32Array,
          forward,
          shape,
          g,
          groups,
        );
        return [tf.tensor4d(dx, shape), tf.tensor1d(dgamma), tf.tensor1d(dbeta)];
      },
    };
  });
  return op(x, gamma, beta) as tf.Tensor4D;
}
