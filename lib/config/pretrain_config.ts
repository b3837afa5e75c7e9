/**
 * The pretraining configuration: its type, its defaults (every value a run
 * depends on, with the reason for it), its value rules and cross-checks, the
 * AMLP Table 3 row presets, and its loader. YAML files in `configs/` hold only
 * what differs. The shared sections (run, data, optim) are `common.ts`.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
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
import { type ConfigSchema, loadYamlConfig } from "./load_config.ts";
import { PRETRAIN_PRESETS, type PROTOCOLS } from "./protocols.ts";
import { adaptiveMaskRatio, amrTau, removedPatchCount } from "../mask_ratio.ts";
import {
  type AugmentSection,
  checkPretrainMethod,
  CONTRASTIVE_DOCS,
  CONTRASTIVE_RULES,
  DEFAULT_AUGMENT,
  DEFAULT_PRETRAIN,
  type PretrainSection,
} from "./contrastive_config.ts";

/** Masking strategies (AMLP Table 3 rows and the baselines). */
export const MASK_METHODS = ["random", "mps", "mps_ams", "hpm"] as const;
/** AMLP Table 3 rows; "custom" leaves mask.method, mask.amr and loss as set. */
export const ABLATIONS = [
  "custom",
  "BASE",
  "MPS",
  "AMR",
  "CRCL",
  "MPS-AMR",
  "MPS-CRCL",
  "AMR-CRCL",
  "AMLP",
] as const;
/** Masking order of AMLP Table 4. */
export const MASK_ORDERS = ["hardToEasy", "easyToHard", "random"] as const;
/** How HPM's EMA teacher decay is scheduled (`lib/model/ema.ts`). */
export const EMA_SCHEDULES = ["runLength", "fixed"] as const;
/** Training objectives. */
export const OBJECTIVES = ["mae", "simmim"] as const;

/** A complete, validated configuration. */
export interface Config {
  /** A preset under the settings: `paper`, `cpu`, or none (`custom`), see `protocols.ts`. */
  readonly protocol: (typeof PROTOCOLS)[number];
  readonly run: RunSection;
  readonly data: DataSection;
  readonly model: NormSettings & {
    readonly arch: (typeof ARCHS)[number];
    readonly baseWidth: number;
    /** The ViT masked autoencoder (`arch: vit`); its patch is `mask.patchSize`, its image `data.size`. */
    readonly vit: ViTSection & {
      readonly decoderWidth: number;
      readonly decoderDepth: number;
      readonly decoderHeads: number;
    };
  };
  /** The method: masked image modeling (`mim`) or a contrastive baseline (`contrastive_config.ts`). */
  readonly pretrain: PretrainSection;
  /** The contrastive methods' views (`contrastive_config.ts`). */
  readonly augment: AugmentSection;
  readonly mask: {
    readonly ablation: (typeof ABLATIONS)[number];
    readonly method: (typeof MASK_METHODS)[number];
    readonly order: (typeof MASK_ORDERS)[number];
    readonly amr: {
      readonly enabled: boolean;
      readonly sigma0: number;
      readonly tau: number;
      readonly finalRatio: number;
      readonly maxRatio: number;
    };
    readonly hpm: {
      readonly alpha0: number;
      readonly predictorWeight: number;
      readonly emaSchedule: (typeof EMA_SCHEDULES)[number];
      readonly emaStart: number;
      readonly emaEnd: number;
      readonly emaLagStart: number;
      readonly emaLagEnd: number;
    };
    readonly objective: (typeof OBJECTIVES)[number];
    readonly patchSize: number;
    readonly maskRatio: number;
    readonly normPixLoss: boolean;
    readonly fill: number;
  };
  readonly loss: {
    readonly arl: boolean;
    readonly ccl: boolean;
    readonly arlReading: "weight" | "add";
    readonly cclLabel: "relative" | "kmeans";
  };
  readonly optim: OptimSection;
  readonly train: {
    readonly epochs: number;
    readonly batchSize: number;
    readonly ckptEvery: number;
    readonly lossEvery: number;
    readonly backend: (typeof BACKENDS)[number];
    readonly kernels: (typeof KERNEL_PLACES)[number];
    readonly previewCount: number;
  };
}

