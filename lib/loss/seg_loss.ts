/**
 * The segmentation objective of fine-tuning: soft Dice plus cross-entropy.
 *
 * - binary (`dice_bce`): logits `[N, H, W, 1]`, p = sigmoid(logits), target = label > 0;
 *   loss = diceWeight * (1 - Dice(p, y)) + BCE(logits, y).
 * - multi-class (`dice_ce`): logits `[N, H, W, K]`, p = softmax over K, target one-hot
 *   of the label (values >= K are an error upstream); loss = diceWeight * mean over
 *   foreground classes 1..K-1 of (1 - Dice) + CE.
 *
 * Dice is computed over the whole batch ("batch Dice"), so a batch whose slices have
 * no foreground still has a defined loss: Dice = (2 sum(p y) + eps) / (sum p + sum y + eps).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

const EPS = 1e-5;

/** Loss settings. */
export interface SegLossOptions {
  readonly kind: "dice_bce" | "dice_ce";
  readonly diceWeight: number;
}

/**
 * The fine-tuning loss.
 *
 * @param logits `[N, H, W, C]` raw network outputs (C = 1 for `dice_bce`, K for `dice_ce`).
 * @param labels `[N, H, W]` int32 class values.
 * @param options Loss kind and Dice weight.
 * @returns The scalar loss.
 * @throws {TypeError} If the channel count does not fit the kind.
 */
export function segmentationLoss(
  logits: tf.Tensor4D,
  labels: tf.Tensor3D,
  options: SegLossOptions,
): tf.Scalar {
  const channels = logits.shape[3];
  if (options.kind === "dice_bce") {
    if (channels !== 1) {
      throw new TypeError(
        `Cannot compute dice_bce loss: logits have ${channels} channels, 1 expected`,
      );
    }
    const x = tf.squeeze(logits, [3]);
    const y = tf.cast(tf.greater(labels, 0), "float32");
    // BCE with logits, stable: max(x, 0) - x y + log(1 + exp(-|x|))
    const bce = tf.mean(
      tf.add(tf.sub(tf.relu(x), tf.mul(x, y)), tf.log1p(tf.exp(tf.neg(tf.abs(x))))),
    );
    const dice = softDice(tf.sigmoid(x), y);
    return tf.add(tf.mul(tf.sub(1, dice), options.diceWeight), bce) as tf.Scalar;
  }
  if (channels < 2) {
    throw new TypeError(
      `Cannot compute dice_ce loss: logits have ${channels} channels, >= 2 expected`,
    );
  }
  const y = tf.oneHot(tf.cast(labels, "int32"), channels); // [N, H, W, K]
  const logp = tf.logSoftmax(logits, 3);
  const ce = tf.neg(tf.mean(tf.sum(tf.mul(y, logp), 3)));
  const p = tf.exp(logp);
  // foreground classes only: background Dice is near 1 and would dilute the signal
  const pf = tf.slice(p, [0, 0, 0, 1], [-1, -1, -1, channels - 1]);
  const yf = tf.slice(y, [0, 0, 0, 1], [-1, -1, -1, channels - 1]);
  const inter = tf.sum(tf.mul(pf, yf), [0, 1, 2]); // [K - 1]
  const denom = tf.add(tf.sum(pf, [0, 1, 2]), tf.sum(yf, [0, 1, 2]));
  const dice = tf.mean(tf.div(tf.add(tf.mul(inter, 2), EPS), tf.add(denom, EPS)));
  return tf.add(tf.mul(tf.sub(1, dice), options.diceWeight), ce) as tf.Scalar;
}

function softDice(p: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const inter = tf.sum(tf.mul(p, y));
  const denom = tf.add(tf.sum(p), tf.sum(y));
  return tf.div(tf.add(tf.mul(inter, 2), EPS), tf.add(denom, EPS)) as tf.Scalar;
}

/**
 * Turns logits into a label map: `sigmoid > 0.5` (i.e. logit > 0) for one
 * channel, argmax over channels otherwise.
 *
 * @param logits `[N, H, W, C]`.
 * @returns `[N, H, W]` int32 labels.
 */
export function logitsToLabels(logits: tf.Tensor4D): tf.Tensor3D {
  if (logits.shape[3] === 1) {
    return tf.cast(tf.greater(tf.squeeze(logits, [3]), 0), "int32") as tf.Tensor3D;
  }
  return tf.argMax(logits, 3) as tf.Tensor3D;
}
