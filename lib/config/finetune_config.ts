/**
 * The typed fine-tuning configuration (AMLP sec. 4.5: U-Net fine-tuned on a
 * fraction of labelled patients), its defaults, validation and loading. Same
 * pattern and shared sections as the pretraining config (`common.ts`):
 * defaults <- YAML <- `key.path=value` overrides, then validation naming the
 * offending key.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { type ConfigSchema, loadYamlConfig } from "./load_config.ts";
import { FINETUNE_PRESETS, type PROTOCOLS } from "./protocols.ts";
import { checkShape, intRule, oneOfRule, realRule, type ValueRule } from "./check_shape.ts";
import {
  type ARCHS,
  type BACKENDS,
  COMMON_DOCS,
  COMMON_RULES,
  commonProblem,
  type DataSection,
  KERNEL_PLACES,
  NORM_DOCS,
  NORM_RULES,
  type NormSettings,
  type OptimSection,
  type RunSection,
  VIT_DOCS,
  VIT_RULES,
  type ViTSection,
  vitWidthProblem,
} from "./common.ts";

/** Label fractions of the training patients (AMLP: 5% and 10%; also 50% and 100%). */
export const LABEL_FRACTIONS = [0.05, 0.1, 0.5, 1] as const;
/** Weight initialisation: from scratch, or a pretraining checkpoint's encoder (+ decoder). */
export const INIT_MODES = ["scratch", "encoder", "encoder_decoder"] as const;
/** Losses: binary Dice + BCE (sigmoid, 1 output) or multi-class Dice + CE (softmax, K outputs). */
export const LOSS_KINDS = ["dice_bce", "dice_ce"] as const;
/** Evaluation regions: presets of `lib/metrics/multiclass.ts`, or one region per class. */
export const REGION_PRESETS = ["foreground", "classes", "hippocampus", "brats"] as const;

/** A complete, validated fine-tuning config. */
export interface FinetuneConfig {
  /** A preset under the settings: `paper`, `cpu`, or none (`custom`), see `protocols.ts`. */
  readonly protocol: (typeof PROTOCOLS)[number];
  readonly run: RunSection;
  readonly data: DataSection & {
    readonly labelFraction: (typeof LABEL_FRACTIONS)[number];
    readonly splitSeed: number;
  };
  readonly model: NormSettings & {
    readonly arch: (typeof ARCHS)[number];
    readonly baseWidth: number;
    /** UNETR's encoder (`arch: vit`); its image is `data.size`. */
    readonly vit: ViTSection & { readonly patchSize: number };
    /** UNETR's convolutional decoder (`arch: vit`). */
    readonly unetr: { readonly featureSize: number };
    readonly numClasses: number;
    readonly init: (typeof INIT_MODES)[number];
    readonly checkpoint: string;
  };
  readonly loss: {
    readonly kind: (typeof LOSS_KINDS)[number];
    readonly diceWeight: number;
  };
  readonly optim: OptimSection & {
    readonly transferLrScale: number;
    readonly layerDecay: number;
  };
  readonly train: {
    readonly epochs: number;
    readonly batchSize: number;
    readonly dropLast: boolean;
    readonly backend: (typeof BACKENDS)[number];
    readonly valEvery: number;
    readonly lossEvery: number;
  };
  readonly eval: {
    readonly regions: (typeof REGION_PRESETS)[number];
    readonly overlays: number;
    readonly edt: (typeof KERNEL_PLACES)[number];
  };
}

