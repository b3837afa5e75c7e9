/**
 * The sections every training config shares (pretraining and fine-tuning):
 * the run's name, seed and folder, where the data comes from, the AdamW
 * settings, and the backend names; with one value rule per shared key. Each
 * config type adds its own keys and defaults (`pretrain_config.ts`,
 * `finetune_config.ts`).
 *
 * @module
 */

import {
  describedRule,
  intRule,
  oneOfRule,
  realRule,
  runNameRule,
  type ValueRule,
} from "./check_shape.ts";
import { PROTOCOLS } from "./protocols.ts";

/** tfjs backends. */
export const BACKENDS = ["auto", "webgpu", "wasm", "cpu"] as const;
/** Where medmim's own kernels run. */
export const KERNEL_PLACES = ["auto", "gpu", "cpu"] as const;
/** Data sources. */
export const DATA_SOURCES = ["phantoms", "cache"] as const;
/** U-Net normalisation after each 3x3 convolution (`lib/model/norm.ts`). */
export const NORM_KINDS = ["none", "group"] as const;

/** `run`: where a run's files go and what seeds it. */
export interface RunSection {
  readonly name: string;
  readonly seed: number;
  readonly outDir: string;
}

/** `data`: the keys every training config has. */
export interface DataSection {
  readonly source: (typeof DATA_SOURCES)[number];
  readonly cacheDir: string;
  readonly count: number;
  readonly size: number;
  /** The phantom stream; -1 follows `run.seed` (a grid keeps it fixed across its seeds). */
  readonly seed: number;
}

/** `optim`: AdamW with linear warmup and cosine decay (`lib/optim/`). */
export interface OptimSection {
  readonly lr: number;
  readonly minLr: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly warmupEpochs: number;
}

/** `model.norm` and `model.normGroups`: the same in both configs (a checkpoint's must match). */
export interface NormSettings {
  readonly norm: (typeof NORM_KINDS)[number];
  readonly normGroups: number;
}

/** Rules of the {@linkcode NormSettings} keys. */
export const NORM_RULES: Readonly<Record<string, ValueRule>> = {
  "model.norm": oneOfRule(NORM_KINDS),
  "model.normGroups": intRule(1, 512),
};

/** Docs of the {@linkcode NormSettings} keys. */
export const NORM_DOCS: Readonly<Record<string, string>> = {
  "model.norm":
    "U-Net only: none (the papers' U-Net) or group: GroupNorm before each 3x3 conv's ReLU (papers silent)",
  "model.normGroups":
    "GroupNorm groups with model.norm group (per layer: the gcd with its channels)",
};

/** Value rules of the shared keys, by dotted key. */
export const COMMON_RULES: Readonly<Record<string, ValueRule>> = {
  protocol: oneOfRule(PROTOCOLS),
  "run.name": runNameRule,
  "run.seed": intRule(0, 2 ** 32 - 1),
  "data.source": oneOfRule(DATA_SOURCES),
  "data.seed": intRule(-1, 2 ** 32 - 1),
  "data.size": describedRule(
    "integer in [16, 4096], a multiple of 16",
    (v) =>
      intRule(16, 4096)(v) ??
        ((v as number) % 16 === 0 ? undefined : `${v} is not a multiple of 16`),
  ),
  "optim.lr": realRule(0, 10),
  "optim.minLr": realRule(0, 10),
  "optim.weightDecay": realRule(0, 10),
  "optim.beta1": realRule(0, 1, true),
  "optim.beta2": realRule(0, 1, true),
  "optim.warmupEpochs": realRule(0, 1e6),
  "train.epochs": intRule(1),
  "train.batchSize": intRule(1, 4096),
  "train.lossEvery": intRule(1, 1e6),
  "train.backend": oneOfRule(BACKENDS),
};

/**
 * One line per shared key: what it means (`--help` and the README's tables,
 * through `settings_table.ts`). A config type may say more for its own use.
 */
