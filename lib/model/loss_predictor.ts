/**
 * HPM's auxiliary loss predictor on the U-Net (Wang et al., CVPR 2023;
 * SelfMedHPM): a 1x1 head on the last decoder features gives one value per
 * pixel, and its mean over each P x P patch is the patch's predicted
 * reconstruction loss. Only its order matters (it is trained with the pairwise
 * ranking loss, `lib/loss/ranking_loss.ts`), so it has no activation.
 *
 * HPM puts the predictor on a ViT decoder's tokens; on a U-Net the per-pixel
 * head averaged per patch is the same thing at the patch grid of the mask.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type UNet, unetHead } from "./unet.ts";

/**
 * Predicted per-patch loss.
 *
 * @param net A U-Net created with `lossPredictor: true`.
 * @param features `[N, H, W, baseWidth]` from `unetFeatures`.
 * @param patchSize P; divides H and W.
 * @returns `[N, L]`, L = (H / P) * (W / P), patches in row-major order (as the masks).
 * @throws {RangeError} If the network has no loss predictor or P does not divide the image.
 */
export function predictPatchLoss(
  net: UNet,
  features: tf.Tensor4D,
  patchSize: number,
): tf.Tensor2D {
  const [batch, height, width] = features.shape;
  if (!net.options.lossPredictor) {
    throw new RangeError(
      "Cannot predict patch losses: the U-Net was created without lossPredictor",
    );
  }
  if (height % patchSize !== 0 || width % patchSize !== 0) {
    throw new RangeError(
      `Cannot predict patch losses: patch size ${patchSize} does not divide ${height}x${width}`,
    );
  }
  return tf.tidy(() => {
    const perPixel = unetHead(net, "losshead", features);
    const perPatch = tf.avgPool(perPixel, patchSize, patchSize, "valid");
    return tf.reshape(perPatch, [batch, (height / patchSize) * (width / patchSize)]);
  });
}