/** The defaults: a BASE pretraining run on the embedded phantoms that finishes in minutes on a CPU. */
export const DEFAULT_CONFIG: Config = {
  protocol: "custom", // "paper": the papers' settings; "cpu": scaled to a 2-core machine (lib/config/protocols.ts)
  run: {
    name: "base_phantoms", // runs/<name>/ holds everything the run writes
    seed: 0, // seeds data, initialisation, batch order and masks
    outDir: "runs", // parent folder of all runs
  },
  data: {
    source: "phantoms", // "phantoms" (embedded generator) or "cache" (deno task preprocess output)
    cacheDir: "", // the slice cache folder when source is "cache"
    count: 128, // number of phantom images (source "phantoms")
    size: 64, // phantom side in pixels; a multiple of 16 (four 2x2 poolings)
    seed: -1, // the phantom stream; -1 follows run.seed (a grid keeps it fixed across seeds)
  },
  model: {
    arch: "unet", // "unet" (AMLP's U-Net, zero-filled patches) or "vit" (MAE's ViT: the encoder sees kept tokens only)
    baseWidth: 8, // channels of the first U-Net level; AMLP uses 64, 8 keeps CPU runs short
    norm: "none", // "none" (the papers' U-Net) or "group" (GroupNorm after each 3x3 conv)
    normGroups: 8, // GroupNorm groups (per layer: gcd with its channels)
    vit: {
      // a tiny ViT that trains on a 2-core CPU; ViT-B/16: configs/pretrain_vit_b16_mae.yaml
      width: 128, // D, token width (ViT-B: 768)
      depth: 4, // encoder blocks (ViT-B: 12)
      heads: 4, // attention heads (ViT-B: 12)
      mlpRatio: 4, // MLP hidden units per D (ViT)
      classToken: true, // MAE's class token
      decoderWidth: 64, // MAE's lightweight decoder (ViT-B MAE: 512)
      decoderDepth: 2, // decoder blocks (MAE: 8); HPM's loss predictor has as many
      decoderHeads: 4, // (MAE: 16)
    },
  },
  pretrain: DEFAULT_PRETRAIN, // method "mim" (mask.*, loss.*), or "simclr", "byol", "swav" (augment.*)
  augment: DEFAULT_AUGMENT, // two views per image for the contrastive methods
  mask: {
    ablation: "custom", // a Table 3 row ("BASE" ... "AMLP") sets method, amr and loss at once
    method: "random", // "random" (MAE, BASE), "mps" (AMLP k-means), "mps_ams" (k-means on softmax similarity), "hpm" (hard patches mining)
    order: "easyToHard", // AMLP Table 4: lesion patches last (behind the headline numbers), first, or random; see lib/masking/mask_order.ts
    amr: {
      enabled: false, // AMR: ratio sigma = sigma0 + ln(epoch) / tau instead of maskRatio
      sigma0: 0.25, // AMLP and MPS-AMS
      tau: 12, // AMLP and MPS-AMS ("a final masking ratio of nearly 80%" at epoch 800)
      finalRatio: 0, // > 0: reach this ratio at the last epoch, tau = ln(epochs) / (finalRatio - sigma0), for runs far shorter than 800 epochs
      maxRatio: 0.9, // clamp (ours; the papers do not clamp)
    },
    hpm: {
      alpha0: 0.5, // HPM: at progress t/T, alpha0 * t/T of the removed patches are the predicted hardest
      predictorWeight: 1, // weight of the ranking loss of the loss predictor beside the MIM loss
      emaSchedule: "runLength", // the teacher lags the student by a fraction of the run; "fixed": emaStart -> emaEnd
      emaStart: 0.999, // "fixed": EMA teacher decay at the first step (SelfMedHPM)
      emaEnd: 0.9999, // "fixed": ... rising (cosine) to this at the last step
      emaLagStart: 0.01, // "runLength": the teacher's lag at the first step, a fraction of the run's steps
      emaLagEnd: 0.05, // "runLength": ... rising (cosine) to this at the last step
    },
    objective: "mae", // "mae": L2 on removed patches; "simmim": L1 on removed pixels
    patchSize: 8, // P; 64 px / 8 = an 8 x 8 grid of 64 patches
    maskRatio: 0.5, // fraction of patches removed (fixed for BASE); AMR overrides it per epoch
    normPixLoss: false, // MAE's per-patch target normalisation
    fill: 0, // value of removed pixels; 0 is the mean after z-scoring
  },
  loss: {
    arl: false, // AMLP's attention reconstruction loss (CRCL with ccl)
    ccl: false, // AMLP's category consistency loss
    arlReading: "weight", // "weight": detached L_rrl weights L_pred; "add": L_rrl added as written (zero gradient)
    cclLabel: "kmeans", // eq. 7 as written (binary k-means label, no gradient); "relative": q = w / (1 + w), whose case-4 gradient rewards worse reconstruction
  },
  optim: {
    lr: 2e-3, // peak AdamW learning rate after warmup
    minLr: 1e-4, // floor of the cosine decay
    weightDecay: 0.05, // decoupled, on conv kernels only (MAE)
    beta1: 0.9,
    beta2: 0.95, // MAE's pretraining betas
    warmupEpochs: 2, // linear warmup length, fractional epochs allowed
  },
  train: {
    epochs: 20,
    batchSize: 8,
    ckptEvery: 5, // also at the last epoch
    lossEvery: 4, // read losses back every k steps (one host-device sync per k steps)
    backend: "auto", // tfjs backend; "auto": webgpu on a hardware GPU, wasm on a software adapter
    kernels: "auto", // WGSL kernels on the GPU, or their TS twins ("cpu"); "auto" follows the backend
    previewCount: 4, // images in the final input / masked / reconstruction PNG grid
  },
};

