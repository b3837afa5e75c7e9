/**
 * Initialises a segmentation network from a pretraining checkpoint. U-Net
 * (AMLP sec. 4.5): the encoder (`down*`, `bottom*`) or the encoder and decoder
 * (also `up*`); the 1x1 head is always fresh, since it maps to classes
 * instead of intensities. UNETR (SelfMedHPM): the ViT encoder (`encoder.*`)
 * of a ViT masked autoencoder; its convolutional decoder is always fresh, and
 * the autoencoder's decoder and loss predictor are skipped.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Checkpoint } from "../io/checkpoint.ts";
import { ConfigError, WeightShapeError } from "../errors.ts";
import type { Config } from "../config/pretrain_config.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";

/** Which parameters to take from the checkpoint. */
export type TransferMode = "encoder" | "encoder_decoder";

/** What was loaded. */
export interface TransferReport {
  /** Parameter names loaded, in the model's order. */
  readonly loaded: string[];
  /** Parameters left at their fresh initialisation. */
  readonly fresh: string[];
  /** Checkpoint parameters (`params/*`) not loaded, in the checkpoint's order. */
  readonly skipped: string[];
}

/** Any network with named parameters. */
interface Named {
  readonly params: ReadonlyMap<string, tf.Variable>;
}

/**
 * Whether parameter `name` is transferred in `mode`.
 *
 * @param name A U-Net or UNETR parameter name, e.g. `up2.conv0.w`, `encoder.block3.attn.qkv.w`.
 * @param mode The transfer mode.
 * @returns True for `down*`/`bottom*` and `encoder.*` (both modes) and `up*` (encoder_decoder).
 * @example
 * ```ts
 * import { isTransferred } from "./load_pretrained.ts";
 * if (isTransferred("head.w", "encoder_decoder")) throw new Error("head is always fresh");
 * ```
 */
export function isTransferred(name: string, mode: TransferMode): boolean {
  if (name.startsWith("down") || name.startsWith("bottom.") || name.startsWith("encoder.")) {
    return true;
  }
  return mode === "encoder_decoder" && name.startsWith("up");
}

/**
 * Copies the selected `params/<name>` tensors of a checkpoint into `net`.
 * Every shape is checked before anything is assigned, so a refused load
 * leaves `net` untouched.
 *
 * @param net The freshly created network (updated in place).
 * @param ckpt A loaded pretraining checkpoint.
 * @param options `mode` and the checkpoint's `path` (for messages).
 * @returns The loaded, fresh and skipped parameter names.
 * @throws {WeightShapeError} If a selected tensor's shape differs (layer and both shapes named).
 * @throws {RangeError} If a selected tensor is missing from the checkpoint.
 * @throws {ConfigError} If `encoder_decoder` is asked of a contrastive
 *   checkpoint (`pretrain.method` simclr, byol, swav: no decoder was trained).
 */
export function loadPretrainedWeights(
  net: Named,
  ckpt: Checkpoint,
  options: { readonly mode: TransferMode; readonly path: string },
): TransferReport {
  const method = (ckpt.meta.config as { pretrain?: { method?: unknown } } | undefined)?.pretrain
    ?.method;
  if (options.mode === "encoder_decoder" && method !== undefined && method !== "mim") {
    throw new ConfigError(
      "model.init",
      `encoder_decoder needs a decoder, but checkpoint "${options.path}" was pretrained with ` +
        `pretrain.method "${method}", which trains the encoder only; use model.init: encoder`,
    );
  }
  const loaded: string[] = [];
  const fresh: string[] = [];
  const plan: [tf.Variable, Float32Array][] = [];
  for (const [name, variable] of net.params) {
    if (!isTransferred(name, options.mode)) {
      fresh.push(name);
      continue;
    }
    const entry = ckpt.tensors.get(`params/${name}`);
    if (!entry) {
      throw new RangeError(
        `Cannot load "${name}" from checkpoint "${options.path}": tensor "params/${name}" is missing`,
      );
    }
    if (entry.shape.join() !== variable.shape.join()) {
      throw new WeightShapeError(options.path, name, entry.shape, variable.shape);
    }
    plan.push([variable, entry.data]);
    loaded.push(name);
  }
  for (const [variable, data] of plan) {
    tf.tidy(() => variable.assign(tf.tensor(data, variable.shape)));
  }
  const taken = new Set(loaded);
  const skipped = [...ckpt.tensors.keys()]
    .filter((key) => key.startsWith("params/"))
    .map((key) => key.slice("params/".length))
    .filter((name) => !taken.has(name));
  return { loaded, fresh, skipped };
}