/** Defaults: binary lesion segmentation of the phantoms at 10% labels, from scratch. */
export const DEFAULT_FINETUNE_CONFIG: FinetuneConfig = {
  protocol: "custom", // "paper": the papers' settings; "cpu": scaled to a 2-core machine (lib/config/protocols.ts)
  run: {
    name: "finetune_phantoms", // runs/<name>/ holds everything the run writes
    seed: 0, // seeds phantoms, head/scratch init and batch order
    outDir: "runs", // parent folder of all runs
  },
  data: {
    source: "phantoms", // "phantoms" (embedded, labelled) or "cache" (preprocess output, mode finetune)
    cacheDir: "", // the slice cache folder when source is "cache"
    count: 200, // phantom images (each its own patient); 10% of the 160 training ones = 16
    size: 64, // phantom side; a multiple of 16
    labelFraction: 0.1, // fraction of training patients whose labels are used (AMLP: 0.05, 0.1)
    splitSeed: 0, // seeds the 8:1:1 patient split and the nested label fractions
    seed: -1, // the phantom stream; -1 follows run.seed (a grid keeps it fixed across seeds)
  },
  model: {
    arch: "unet", // "unet" (AMLP's U-Net) or "vit" (UNETR: a ViT encoder and a convolutional decoder)
    baseWidth: 8, // must equal the pretraining checkpoint's
    vit: {
      // UNETR's encoder: the pretraining ViT's (configs/pretrain_vit_mae.yaml); ViT-B/16 in finetune_unetr_b16.yaml
      patchSize: 8, // P, the pretraining run's mask.patchSize; a power of two (one 2x upsampling per factor)
      width: 128, // D
      depth: 4, // blocks; skip connections from blocks round(j * depth / log2(P)), j = 1..log2(P)-1
      heads: 4,
      mlpRatio: 4,
      classToken: true, // carried by the encoder, dropped from the token maps
    },
    unetr: {
      featureSize: 16, // channels at full resolution, doubling per level (MONAI's feature_size)
    },
    norm: "none", // "none" or "group" (GroupNorm); must equal the pretraining checkpoint's
    normGroups: 8, // GroupNorm groups (per layer: gcd with its channels)
    numClasses: 1, // output channels: 1 = binary (sigmoid), K >= 2 = classes incl. background (softmax)
    init: "scratch", // "scratch", "encoder" (U-Net: down*, bottom*; ViT: encoder.*) or "encoder_decoder" (U-Net: + up*); head always fresh
    checkpoint: "", // pretraining checkpoint for init != scratch
  },
  loss: {
    kind: "dice_bce", // "dice_bce" with numClasses 1, "dice_ce" with numClasses >= 2
    diceWeight: 1, // loss = diceWeight * dice + (bce | ce)
  },
  optim: {
    lr: 1e-3, // peak AdamW learning rate after warmup
    minLr: 1e-5, // floor of the cosine decay
    weightDecay: 1e-4, // decoupled, on conv kernels only
    beta1: 0.9,
    beta2: 0.999, // the usual fine-tuning betas
    warmupEpochs: 5, // linear warmup, fractional epochs allowed
    transferLrScale: 1, // lr factor of the transferred (pretrained) parameters; 1 = one lr for all
    layerDecay: 1, // layer-wise lr decay along the forward path when init != scratch; 1 = none
  },
  train: {
    epochs: 60,
    batchSize: 4,
    dropLast: true, // drop each epoch's last partial batch, as MAE's fine-tuning loader
    backend: "auto", // tfjs backend; see lib/backend/init_tf.ts
    valEvery: 2, // epochs between validations (and at the last epoch); best checkpoint by val Dice
    lossEvery: 4, // read losses back every k steps (one host-device sync per k steps)
  },
  eval: {
    regions: "foreground", // metric regions; "classes": one region per class 1..K-1
    overlays: 8, // overlay PNGs written by evaluate (first N test cases)
    edt: "auto", // HD95's distance transforms: "gpu" (edt.wgsl), "cpu" (TS), "auto" (gpu on hardware adapters only)
  },
};

const RULES: Readonly<Record<string, ValueRule>> = {
  ...COMMON_RULES,
  ...NORM_RULES,
  "data.count": intRule(3),
  "data.labelFraction": oneOfRule(LABEL_FRACTIONS),
  "data.splitSeed": intRule(0, 2 ** 32 - 1),
  "model.baseWidth": intRule(1, 512),
  ...VIT_RULES,
  "model.vit.patchSize": intRule(2, 512),
  "model.unetr.featureSize": intRule(1, 1024),
  "model.numClasses": intRule(1, 255),
  "model.init": oneOfRule(INIT_MODES),
  "loss.kind": oneOfRule(LOSS_KINDS),
  "loss.diceWeight": realRule(0, 100),
  "optim.transferLrScale": realRule(0, 100),
  "optim.layerDecay": realRule(0, 1),
  "train.valEvery": intRule(1),
  "eval.regions": oneOfRule(REGION_PRESETS),
  "eval.overlays": intRule(0, 10000),
  "eval.edt": oneOfRule(KERNEL_PLACES),
};