/** Value rules by dotted key; keys without a rule only need the default's type. */
const RULES: Readonly<Record<string, ValueRule>> = {
  ...COMMON_RULES,
  ...NORM_RULES,
  "data.count": intRule(1),
  "model.baseWidth": intRule(1, 512),
  ...VIT_RULES,
  "model.vit.decoderWidth": intRule(4, 8192),
  "model.vit.decoderDepth": intRule(1, 256),
  "model.vit.decoderHeads": intRule(1, 256),
  "mask.method": oneOfRule(MASK_METHODS),
  "mask.ablation": oneOfRule(ABLATIONS),
  "mask.order": oneOfRule(MASK_ORDERS),
  "mask.amr.sigma0": realRule(0, 1),
  "mask.amr.tau": realRule(1e-6, 1e6),
  "mask.amr.maxRatio": realRule(0, 1, true),
  "mask.amr.finalRatio": realRule(0, 1, true),
  "mask.hpm.alpha0": realRule(0, 1),
  "mask.hpm.predictorWeight": realRule(0, 1e3),
  "mask.hpm.emaStart": realRule(0, 1),
  "mask.hpm.emaEnd": realRule(0, 1),
  "mask.hpm.emaSchedule": oneOfRule(EMA_SCHEDULES),
  "mask.hpm.emaLagStart": realRule(1e-6, 1),
  "mask.hpm.emaLagEnd": realRule(1e-6, 1),
  "loss.arlReading": oneOfRule(["weight", "add"]),
  "loss.cclLabel": oneOfRule(["relative", "kmeans"]),
  "mask.objective": oneOfRule(OBJECTIVES),
  "mask.patchSize": intRule(1, 512),
  "mask.maskRatio": realRule(0, 1, true),
  "train.ckptEvery": intRule(1),
  "train.kernels": oneOfRule(KERNEL_PLACES),
  "train.previewCount": intRule(0, 64),
  ...CONTRASTIVE_RULES,
};

