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
  type BACKENDS,
  COMMON_DOCS,
  COMMON_RULES,
  commonProblem,
  type DataSection,
  KERNEL_PLACES,
  type OptimSection,
  type RunSection,
} from "./common.ts";
import { type ConfigSchema, loadYamlConfig } from "./load_config.ts";

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
/** Training objectives. */
export const OBJECTIVES = ["mae", "simmim"] as const;

/** A complete, validated configuration. */
export interface Config {
  readonly run: RunSection;
  readonly data: DataSection;
  readonly model: {
    readonly baseWidth: number;
  };
  readonly mask: {
    readonly ablation: (typeof ABLATIONS)[number];
    readonly method: (typeof MASK_METHODS)[number];
    readonly order: (typeof MASK_ORDERS)[number];
    readonly amr: {
      readonly enabled: boolean;
      readonly sigma0: number;
      readonly tau: number;
      readonly maxRatio: number;
    };
    readonly hpm: {
      readonly alpha0: number;
      readonly predictorWeight: number;
      readonly emaStart: number;
      readonly emaEnd: number;
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
  },
  model: {
    baseWidth: 8, // channels of the first U-Net level; AMLP uses 64, 8 keeps CPU runs short
  },
  mask: {
    ablation: "custom", // a Table 3 row ("BASE" ... "AMLP") sets method, amr and loss at once
    method: "random", // "random" (MAE, BASE), "mps" (AMLP k-means), "mps_ams" (k-means on softmax similarity), "hpm" (hard patches mining)
    order: "hardToEasy", // Table 4: mask likely-lesion patches first, last, or in random order
    amr: {
      enabled: false, // AMR: ratio sigma = sigma0 + ln(epoch) / tau instead of maskRatio
      sigma0: 0.25, // AMLP and MPS-AMS
      tau: 12, // AMLP and MPS-AMS
      maxRatio: 0.9, // clamp (ours; the papers do not clamp)
    },
    hpm: {
      alpha0: 0.5, // HPM: at progress t/T, alpha0 * t/T of the removed patches are the predicted hardest
      predictorWeight: 1, // weight of the ranking loss of the loss predictor beside the MIM loss
      emaStart: 0.999, // EMA teacher decay at the first step (SelfMedHPM)
      emaEnd: 0.9999, // ... rising (cosine) to this at the last step
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
    cclLabel: "relative", // BCE target q = w / (1 + w) from ARL weights; "kmeans": the binary label as written
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
  "data.count": intRule(1),
  "model.baseWidth": intRule(1, 512),
  "mask.method": oneOfRule(MASK_METHODS),
  "mask.ablation": oneOfRule(ABLATIONS),
  "mask.order": oneOfRule(MASK_ORDERS),
  "mask.amr.sigma0": realRule(0, 1),
  "mask.amr.tau": realRule(1e-6, 1e6),
  "mask.amr.maxRatio": realRule(0, 1, true),
  "mask.hpm.alpha0": realRule(0, 1),
  "mask.hpm.predictorWeight": realRule(0, 1e3),
  "mask.hpm.emaStart": realRule(0, 1),
  "mask.hpm.emaEnd": realRule(0, 1),
  "loss.arlReading": oneOfRule(["weight", "add"]),
  "loss.cclLabel": oneOfRule(["relative", "kmeans"]),
  "mask.objective": oneOfRule(OBJECTIVES),
  "mask.patchSize": intRule(1, 512),
  "mask.maskRatio": realRule(0, 1, true),
  "train.ckptEvery": intRule(1),
  "train.kernels": oneOfRule(KERNEL_PLACES),
  "train.previewCount": intRule(0, 64),
};

/** One line per key: what it means (`--help` and the README's tables come from these). */
export const PRETRAIN_DOCS: Readonly<Record<string, string>> = {
  ...COMMON_DOCS,
  "model.baseWidth": "channels of the first U-Net level (AMLP: 64)",
  "mask.ablation":
    "a row of AMLP Table 3 (BASE ... AMLP) sets mask.method, mask.amr and loss at once; custom: as set",
  "mask.method":
    "masking: random (MAE, BASE), mps (AMLP k-means), mps_ams (k-means on softmax similarity), hpm",
  "mask.order": "AMLP Table 4: likely-lesion patches first (hardToEasy), last, or in random order",
  "mask.amr.enabled": "AMR: mask ratio sigma0 + ln(epoch) / tau instead of mask.maskRatio",
  "mask.amr.sigma0": "AMR: ratio at the first epoch (AMLP, MPS-AMS)",
  "mask.amr.tau": "AMR: growth constant (AMLP, MPS-AMS)",
  "mask.amr.maxRatio": "AMR: upper clamp of the ratio (ours; the papers do not clamp)",
  "mask.hpm.alpha0": "HPM: final share of predicted-hardest patches among the removed ones",
  "mask.hpm.predictorWeight": "HPM: weight of the loss predictor's ranking loss",
  "mask.hpm.emaStart": "HPM: EMA teacher decay at the first step",
  "mask.hpm.emaEnd": "HPM: EMA teacher decay at the last step (rising on a cosine)",
  "mask.objective": "mae: L2 on removed patches; simmim: L1 on removed pixels",
  "mask.patchSize": "patch side P; must divide data.size",
  "mask.maskRatio": "fraction of patches removed (AMR overrides it per epoch)",
  "mask.normPixLoss": "MAE's per-patch normalised target",
  "mask.fill": "value of removed pixels (0 = the mean after z-scoring)",
  "loss.arl": "AMLP's attention reconstruction loss (CRCL with loss.ccl)",
  "loss.ccl": "AMLP's category consistency loss",
  "loss.arlReading":
    "weight: detached ARL weights scale the per-patch loss; add: L_rrl added as written",
  "loss.cclLabel":
    "relative: BCE target w / (1 + w) from the ARL weights; kmeans: the binary label as written",
  "train.ckptEvery": "checkpoint period in epochs (and the last epoch)",
  "train.kernels":
    "WGSL kernels on the GPU (gpu) or their TS twins (cpu); auto follows the backend",
  "train.previewCount": "images in preview.png",
};

/** The pretraining schema: defaults, value rules and docs (`settings_table.ts`). */
export const PRETRAIN_SCHEMA: ConfigSchema<Config> = {
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
  const problem = commonProblem(config);
  if (problem) throw new ConfigError(...problem);
  if (config.mask.hpm.emaEnd < config.mask.hpm.emaStart) {
    throw new ConfigError(
      "mask.hpm.emaEnd",
      `${config.mask.hpm.emaEnd} is below mask.hpm.emaStart ${config.mask.hpm.emaStart}`,
    );
  }
  const resolved = resolveAblation(config);
  if (resolved.mask.method === "hpm" && resolved.loss.ccl) {
    throw new ConfigError(
      "loss.ccl",
      'needs k-means lesion labels, which mask.method "hpm" does not compute; use mps or mps_ams',
    );
  }
  return resolved;
}

/**
 * Applies `mask.ablation` (a row of AMLP Table 3) to the settings it decides:
 * MPS on or off (`mask.method`: "mps", or "mps_ams" if that was chosen; a row
 * without MPS masks at random, whatever the method),
 * AMR on or off, and CRCL (ARL + CCL) on or off.
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
    loss: { ...config.loss, arl: crcl, ccl: crcl },
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