/** One line per key: what it means (`--help` and the README's tables come from these). */
export const FINETUNE_DOCS: Readonly<Record<string, string>> = {
  ...COMMON_DOCS,
  "run.seed": "seeds phantoms, head and scratch initialisation, and batch order",
  "data.source":
    "phantoms (built-in, labelled) or cache (deno task preprocess output, mode finetune)",
  "data.count": "number of phantoms, each its own patient",
  "data.labelFraction": "fraction of the training patients whose labels are used (AMLP: 0.05, 0.1)",
  "data.splitSeed": "seeds the 8:1:1 patient split and the nested label fractions",
  "model.arch": "unet (AMLP's U-Net) or vit (UNETR: a ViT encoder and a convolutional decoder)",
  "model.baseWidth": "channels of the first U-Net level; must equal the pretraining checkpoint's",
  ...VIT_DOCS,
  "model.vit.patchSize":
    "UNETR's patch P, a power of two; as the pretraining run's mask.patchSize (checked)",
  "model.unetr.featureSize": "UNETR's channels at full resolution, doubling per level (MONAI: 16)",
  ...NORM_DOCS,
  "model.numClasses": "outputs: 1 = binary (sigmoid), K >= 2 = classes incl. background (softmax)",
  "model.init":
    "scratch, encoder (U-Net: down*, bottom*; ViT: its encoder) or encoder_decoder (U-Net: also up*) from model.checkpoint",
  "model.checkpoint": "pretraining checkpoint to start from when model.init is not scratch",
  "loss.kind": "dice_bce with model.numClasses 1, dice_ce with model.numClasses >= 2",
  "loss.diceWeight": "loss = diceWeight * Dice + (BCE or CE)",
  "optim.transferLrScale":
    "lr factor of the transferred parameters (the fresh ones train at optim.lr); papers silent",
  "optim.layerDecay":
    "U-Net only: lr decay layerDecay ^ (9 - depth) from the head back (init != scratch); 1 = none",
  "train.dropLast":
    "drop each epoch's last partial batch (MAE); false: every labelled image once an epoch",
  "train.valEvery":
    "epochs between validations (and the last); the best by validation Dice is kept",
  "eval.regions":
    "metric regions: foreground (labels > 0), classes (one per class), hippocampus, brats",
  "eval.overlays": "overlay PNGs written by evaluate (the first N test cases)",
  "eval.edt":
    "HD95's distance transforms: gpu (edt.wgsl), cpu (TS), auto (gpu on hardware adapters)",
};

/** The fine-tuning schema: defaults, value rules and docs (`settings_table.ts`). */
export const FINETUNE_SCHEMA: ConfigSchema<FinetuneConfig> = {
  presets: FINETUNE_PRESETS,
  defaults: DEFAULT_FINETUNE_CONFIG,
  rules: RULES,
  docs: FINETUNE_DOCS,
  validate: (value) => validateFinetuneConfig(value),
};

/**
 * Validates `value` as a complete fine-tuning config.
 *
 * @param value Defaults + file + overrides, merged.
 * @returns The same object, typed.
 * @throws {ConfigError} On an unknown key, a wrong type, an out-of-range value
 *   or an inconsistent pair (the key named).
 */
export function validateFinetuneConfig(value: unknown): FinetuneConfig {
  checkShape(value, DEFAULT_FINETUNE_CONFIG, RULES);
  const c = value as FinetuneConfig;
  const problem = commonProblem(c);
  if (problem) throw new ConfigError(...problem);
  if (c.model.arch === "vit") {
    const vit = vitFinetuneProblem(c);
    if (vit) throw new ConfigError(...vit);
  }
  if (c.model.init !== "scratch" && c.model.checkpoint === "") {
    throw new ConfigError("model.checkpoint", `is empty but model.init is "${c.model.init}"`);
  }
  if (c.loss.kind === "dice_bce" && c.model.numClasses !== 1) {
    throw new ConfigError(
      "model.numClasses",
      `${c.model.numClasses} with loss.kind "dice_bce" (binary: use 1, or loss.kind "dice_ce")`,
    );
  }
  if (c.loss.kind === "dice_ce" && c.model.numClasses < 2) {
    throw new ConfigError(
      "model.numClasses",
      `${c.model.numClasses} with loss.kind "dice_ce" (classes incl. background: use >= 2)`,
    );
  }
  return c;
}

/** UNETR's cross-checks. */
function vitFinetuneProblem(c: FinetuneConfig): readonly [string, string] | undefined {
  const { patchSize, width, heads } = c.model.vit;
  if (2 ** Math.round(Math.log2(patchSize)) !== patchSize) {
    return ["model.vit.patchSize", `${patchSize} is not a power of two (UNETR upsamples by 2)`];
  }
  if (c.data.size % patchSize !== 0) {
    return ["model.vit.patchSize", `${patchSize} does not divide data.size ${c.data.size}`];
  }
  if (c.model.init === "encoder_decoder") {
    return [
      "model.init",
      `"encoder_decoder" with model.arch "vit": UNETR's convolutional decoder has no pretrained counterpart; use "encoder"`,
    ];
  }
  if (c.model.norm !== "none") {
    return [
      "model.norm",
      `"${c.model.norm}" with model.arch "vit": GroupNorm is for the U-Net's 3x3 convolutions; use "none"`,
    ];
  }
  if (c.optim.layerDecay !== 1) {
    return [
      "optim.layerDecay",
      `${c.optim.layerDecay} with model.arch "vit": the decay follows the U-Net's levels; use 1`,
    ];
  }
  return vitWidthProblem(width, heads, "model.vit.width");
}

/**
 * Builds the fine-tuning config: defaults <- YAML file <- overrides, then validation.
 *
 * @param path A YAML file, or undefined for the defaults alone.
 * @param overrides `key.path=value` strings (values parsed as YAML scalars).
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse.
 */
export function loadFinetuneConfig(
  path: string | undefined,
  overrides: readonly string[] = [],
): Promise<FinetuneConfig> {
  return loadYamlConfig(path, overrides, FINETUNE_SCHEMA);
}
