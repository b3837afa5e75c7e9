/**
 * Initialises a segmentation U-Net from a pretraining checkpoint (AMLP sec.
 * 4.5): the encoder (`down*`, `bottom*`) or the encoder and decoder (also
 * `up*`); the 1x1 head is always fresh, since it maps to classes instead of
 * intensities.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import type { Checkpoint } from "../io/checkpoint.ts";
import { WeightShapeError } from "../errors.ts";
import type { UNet } from "./unet.ts";

/** Which parameters to take from the checkpoint. */
export type TransferMode = "encoder" | "encoder_decoder";

/** What was loaded. */
export interface TransferReport {
  /** Parameter names loaded, in the model's order. */
  readonly loaded: string[];
  /** Parameters left at their fresh initialisation. */
  readonly fresh: string[];
}

/**
 * Whether parameter `name` is transferred in `mode`.
 *
 * @param name A U-Net parameter name, e.g. `up2.conv0.w`.
 * @param mode The transfer mode.
 * @returns True for `down*`/`bottom*` (both modes) and `up*` (encoder_decoder).
 * @example
 * ```ts
 * import { isTransferred } from "./load_pretrained.ts";
 * if (isTransferred("head.w", "encoder_decoder")) throw new Error("head is always fresh");
 * ```
 */
export function isTransferred(name: string, mode: TransferMode): boolean {
  if (name.startsWith("down") || name.startsWith("bottom.")) return true;
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
 * @returns The loaded and fresh parameter names.
 * @throws {WeightShapeError} If a selected tensor's shape differs (layer and both shapes named).
 * @throws {RangeError} If a selected tensor is missing from the checkpoint.
 */
export function loadPretrainedWeights(
  net: UNet,
  ckpt: Checkpoint,
  options: { readonly mode: TransferMode; readonly path: string },
): TransferReport {
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
  return { loaded, fresh };
}

/**
 * One line summarising a transfer: count, scalars and name groups, e.g.
 * `loaded 20 tensors (12345 values): down0-3.conv0-1.{w,b}, bottom.conv0-1.{w,b}`.
 *
 * @param net The network.
 * @param report What {@linkcode loadPretrainedWeights} returned.
 * @returns The summary.
 */
export function describeTransfer(net: UNet, report: TransferReport): string {
  const values = report.loaded.reduce((s, n) => s + (net.params.get(n)?.size ?? 0), 0);
  const groups = new Map<string, number>();
  for (const name of report.loaded) {
    const module = name.split(".")[0] as string;
    groups.set(module, (groups.get(module) ?? 0) + 1);
  }
  const list = [...groups].map(([m, n]) => `${m}(${n})`).join(" ");
  return `loaded ${report.loaded.length} tensors (${values} values): ${list}; ` +
    `fresh ${report.fresh.length}: ${report.fresh.join(", ")}`;
}
