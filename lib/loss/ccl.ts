/**
 * AMLP's category consistency loss (CCL, sec. 3.3, eq. 7) with its label
 * update, and the total loss L_all = L_pred + L_rrl + L_ccl (eq. 8).
 *
 * Label update, per removed patch (kept patches keep label_ori), with
 * hard = L_rrl >= 1 (see `arl.ts`):
 * 1) label_ori 1 and hard -> 1;  2) label_ori 0 and not hard -> 0;
 * 3) label_ori 1, not hard, and 4) label_ori 0, hard -> a fair coin in {0, 1}.
 * The update is not differentiable (comparisons and a coin).
 *
 * The BCE `-[y log(q + xi) + (1 - y) log(1 - q + xi)]`, xi = 1e-10, y = label_new,
 * counts only where label_new != label_ori. What q ("label_ori") is, is
 * ambiguous:
 * 1) `labelOri: "kmeans"` (default): q is the binary k-means label, as eq. 7
 *    is written. Every counted patch costs -log(1e-10) = 23.03: the term
 *    measures the disagreement rate and has no gradient, so CCL changes
 *    training only through nothing but its value (AMLP's Table 5 gain cannot
 *    come from eq. 7 as written).
 * 2) `labelOri: "relative"`: q = w / (1 + w), with w = L_rrl^i attached to
 *    the graph, the model's probability that the patch is foreground as judged
 *    by its reconstruction difficulty (0.5 at average difficulty, the update's
 *    threshold), after sec. 3.3's "the probability distribution predicted by
 *    the model". Its gradient has the wrong sign for a reconstruction network
 *    on case 4: a background patch that the coin relabels lesion (y = 1) lowers
 *    L_ccl by raising q, i.e. by being reconstructed WORSE relative to the
 *    others (`tests/ccl_test.ts` shows it). Case 3 pushes the other way. Kept
 *    as a switch, not the default.
 * The sum is divided by the number of removed patches in the batch, so L_ccl
 * is "BCE per removed patch" and grows with the disagreement rate.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type ArlOptions, arlWeights, attentionReconstructionLoss } from "./arl.ts";
import { maskedMeanLoss } from "./mim_loss.ts";
import { withoutGradient } from "./_stop_gradient.ts";

/** AMLP's xi in eq. 7. */
export const CCL_XI = 1e-10;

/** Options of {@linkcode categoryConsistencyLoss}. */
export interface CclOptions {
  /** What enters the BCE as label_ori: `relative` (default) or `kmeans`. */
  readonly labelOri?: "relative" | "kmeans";
  /** xi (default 1e-10). */
  readonly xi?: number;
}

/**
 * The four-case label update.
 *
 * @param labelOri `[N, L]` k-means labels, 1 = lesion (f32 or int, 0/1).
 * @param weights `[N, L]` ARL weights L_rrl (from `arlWeights`); hard = w >= 1.
 * @param mask `[N, L]`, 1 = removed; kept patches keep their label.
 * @param coin `[N, L]` uniform values in [0, 1); the random label is coin < 0.5.
 * @returns `[N, L]` f32 label_new in {0, 1} (no gradient).
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { updateLabels } from "./ccl.ts";
 * const y = updateLabels(tf.tensor2d([[1, 0, 1, 0]]), tf.tensor2d([[2, 0.5, 0.5, 2]]),
 *   tf.tensor2d([[1, 1, 1, 1]]), tf.tensor2d([[0.9, 0.9, 0.9, 0.1]]));
 * if (y.dataSync().join() !== "1,0,0,1") throw new Error("cases 1-4");
 * ```
 */
export function updateLabels(
  labelOri: tf.Tensor2D,
  weights: tf.Tensor2D,
  mask: tf.Tensor2D,
  coin: tf.Tensor2D,
): tf.Tensor2D {
  for (const [name, t] of [["weights", weights], ["mask", mask], ["coin", coin]] as const) {
    if (t.shape.join() !== labelOri.shape.join()) {
      throw new TypeError(
        `Cannot update CCL labels: ${name} [${t.shape}] differs from labels [${labelOri.shape}]`,
      );
    }
  }
  return tf.tidy(() =>
    withoutGradient([tf.cast(labelOri, "float32"), weights, mask, coin], (lo, w, m, c) => {
      // float arithmetic instead of bool ops: tfjs's wasm backend crashes on
      // Equal/LogicalOr over bool tensors
      const f = (b: tf.Tensor) => tf.cast(b, "float32");
      const ori = f(tf.greater(lo!, 0.5));
      const hard = f(tf.greaterEqual(w!, 1));
      const agree = tf.sub(1, tf.abs(tf.sub(ori, hard))); // cases 1) and 2)
      const kept = f(tf.lessEqual(m!, 0.5));
      const random = f(tf.less(c!, 0.5)); // cases 3) and 4)
      const keep = tf.maximum(agree, kept);
      return tf.add(tf.mul(keep, ori), tf.mul(tf.sub(1, keep), random)) as tf.Tensor2D;
    })
  );
}