/**
 * One line summarising a transfer: counts, scalars and name groups (tensors
 * per module), e.g. `loaded 20 tensors (12345 values): down0(4) ... bottom(4);
 * fresh 2: head(2); skipped 18: up0(6) ... head(2)`.
 *
 * @param net The network.
 * @param report What {@linkcode loadPretrainedWeights} returned.
 * @returns The summary.
 */
export function describeTransfer(net: Named, report: TransferReport): string {
  const values = report.loaded.reduce((s, n) => s + (net.params.get(n)?.size ?? 0), 0);
  return `loaded ${report.loaded.length} tensors (${values} values): ${groups(report.loaded)}; ` +
    `fresh ${report.fresh.length}: ${groups(report.fresh)}; ` +
    `skipped ${report.skipped.length}: ${groups(report.skipped)}`;
}

/** `module(count)` per module, in order; a ViT's module is its first two name parts. */
function groups(names: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const name of names) {
    const parts = name.split(".");
    const twoParts = ["encoder", "decoder", "losspred", "unetr"].includes(parts[0] as string);
    const module = parts.slice(0, twoParts ? 2 : 1).join(".");
    counts.set(module, (counts.get(module) ?? 0) + 1);
  }
  return [...counts].map(([m, n]) => `${m}(${n})`).join(" ") || "none";
}

/**
 * Refuses a pretraining checkpoint whose network cannot initialise the
 * fine-tuning one: another architecture, (U-Net) another `model.norm` or
 * GroupNorm group count, or (ViT) another patch size, width,
 * depth, head count, MLP ratio or class token. Shapes alone would miss a
 * different head count or class token.
 *
 * @param pretrained The checkpoint's pretraining config (its `meta.config`).
 * @param config The fine-tuning config.
 * @param path The checkpoint, for the message.
 * @throws {RangeError} Naming the first key that differs and both values.
 */
export function checkPretrainedArch(
  pretrained: Config | undefined,
  config: FinetuneConfig,
  path: string,
): void {
  const arch = pretrained?.model?.arch ?? "unet"; // checkpoints from before model.arch: U-Nets
  if (arch !== config.model.arch) {
    throw new RangeError(
      `Cannot initialise from "${path}": it holds a "${arch}" network, model.arch is "${config.model.arch}"`,
    );
  }
  if (arch === "unet") {
    // checkpoints from before model.norm: no normalisation
    const norm = pretrained?.model?.norm ?? "none";
    const groups = pretrained?.model?.normGroups ?? 8;
    if (norm !== config.model.norm || (norm === "group" && groups !== config.model.normGroups)) {
      throw new RangeError(
        `Cannot initialise from "${path}": its U-Net has norm ${norm} (${groups} groups), ` +
          `model.norm is ${config.model.norm} (model.normGroups ${config.model.normGroups})`,
      );
    }
  }
  if (arch !== "vit" || !pretrained) return;
  const saved = pretrained.model.vit;
  const pairs: [string, unknown, unknown][] = [
    ["patchSize", pretrained.mask.patchSize, config.model.vit.patchSize],
    ["width", saved.width, config.model.vit.width],
    ["depth", saved.depth, config.model.vit.depth],
    ["heads", saved.heads, config.model.vit.heads],
    ["mlpRatio", saved.mlpRatio, config.model.vit.mlpRatio],
    ["classToken", saved.classToken, config.model.vit.classToken],
  ];
  for (const [key, was, is] of pairs) {
    if (was !== is) {
      throw new RangeError(
        `Cannot initialise from "${path}": its ViT has ${key} ${was}, model.vit.${key} is ${is}`,
      );
    }
  }
}
