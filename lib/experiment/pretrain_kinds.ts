/**
 * The pretraining methods a grid row can name by `kind`. Each kind brings its
 * config defaults (to name unknown override keys), a loader (file <- override
 * layers, validated), the checkpoint a finished run leaves for fine-tuning,
 * and its runner. `mim` is medmim's masked-image-modeling pretraining (BASE,
 * SimMIM, MPS, MPS-AMS, AMLP, HPM, ...) and its contrastive baselines
 * (`pretrain.method` simclr, byol, swav): all one config type, built as the
 * pretrain task builds it (defaults <- the `protocol`'s preset <- file <- layers).
 *
 * A new method with its own config type adds itself
 * with {@linkcode registerPretrainKind}; the grid, its cells, state and report
 * need no change. Its checkpoint must hold U-Net tensors `params/<layer>` that
 * `lib/finetune/load_pretrained.ts` can transfer.
 *
 * @module
 */

import { parse } from "yaml";
import type { Progress } from "../run/progress.ts";
import type { SliceDataset } from "../data/dataset.ts";
import type { DataSection, RunSection } from "../config/common.ts";
import { buildConfig } from "../config/load_config.ts";
import { type Config, DEFAULT_CONFIG, PRETRAIN_SCHEMA } from "../config/pretrain_config.ts";
import { runPretraining } from "../pretrain/run_pretraining.ts";

/** What every pretraining config has: the keys the grid sets for each run. */
export interface PretrainConfigBase {
  readonly run: RunSection;
  readonly data: DataSection;
  readonly model: { readonly baseWidth: number; readonly arch?: string };
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
   * Resolves a row's config: defaults <- each of `under` <- `file` <- each of
   * `layers`, in order, then the kind's validation.
   */
  load(
    file: string,
    layers: readonly unknown[],
    under?: readonly unknown[],
  ): Promise<PretrainConfigBase>;
  /**
   * What fine-tuning loads from this config's checkpoint when a row's `init`
   * is `auto`, and whether it can load the decoder at all.
   */
  transfer(config: PretrainConfigBase): {
    readonly init: "encoder" | "encoder_decoder";
    /** Why `encoder_decoder` cannot be loaded; undefined when it can. */
    readonly noDecoder?: string;
  };
  /** The checkpoint fine-tuning loads, inside the run folder. */
  checkpoint(config: PretrainConfigBase): string;
  /** What the columns of the run's `preview.png` show, for the report. */
  previewCaption(config: PretrainConfigBase): string;
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

const CONTRASTIVE_NAMES: Readonly<Record<string, string>> = {
  simclr: "SimCLR",
  byol: "BYOL",
  swav: "SwAV",
};

/** medmim's pretraining: masked image modeling and the contrastive baselines. */
export const MIM_KIND: PretrainKind = {
  name: "mim",
  defaults: DEFAULT_CONFIG,
  async load(file, layers, under = []) {
    const own = file === "" ? [] : [await readYamlFile(file)];
    return buildConfig(PRETRAIN_SCHEMA, [...under, ...own, ...layers]);
  },
  transfer(config) {
    const method = (config as Config).pretrain.method;
    return method === "mim" ? { init: "encoder_decoder" } : {
      init: "encoder",
      noDecoder: `pretrain.method ${method} trains the encoder only`,
    };
  },
  checkpoint(config) {
    return `${config.run.outDir}/${config.run.name}/checkpoint_last.ckpt`;
  },
  previewCaption(config) {
    return (config as Config).pretrain.method === "mim"
      ? "input | removed patches | masked input | reconstruction"
      : "input | view 1 | view 2";
  },
  describe(config) {
    const c = config as Config;
    const schedule = `${c.train.epochs} epochs, batch ${c.train.batchSize}, lr ${c.optim.lr}`;
    const method = c.pretrain.method;
    if (method !== "mim") {
      const a = c.augment;
      return `${CONTRASTIVE_NAMES[method] ?? method} contrastive, two views ` +
        `(crop >= ${a.cropMinScale}, rotate ${a.rotateDegrees} deg, blur p ${a.blurProbability}), ` +
        `projection ${c.pretrain.projection}, ${schedule}`;
    }
    const m = c.mask;
    const masking = m.ablation !== "custom" ? `AMLP row ${m.ablation}` : m.method;
    const ratio = m.amr.enabled ? `adaptive ratio from ${m.amr.sigma0}` : `ratio ${m.maskRatio}`;
    const losses = [c.loss.arl ? "ARL" : "", c.loss.ccl ? "CCL" : ""].filter((x) => x).join("+");
    const arch = c.model.arch === "vit" ? "ViT, " : "";
    return `${arch}${masking} masking, ${m.objective} objective, ${ratio}, patch ${m.patchSize}` +
      (losses ? `, ${losses}` : "") + `, ${schedule}`;
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