export const COMMON_DOCS: Readonly<Record<string, string>> = {
  protocol:
    "a preset under your settings: paper (the papers' values), cpu (scaled to 2 cores), custom (none)",
  "run.name": "folder under run.outDir that holds everything the run writes",
  "run.seed": "seeds data, initialisation, batch order and masks: same seed, same run",
  "run.outDir": "parent folder of the run folder (anywhere: the task is allowed to write there)",
  "data.source":
    "phantoms (built-in generator) or cache (a folder written by deno task preprocess)",
  "data.cacheDir": "the slice cache when data.source is cache",
  "data.count": "number of phantoms (data.source phantoms)",
  "data.size": "image side in pixels (the phantoms', or the cache's)",
  "data.seed":
    "the phantom stream; -1 follows run.seed (an experiment grid fixes it for all its seeds)",
  "optim.lr": "AdamW peak learning rate, after the warmup",
  "optim.minLr": "floor of the cosine decay",
  "optim.weightDecay": "decoupled weight decay, on convolution kernels only",
  "optim.beta1": "AdamW beta1",
  "optim.beta2": "AdamW beta2",
  "optim.warmupEpochs": "linear warmup length in epochs (fractions allowed)",
  "train.epochs": "number of epochs",
  "train.batchSize": "images per step",
  "train.lossEvery": "losses are read back together every k steps (one device sync per k)",
  "train.backend": "tfjs backend; auto: webgpu on a hardware GPU, wasm on a software adapter",
};

/**
 * The cross-checks of the shared sections.
 *
 * @param config A config whose keys and types are already checked.
 * @returns The first problem as `[key, message]`, or undefined.
 * @example
 * ```ts
 * import { commonProblem } from "./common.ts";
 * const p = commonProblem({
 *   data: { source: "cache", cacheDir: "", count: 1, size: 64, seed: -1 },
 *   optim: { lr: 1, minLr: 0, weightDecay: 0, beta1: 0.9, beta2: 0.9, warmupEpochs: 0 },
 * });
 * if (p?.[0] !== "data.cacheDir") throw new Error("an empty cache folder is refused");
 * ```
 */
export function commonProblem(
  config: { readonly data: DataSection; readonly optim: OptimSection },
): readonly [string, string] | undefined {
  if (config.optim.minLr > config.optim.lr) {
    return ["optim.minLr", `${config.optim.minLr} is above optim.lr ${config.optim.lr}`];
  }
  if (config.data.source === "cache" && config.data.cacheDir === "") {
    return ["data.cacheDir", 'is empty but data.source is "cache"'];
  }
  return undefined;
}

/** Network families: AMLP's U-Net, or a ViT (MAE/HPM masked autoencoder, UNETR for fine-tuning). */
export const ARCHS = ["unet", "vit"] as const;

/** `model.vit`: the ViT encoder both configs describe (the masked autoencoder's and UNETR's). */
export interface ViTSection {
  /** D, the token width; a multiple of 4 (sine-cosine embedding) and of `heads`. */
  readonly width: number;
  /** Transformer blocks. */
  readonly depth: number;
  /** Attention heads. */
  readonly heads: number;
  /** MLP hidden units per D (ViT: 4). */
  readonly mlpRatio: number;
  /** A learned class token in front of the patch tokens (MAE: yes). */
  readonly classToken: boolean;
}

/** Doc strings of `model.arch` and the shared `model.vit.*` keys. */
export const VIT_DOCS: Readonly<Record<string, string>> = {
  "model.vit.width": "ViT token width D, a multiple of 4 and of the heads (ViT-B: 768)",
  "model.vit.depth": "ViT encoder blocks (ViT-B: 12)",
  "model.vit.heads": "ViT attention heads (ViT-B: 12)",
  "model.vit.mlpRatio": "MLP hidden units per D in each block (ViT: 4)",
  "model.vit.classToken": "a learned class token in front of the patch tokens (MAE: true)",
};

/** Value rules of `model.arch` and the shared `model.vit.*` keys. */
export const VIT_RULES: Readonly<Record<string, ValueRule>> = {
  "model.arch": oneOfRule(ARCHS),
  "model.vit.width": intRule(4, 8192),
  "model.vit.depth": intRule(1, 256),
  "model.vit.heads": intRule(1, 256),
  "model.vit.mlpRatio": realRule(0.25, 64),
};

/**
 * The cross-check of a ViT's width: a multiple of 4 and of its heads.
 *
 * @param width D.
 * @param heads Attention heads.
 * @param key The dotted key of the width, for the message.
 * @returns `[key, message]`, or undefined when D fits.
 * @example
 * ```ts
 * import { vitWidthProblem } from "./common.ts";
 * if (vitWidthProblem(768, 12, "model.vit.width")) throw new Error("ViT-B fits");
 * if (!vitWidthProblem(100, 8, "model.vit.width")) throw new Error("100 is not a multiple of 8");
 * ```
 */
export function vitWidthProblem(
  width: number,
  heads: number,
  key: string,
): readonly [string, string] | undefined {
  if (width % 4 !== 0 || width % heads !== 0) {
    return [key, `${width} is not a multiple of 4 and of the ${heads} heads`];
  }
  return undefined;
}