/** One line per key: what it means (`--help` and the README's tables come from these). */
export const PRETRAIN_DOCS: Readonly<Record<string, string>> = {
  ...COMMON_DOCS,
  "model.arch":
    "unet (AMLP's U-Net, removed patches zero-filled) or vit (MAE's ViT: the encoder sees kept tokens only)",
  "model.baseWidth": "channels of the first U-Net level (AMLP: 64)",
  ...VIT_DOCS,
  "model.vit.width":
    "ViT token width D, a multiple of 4 and of the heads (ViT-B: 768); the patch is mask.patchSize",
  "model.vit.decoderWidth": "MAE decoder's token width (ViT-B MAE: 512)",
  "model.vit.decoderDepth": "MAE decoder blocks (MAE: 8); HPM's loss predictor has as many",
  "model.vit.decoderHeads": "MAE decoder's attention heads (MAE: 16)",
  ...NORM_DOCS,
  "mask.ablation":
    "a row of AMLP Table 3 (BASE ... AMLP) sets mask.method, mask.amr and loss at once; custom: as set",
  "mask.method":
    "masking: random (MAE, BASE), mps (AMLP k-means), mps_ams (k-means on softmax similarity), hpm",
  "mask.order":
    "AMLP Table 4: likely-lesion patches last (easyToHard, behind its headline numbers), first, or random",
  "mask.amr.enabled": "AMR: mask ratio sigma0 + ln(epoch) / tau instead of mask.maskRatio",
  "mask.amr.sigma0": "AMR: ratio at the first epoch (AMLP, MPS-AMS)",
  "mask.amr.tau": "AMR: growth constant (AMLP, MPS-AMS)",
  "mask.amr.finalRatio":
    "AMR: > 0 reaches this ratio at the last epoch (tau from the run length); 0 uses mask.amr.tau",
  "mask.amr.maxRatio": "AMR: upper clamp of the ratio (ours; the papers do not clamp)",
  "mask.hpm.alpha0": "HPM: final share of predicted-hardest patches among the removed ones",
  "mask.hpm.predictorWeight": "HPM: weight of the loss predictor's ranking loss",
  "mask.hpm.emaSchedule":
    "HPM: runLength (the teacher lags the student by a fraction of the run) or fixed decays",
  "mask.hpm.emaStart": "HPM, fixed schedule: EMA teacher decay at the first step",
  "mask.hpm.emaEnd": "HPM, fixed schedule: EMA teacher decay at the last step (rising on a cosine)",
  "mask.hpm.emaLagStart":
    "HPM, runLength schedule: the teacher's lag at the first step, a fraction of the run",
  "mask.hpm.emaLagEnd": "HPM, runLength schedule: its lag at the last step (rising on a cosine)",
  "mask.objective": "mae: L2 on removed patches; simmim: L1 on removed pixels",
  "mask.patchSize": "patch side P; must divide data.size",
  "mask.maskRatio":
    "fraction of patches removed, floor(L * ratio) >= 1 (AMR overrides it per epoch)",
  "mask.normPixLoss": "MAE's per-patch normalised target",
  "mask.fill": "value of removed pixels (0 = the mean after z-scoring)",
  "loss.arl": "AMLP's attention reconstruction loss (CRCL with loss.ccl)",
  "loss.ccl": "AMLP's category consistency loss",
  "loss.arlReading":
    "weight: detached ARL weights scale the per-patch loss; add: L_rrl added as written",
  "loss.cclLabel":
    "kmeans: eq. 7 as written (no gradient); relative: target w / (1 + w), rewards worse case-4 patches",
  "train.ckptEvery":
    "period of the checkpoint_epoch_NNNN snapshots (checkpoint_last is written every epoch)",
  "train.kernels":
    "WGSL kernels on the GPU (gpu) or their TS twins (cpu); auto follows the backend",
  "train.previewCount": "images in preview.png",
  ...CONTRASTIVE_DOCS,
};

