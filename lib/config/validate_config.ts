/**
 * Checks a parsed (untrusted) object against the shape of `DEFAULT_CONFIG`
 * and the value rules, naming the dotted key of the first problem.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import {
  checkShape,
  intRule,
  oneOfRule,
  realRule,
  runNameRule,
  type ValueRule,
} from "./check_shape.ts";
import {
  ABLATIONS,
  BACKENDS,
  type Config,
  DATA_SOURCES,
  DEFAULT_CONFIG,
  KERNEL_PLACES,
  MASK_METHODS,
  MASK_ORDERS,
  OBJECTIVES,
} from "./config.ts";

/** Value rules by dotted key; keys without a rule only need the default's type. */
const RULES: Readonly<Record<string, ValueRule>> = {
  "run.name": runNameRule,
  "run.seed": intRule(0, 2 ** 32 - 1),
  "data.source": oneOfRule(DATA_SOURCES),
  "data.count": intRule(1),
  "data.size": (v) =>
    intRule(16, 4096)(v) ?? ((v as number) % 16 === 0 ? undefined : `${v} is not a multiple of 16`),
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
  "optim.lr": realRule(0, 10),
  "optim.minLr": realRule(0, 10),
  "optim.weightDecay": realRule(0, 10),
  "optim.beta1": realRule(0, 1, true),
  "optim.beta2": realRule(0, 1, true),
  "optim.warmupEpochs": realRule(0, 1e6),
  "train.epochs": intRule(1),
  "train.batchSize": intRule(1, 4096),
  "train.ckptEvery": intRule(1),
  "train.lossEvery": intRule(1, 1e6),
  "train.backend": oneOfRule(BACKENDS),
  "train.kernels": oneOfRule(KERNEL_PLACES),
  "train.previewCount": intRule(0, 64),
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
  if (config.optim.minLr > config.optim.lr) {
    throw new ConfigError(
      "optim.minLr",
      `${config.optim.minLr} is above optim.lr ${config.optim.lr}`,
    );
  }
  if (config.mask.hpm.emaEnd < config.mask.hpm.emaStart) {
    throw new ConfigError(
      "mask.hpm.emaEnd",
      `${config.mask.hpm.emaEnd} is below mask.hpm.emaStart ${config.mask.hpm.emaStart}`,
    );
  }
  if (config.data.source === "cache" && config.data.cacheDir === "") {
    throw new ConfigError("data.cacheDir", 'is empty but data.source is "cache"');
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
