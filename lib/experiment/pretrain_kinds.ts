/**
 * The pretraining methods a grid row can name by `kind`. Each kind brings its
 * config defaults (to name unknown override keys), a loader (file <- override
 * layers, validated), the checkpoint a finished run leaves for fine-tuning,
 * and its runner. `mim` is medmim's masked-image-modeling pretraining (BASE,
 * SimMIM, MPS, MPS-AMS, AMLP, HPM, ...: all one config type).
 *
 * A new method (contrastive SimCLR/BYOL/SwAV, a ViT encoder, ...) adds itself
 * with {@linkcode registerPretrainKind}; the grid, its cells, state and report
 * need no change. Its checkpoint must hold U-Net tensors `params/<layer>` that
 * `lib/finetune/load_pretrained.ts` can transfer.
 *
 * @module
 */

import { parse } from "yaml";
import type { Progress } from "../run/progress.ts";
import type { SliceDataset } from "../data/dataset.ts";
import { mergeConfig } from "../config/check_shape.ts";
import type { DataSection, RunSection } from "../config/common.ts";
import { type Config, DEFAULT_CONFIG, validateConfig } from "../config/pretrain_config.ts";
import { runPretraining } from "../pretrain/run_pretraining.ts";

/** What every pretraining config has: the keys the grid sets for each run. */
export interface PretrainConfigBase {
  readonly run: RunSection;
  readonly data: DataSection;
  readonly model: { readonly baseWidth: number };
  readonly train: { readonly epochs: number; readonly backend: string };
}

/** Options a kind's runner gets from the grid. */
export interface PretrainRunOptions {
  /** Continue from the run's last checkpoint. */
  readonly resume: boolean;
  /** Start the run folder over. */
  readonly force: boolean;
  /** The images to pretrain on (the grid's pretraining set). */
  readonly dataset: SliceDataset;
  readonly progress: Progress | null;
}

/** A pretraining method the grid can run. */
export interface PretrainKind {
  /** The name rows use in `kind:`. */
  readonly name: string;
  /** The config defaults: every key a file or override may set. */
  readonly defaults: PretrainConfigBase;
  /**
   * Resolves a row's config: defaults <- `file` <- each layer in order, then
   * the kind's validation.
   */
  load(file: string, layers: readonly unknown[]): Promise<PretrainConfigBase>;
  /** The checkpoint fine-tuning loads, inside the run folder. */
  checkpoint(config: PretrainConfigBase): string;
  /** One line for the report, e.g. `random masking, MAE loss, ratio 0.5`. */
  describe(config: PretrainConfigBase): string;
  /** Runs (or resumes) the pretraining; the backend is already set. */
  run(config: PretrainConfigBase, options: PretrainRunOptions): Promise<void>;
}

const KINDS = new Map<string, PretrainKind>();

/**
 * Adds a pretraining kind (or replaces one of the same name).
 *
 * @param kind The kind.
 */
export function registerPretrainKind(kind: PretrainKind): void {
  KINDS.set(kind.name, kind);
}

/**
 * The kind a row names.
 *
 * @param name `mim` or a registered name.
 * @returns The kind.
 * @throws {RangeError} If no kind has that name.
 * @example
 * ```ts
 * import { pretrainKind } from "./pretrain_kinds.ts";
 * if (pretrainKind("mim").name !== "mim") throw new Error("mim is built in");
 * ```
 */
export function pretrainKind(name: string): PretrainKind {
  const kind = KINDS.get(name);
  if (!kind) {
    throw new RangeError(
      `Cannot find pretraining kind "${name}" (known: scratch, ${[...KINDS.keys()].join(", ")})`,
    );
  }
  return kind;
}

/**
 * The names of the registered kinds.
 *
 * @returns Kind names, `mim` first.
 */
export function pretrainKindNames(): string[] {
  return [...KINDS.keys()];
}

/**
 * Reads a YAML config file as a plain object (`{}` for an empty file).
 *
 * @param path The file.
 * @returns The parsed mapping.
 * @throws {SyntaxError} If it does not parse.
 */
export async function readYamlFile(path: string): Promise<unknown> {
  const text = await Deno.readTextFile(path);
  try {
    return parse(text) ?? {};
  } catch (error) {
    throw new SyntaxError(`Cannot parse config "${path}": ${(error as Error).message}`);
  }
}

/** medmim's masked-image-modeling pretraining. */
export const MIM_KIND: PretrainKind = {
  name: "mim",
  defaults: DEFAULT_CONFIG,
  async load(file, layers) {
    let merged: unknown = structuredClone(DEFAULT_CONFIG);
    if (file !== "") merged = mergeConfig(merged, await readYamlFile(file));
    for (const layer of layers) merged = mergeConfig(merged, layer);
    return validateConfig(merged);
  },
  checkpoint(config) {
    return `${config.run.outDir}/${config.run.name}/checkpoint_last.ckpt`;
  },
  describe(config) {
    const c = config as Config;
    const m = c.mask;
    const method = m.ablation !== "custom" ? `AMLP row ${m.ablation}` : m.method;
    const ratio = m.amr.enabled ? `adaptive ratio from ${m.amr.sigma0}` : `ratio ${m.maskRatio}`;
    const losses = [c.loss.arl ? "ARL" : "", c.loss.ccl ? "CCL" : ""].filter((x) => x).join("+");
    return `${method} masking, ${m.objective} objective, ${ratio}, patch ${m.patchSize}` +
      (losses ? `, ${losses}` : "") +
      `, ${c.train.epochs} epochs, batch ${c.train.batchSize}, lr ${c.optim.lr}`;
  },
  async run(config, options) {
    await runPretraining(config as Config, {
      resume: options.resume,
      force: options.force,
      dataset: options.dataset,
      progress: options.progress,
    });
  },
};

registerPretrainKind(MIM_KIND);