/** The pretraining schema: defaults, value rules and docs (`settings_table.ts`). */
export const PRETRAIN_SCHEMA: ConfigSchema<Config> = {
  presets: PRETRAIN_PRESETS,
  defaults: DEFAULT_CONFIG,
  rules: RULES,
  docs: PRETRAIN_DOCS,
  validate: (value) => validateConfig(value),
};

/**
 * Validates `value` as a complete config.
 *
 * @param value The merged config (defaults + file + overrides).
 * @returns The same object, typed.
 * @throws {ConfigError} On an unknown key, a wrong type or an out-of-range value.
 */
export function validateConfig(value: unknown): Config {
  checkShape(value, DEFAULT_CONFIG, RULES);
  const config = value as Config;
  if (config.data.size % config.mask.patchSize !== 0) {
    throw new ConfigError(
      "mask.patchSize",
      `${config.mask.patchSize} does not divide data.size ${config.data.size}`,
    );
  }
  const problem = commonProblem(config) ?? vitProblem(config);
  if (problem) throw new ConfigError(...problem);
  if (config.mask.hpm.emaEnd < config.mask.hpm.emaStart) {
    throw new ConfigError(
      "mask.hpm.emaEnd",
      `${config.mask.hpm.emaEnd} is below mask.hpm.emaStart ${config.mask.hpm.emaStart}`,
    );
  }
  if (config.mask.hpm.emaLagEnd < config.mask.hpm.emaLagStart) {
    throw new ConfigError(
      "mask.hpm.emaLagEnd",
      `${config.mask.hpm.emaLagEnd} is below mask.hpm.emaLagStart ${config.mask.hpm.emaLagStart}`,
    );
  }
  const { amr } = config.mask;
  if (amr.finalRatio > 0 && !(amr.finalRatio > amr.sigma0 && amr.finalRatio <= amr.maxRatio)) {
    throw new ConfigError(
      "mask.amr.finalRatio",
      `${amr.finalRatio} is not in (sigma0 ${amr.sigma0}, maxRatio ${amr.maxRatio}] (0 uses mask.amr.tau)`,
    );
  }
  checkPretrainMethod(config);
  const resolved = resolveAblation(config);
  checkMaskCounts(resolved);
  if (resolved.mask.method === "hpm" && resolved.loss.ccl) {
    throw new ConfigError(
      "loss.ccl",
      'needs k-means lesion labels, which mask.method "hpm" does not compute; use mps or mps_ams',
    );
  }
  if (resolved.mask.method === "hpm" && resolved.loss.arl) {
    throw new ConfigError(
      "loss.arl",
      'is not defined with mask.method "hpm" (both reweight hard patches; neither AMLP nor HPM combines them)',
    );
  }
  return resolved;
}

/** The ViT's cross-checks, when `model.arch` is `vit`. */
function vitProblem(config: Config): readonly [string, string] | undefined {
  if (config.model.arch !== "vit") return undefined;
  const v = config.model.vit;
  if (config.mask.objective !== "mae") {
    return [
      "mask.objective",
      `"${config.mask.objective}" with model.arch "vit": the ViT is MAE's (encoder on kept tokens only); use "mae"`,
    ];
  }
  if (config.model.norm !== "none") {
    return [
      "model.norm",
      `"${config.model.norm}" with model.arch "vit": GroupNorm is for the U-Net's 3x3 convolutions; use "none"`,
    ];
  }
  return vitWidthProblem(v.width, v.heads, "model.vit.width") ??
    vitWidthProblem(v.decoderWidth, v.decoderHeads, "model.vit.decoderWidth");
}

