/**
 * HPM's loss-prediction objective (Wang et al., "Hard Patches Mining for Masked
 * Image Modeling", CVPR 2023, used by SelfMedHPM): a pairwise ranking BCE that
 * teaches an auxiliary head to order the removed patches by their true
 * reconstruction loss.
 *
 * For every ordered pair (i, j), i != j, of removed patches of one image with
 * different true losses, y = 1 if L_i > L_j else 0 and the logit is
 * s_i - s_j (the predicted losses): BCE-with-logits
 * `softplus(s_i - s_j) - y (s_i - s_j)`, averaged over the counted pairs of
 * the batch. Ties (L_i == L_j) are skipped; the true loss is detached (it is
 * the target, not trained through this term). Memory is N * L * L values.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { withoutGradient } from "./_stop_gradient.ts";

/**
 * The pairwise ranking loss.
 *
 * @param predicted `[N, L]` predicted per-patch loss (the head's output).
 * @param actual `[N, L]` true per-patch loss (detached inside).
 * @param mask `[N, L]`, 1 = removed; only pairs of removed patches count.
 * @returns A scalar (0 when no pair counts).
 * @throws {TypeError} If the shapes differ or are not `[N, L]`.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { rankingLoss } from "./ranking_loss.ts";
 * const good = rankingLoss(tf.tensor2d([[5, -5]]), tf.tensor2d([[2, 1]]), tf.tensor2d([[1, 1]]));
 * if (!(good.dataSync()[0]! < 1e-3)) throw new Error("correct order costs ~0");
 * ```
 */
export function rankingLoss(
  predicted: tf.Tensor2D,
  actual: tf.Tensor2D,
  mask: tf.Tensor2D,
): tf.Scalar {
  for (const [name, t] of [["actual", actual], ["mask", mask]] as const) {
    if (predicted.rank !== 2 || t.shape.join() !== predicted.shape.join()) {
      throw new TypeError(
        `Cannot compute ranking loss: ${name} [${t.shape}] and predicted [${predicted.shape}] must both be [N, L]`,
      );
    }
  }
  return tf.tidy(() => {
    const [n, l] = predicted.shape;
    const logits = tf.sub(tf.reshape(predicted, [n, l, 1]), tf.reshape(predicted, [n, 1, l])); // [N, L, L]
    // the target and the pair mask are constants (actual is detached)
    const y = withoutGradient([actual], (a) => {
      const diff = tf.sub(tf.reshape(a!, [n, l, 1]), tf.reshape(a!, [n, 1, l]));
      return tf.cast(tf.greater(diff, 0), "float32");
    });
    const pairs = withoutGradient([actual, mask], (a, m) => {
      const diff = tf.sub(tf.reshape(a!, [n, l, 1]), tf.reshape(a!, [n, 1, l]));
      return tf.mul(
        tf.mul(tf.reshape(m!, [n, l, 1]), tf.reshape(m!, [n, 1, l])),
        tf.cast(tf.notEqual(diff, 0), "float32"), // skips ties and i == j
      );
    });
    const bce = tf.sub(tf.softplus(logits), tf.mul(y, logits));
    const count = tf.sum(pairs);
    const zero = withoutGradient([count], (c) => tf.cast(tf.equal(c!, 0), "float32"));
    return tf.div(tf.sum(tf.mul(bce, pairs)), tf.add(count, zero)) as tf.Scalar;
  });
}
