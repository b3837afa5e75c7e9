/**
 * Loads a fine-tuned segmentation network back from its checkpoint (for
 * evaluation and export).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint } from "../io/checkpoint.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { createSegNet, type SegNet } from "./seg_net.ts";

/**
 * Loads a fine-tuned checkpoint's weights into a new network of its
 * `model.arch` (U-Net or UNETR).
 *
 * @param path `checkpoint_best.ckpt` or `checkpoint_last.ckpt` of a fine-tuning run.
 * @param options The input channel count.
 * @returns The network and the checkpoint's config.
 * @throws {RangeError} If the file is not a fine-tuning checkpoint or a tensor is missing.
 */
export async function loadFinetunedNet(
  path: string,
  options: { readonly inChannels: number },
): Promise<{ net: SegNet; config: FinetuneConfig; epoch: number }> {
  const ckpt = await loadCheckpoint(path);
  const config = ckpt.meta.config as FinetuneConfig | undefined;
  if (ckpt.meta.kind !== "finetune" || !config) {
    throw new RangeError(`Cannot load "${path}": it is not a fine-tuning checkpoint`);
  }
  // checkpoints from before model.arch hold U-Nets, from before model.norm unnormalised ones
  const model = {
    ...config.model,
    arch: config.model.arch ?? "unet",
    norm: config.model.norm ?? "none",
    normGroups: config.model.normGroups ?? 8,
  };
  const net = createSegNet(
    { ...config, model },
    options.inChannels,
    0,
  );
  for (const [name, variable] of net.params) {
    const entry = ckpt.tensors.get(`params/${name}`);
    if (!entry || entry.shape.join() !== variable.shape.join()) {
      throw new RangeError(
        `Cannot load "${path}": tensor "params/${name}" is missing or has another shape`,
      );
    }
    tf.tidy(() => variable.assign(tf.tensor(entry.data, variable.shape)));
  }
  return { net, config, epoch: Number(ckpt.meta.epoch) };
}