/**
 * Refuses a masking ratio that removes no patch or every patch of an image at
 * some epoch: with none there is nothing to reconstruct (the loss is a mean
 * over removed patches), with all there is nothing to see. The count is the
 * masking step's (`lib/mask_ratio.ts`), at `mask.maskRatio`, or with AMR at its
 * smallest ratio (epoch 1) and its largest (the last epoch).
 */
function checkMaskCounts(config: Config): void {
  const patches = patchCount(config);
  const side = Math.sqrt(patches);
  const removed = (ratio: number) => removedPatchCount(patches, ratio);
  const { amr } = config.mask;
  const tau = amrTau(amr, config.train.epochs);
  const amrRatio = (epoch: number) =>
    adaptiveMaskRatio(epoch, { sigma0: amr.sigma0, tau, maxRatio: amr.maxRatio });
  const ratios: [string, number][] = amr.enabled
    ? [
      [amr.maxRatio < amr.sigma0 ? "mask.amr.maxRatio" : "mask.amr.sigma0", amrRatio(1)],
      ["mask.amr.maxRatio", amrRatio(config.train.epochs)],
    ]
    : [["mask.maskRatio", config.mask.maskRatio]];
  for (const [key, ratio] of ratios) {
    const count = removed(ratio);
    if (count < 1 || count >= patches) {
      throw new ConfigError(
        key,
        `a masking ratio of ${+ratio.toFixed(6)} removes ${count} of the ${patches} patches ` +
          `(${side} x ${side} of mask.patchSize ${config.mask.patchSize} in data.size ` +
          `${config.data.size}); it must remove at least 1 and keep at least 1`,
      );
    }
  }
}

/**
 * Applies `mask.ablation` (a row of AMLP Table 3) to the settings it decides:
 * MPS on or off (`mask.method`: "mps", or "mps_ams" if that was chosen; a row
 * without MPS masks at random, whatever the method), AMR on or off, and CRCL
 * on or off. CRCL is ARL + CCL with MPS; without MPS it is ARL alone, since
 * "L_ccl depends on the output of MPS, it is excluded when evaluating the part
 * that does not contain MPS" (AMLP sec. 4.8).
 *
 * @param config A validated config.
 * @returns The config with the row applied; unchanged for "custom".
 */
export function resolveAblation(config: Config): Config {
  const row = config.mask.ablation;
  if (row === "custom") return config;
  const parts = row === "AMLP" ? ["MPS", "AMR", "CRCL"] : row === "BASE" ? [] : row.split("-");
  const mps = parts.includes("MPS");
  const method = mps ? (config.mask.method === "mps_ams" ? "mps_ams" : "mps") : "random";
  const crcl = parts.includes("CRCL");
  return {
    ...config,
    mask: { ...config.mask, method, amr: { ...config.mask.amr, enabled: parts.includes("AMR") } },
    loss: { ...config.loss, arl: crcl, ccl: crcl && mps },
  };
}

/**
 * Builds the pretraining config: defaults <- YAML file <- overrides, then validation.
 *
 * @param path A YAML file, or undefined for the defaults alone.
 * @param overrides `key.path=value` strings (values parsed as YAML scalars).
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse (file, line and column named).
 */
export function loadConfig(
  path: string | undefined,
  overrides: readonly string[] = [],
): Promise<Config> {
  return loadYamlConfig(path, overrides, PRETRAIN_SCHEMA);
}

/**
 * L, the number of patches of a `data.size` square image at `mask.patchSize`
 * (validation guarantees that the patch size divides the image side).
 *
 * @param config A validated config.
 * @returns `(data.size / mask.patchSize)^2`.
 * @example
 * ```ts
 * import { DEFAULT_CONFIG, patchCount } from "./pretrain_config.ts";
 * if (patchCount(DEFAULT_CONFIG) !== 64) throw new Error("64 px / 8 = 8 x 8 patches");
 * ```
 */
export function patchCount(config: Config): number {
  return (config.data.size / config.mask.patchSize) ** 2;
}
