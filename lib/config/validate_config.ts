/**
 * Checks a parsed (untrusted) object against the shape of `DEFAULT_CONFIG`
 * and the value rules, naming the dotted key of the first problem.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
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

type Rule = (value: unknown) => string | undefined;

const int = (min: number, max = Number.MAX_SAFE_INTEGER): Rule => (v) =>
  Number.isInteger(v) && (v as number) >= min && (v as number) <= max
    ? undefined
    : `${JSON.stringify(v)} is not an integer in [${min}, ${max}]`;
const real = (min: number, max: number, openMax = false): Rule => (v) =>
  typeof v === "number" && Number.isFinite(v) && v >= min && (openMax ? v < max : v <= max)
    ? undefined
    : `${JSON.stringify(v)} is not a number in [${min}, ${max}${openMax ? ")" : "]"}`;
const oneOf = (values: readonly string[]): Rule => (v) =>
  values.includes(v as string)
    ? undefined
    : `${JSON.stringify(v)} is not one of ${values.join(", ")}`;
const name: Rule = (v) =>
  /^[A-Za-z0-9._-]{1,100}$/.test(String(v)) && v !== "." && v !== ".."
    ? undefined
    : `${JSON.stringify(v)} is not a run name (letters, digits, . _ -)`;

/** Value rules by dotted key; keys without a rule only need the default's type. */
const RULES: Readonly<Record<string, Rule>> = {
  "run.name": name,
  "run.seed": int(0, 2 ** 32 - 1),
  "data.source": oneOf(DATA_SOURCES),
  "data.count": int(1),
  "data.size": (v) =>
    int(16, 4096)(v) ?? ((v as number) % 16 === 0 ? undefined : `${v} is not a multiple of 16`),
  "model.baseWidth": int(1, 512),
  "mask.method": oneOf(MASK_METHODS),
  "mask.ablation": oneOf(ABLATIONS),
  "mask.order": oneOf(MASK_ORDERS),
  "mask.amr.sigma0": real(0, 1),
  "mask.amr.tau": real(1e-6, 1e6),
  "mask.amr.maxRatio": real(0, 1, true),
  "loss.arlReading": oneOf(["weight", "add"]),
  "loss.cclLabel": oneOf(["relative", "kmeans"]),
  "mask.objective": oneOf(OBJECTIVES),
  "mask.patchSize": int(1, 512),
  "mask.maskRatio": real(0, 1, true),
  "optim.lr": real(0, 10),
  "optim.minLr": real(0, 10),
  "optim.weightDecay": real(0, 10),
  "optim.beta1": real(0, 1, true),
  "optim.beta2": real(0, 1, true),
  "optim.warmupEpochs": real(0, 1e6),
  "train.epochs": int(1),
  "train.batchSize": int(1, 4096),
  "train.ckptEvery": int(1),
  "train.backend": oneOf(BACKENDS),
  "train.kernels": oneOf(KERNEL_PLACES),
  "train.previewCount": int(0, 64),
};

/**
 * Validates `value` as a complete config.
 *
 * @param value The merged config (defaults + file + overrides).
 * @returns The same object, typed.
 * @throws {ConfigError} On an unknown key, a wrong type or an out-of-range value.
 */
export function validateConfig(value: unknown): Config {
  walk(value, DEFAULT_CONFIG, "");
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
  if (config.data.source === "cache" && config.data.cacheDir === "") {
    throw new ConfigError("data.cacheDir", 'is empty but data.source is "cache"');
  }
  return resolveAblation(config);
}

/**
 * Applies `mask.ablation` (a row of AMLP Table 3) to the settings it decides:
 * MPS on or off (`mask.method`; an MPS row keeps "mps_ams" if that was chosen),
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
  const method = mps ? (config.mask.method === "random" ? "mps" : config.mask.method) : "random";
  const crcl = parts.includes("CRCL");
  return {
    ...config,
    mask: { ...config.mask, method, amr: { ...config.mask.amr, enabled: parts.includes("AMR") } },
    loss: { ...config.loss, arl: crcl, ccl: crcl },
  };
}

function walk(value: unknown, reference: unknown, path: string): void {
  if (isRecord(reference)) {
    if (!isRecord(value)) {
      throw new ConfigError(path || "(root)", `expected a mapping, got ${describe(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!(key in reference)) {
        const known = Object.keys(reference).join(", ");
        throw new ConfigError(join(path, key), `unknown key (known here: ${known})`);
      }
    }
    for (const [key, ref] of Object.entries(reference)) {
      walk(value[key], ref, join(path, key));
    }
    return;
  }
  if (typeof value !== typeof reference) {
    throw new ConfigError(path, `expected a ${typeof reference}, got ${describe(value)}`);
  }
  const problem = RULES[path]?.(value);
  if (problem) throw new ConfigError(path, problem);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