/**
 * L_ccl: the BCE of eq. 7 over removed patches whose label changed, divided by
 * the number of removed patches.
 *
 * @param perPatch `[N, L]` per-patch loss (for the `relative` reading).
 * @param mask `[N, L]`, 1 = removed.
 * @param labels `labelOri` (k-means, 0/1) and `labelNew` (from {@linkcode updateLabels}).
 * @param options The reading of label_ori and xi.
 * @returns A scalar.
 * @throws {TypeError} If the shapes differ.
 */
export function categoryConsistencyLoss(
  perPatch: tf.Tensor2D,
  mask: tf.Tensor2D,
  labels: { readonly labelOri: tf.Tensor2D; readonly labelNew: tf.Tensor2D },
  options: CclOptions = {},
): tf.Scalar {
  const { labelOri = "relative", xi = CCL_XI } = options;
  if (labelOri !== "relative" && labelOri !== "kmeans") {
    throw new RangeError(
      `Cannot compute L_ccl: labelOri "${labelOri as string}" is not "relative" or "kmeans"`,
    );
  }
  return tf.tidy(() => {
    const ori = tf.cast(labels.labelOri, "float32");
    const y = labels.labelNew;
    let q: tf.Tensor;
    if (labelOri === "relative") {
      const w = arlWeights(perPatch, mask);
      q = tf.div(w, tf.add(w, 1));
    } else {
      q = ori;
    }
    const bce = tf.neg(tf.add(
      tf.mul(y, tf.log(tf.add(q, xi))),
      tf.mul(tf.sub(1, y), tf.log(tf.add(tf.sub(1, q), xi))),
    ));
    const counted = withoutGradient(
      [mask, y, ori],
      (m, a, b) => tf.mul(m!, tf.cast(tf.notEqual(a!, b!), "float32")),
    );
    const removed = tf.sum(mask);
    const zero = withoutGradient([removed], (r) => tf.cast(tf.equal(r!, 0), "float32"));
    return tf.div(tf.sum(tf.mul(bce, counted)), tf.add(removed, zero)) as tf.Scalar;
  });
}

/** Options of {@linkcode amlpLoss}. */
export interface AmlpLossOptions {
  /** `[N, L]` uniform values in [0, 1) for the random label choice. */
  readonly coin: tf.Tensor2D;
  /** How L_rrl is read (see `arl.ts`). */
  readonly arl?: ArlOptions;
  /** How L_ccl is read. */
  readonly ccl?: CclOptions;
  /** Leave out L_rrl (the MPS / AMR ablations of Table 2). */
  readonly useRrl?: boolean;
  /** Leave out L_ccl. */
  readonly useCcl?: boolean;
}

/** The parts of L_all, all scalars except `labelNew`. */
export interface AmlpLoss {
  readonly total: tf.Scalar;
  readonly pred: tf.Scalar;
  readonly rrl: tf.Scalar;
  readonly ccl: tf.Scalar;
  /** `[N, L]` updated labels (no gradient). */
  readonly labelNew: tf.Tensor2D;
}

/**
 * AMLP's L_all = L_pred + L_rrl + L_ccl (eq. 8), with the label update.
 *
 * @param perPatch `[N, L]` per-patch reconstruction loss (e.g. L2, `patchLossOp`).
 * @param mask `[N, L]`, 1 = removed.
 * @param labelOri `[N, L]` k-means labels, 1 = lesion (MPS's `fg`).
 * @param options The coin and the readings.
 * @returns The total and its parts; the caller disposes them.
 * @throws {TypeError} If the shapes differ.
 */
export function amlpLoss(
  perPatch: tf.Tensor2D,
  mask: tf.Tensor2D,
  labelOri: tf.Tensor2D,
  options: AmlpLossOptions,
): AmlpLoss {
  const { useRrl = true, useCcl = true } = options;
  const pred = maskedMeanLoss(perPatch, mask);
  const rrl = useRrl ? attentionReconstructionLoss(perPatch, mask, options.arl) : tf.scalar(0);
  const labelNew = tf.tidy(() =>
    updateLabels(labelOri, arlWeights(perPatch, mask), mask, options.coin)
  );
  const ccl = useCcl
    ? categoryConsistencyLoss(perPatch, mask, { labelOri, labelNew }, options.ccl)
    : tf.scalar(0);
  const total = tf.addN([pred, rrl, ccl]) as tf.Scalar;
  return { total, pred, rrl, ccl, labelNew };
}
