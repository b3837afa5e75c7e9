/**
 * The experiment grid config (`configs/experiment_<name>.yaml`): one data set,
 * pretraining rows by name, label fractions and seeds, shared overrides for
 * every pretraining and fine-tuning run, and the scheduler settings of the
 * emitted job files. Same pattern as the other configs: defaults <- YAML <-
 * `key.path=value` overrides, then validation naming the offending key.
 *
 * A row is `scratch`, a pretraining config file, or a mapping:
 *
 * ```yaml
 * rows:
 *   scratch: scratch                           # U-Net from random weights
 *   MAE (BASE): configs/pretrain_mae.yaml      # a MIM pretraining config file
 *   SimMIM:
 *     config: configs/pretrain_simmim.yaml     # "" = the kind's defaults
 *     kind: mim                                # which pretraining runner (default mim)
 *     set: { mask: { maskRatio: 0.6 } }        # this row's pretraining overrides
 *     init: encoder                            # what fine-tuning loads (default auto)
 *     finetune: { optim: { lr: 5e-4 } }        # this row's fine-tuning overrides
 * ```
 *
 * `init: auto` (the default) loads the encoder and decoder of a masked-image-modeling
 * checkpoint and the encoder alone of a contrastive one (`pretrain.method` simclr,
 * byol, swav: no decoder is trained). A grid's `protocol` (custom, paper, cpu) is
 * the protocol of every pretraining and fine-tuning config that names none itself.
 *
 * A row set to `null` is left out (`--rows.SimMIM=null`). The `kind` keeps the row type open: a new pretraining method registers its
 * kind (its config defaults, loader and runner) in `lib/experiment/pretrain_kinds.ts`.
 *
 * @module
 */

import { parse, YAMLError } from "yaml";
import { ConfigError } from "../errors.ts";
import { checkShape, intRule, mergeConfig, oneOfRule, runNameRule } from "./check_shape.ts";
import { BACKENDS, DATA_SOURCES } from "./common.ts";
import { PROTOCOLS } from "./protocols.ts";
import { LABEL_FRACTIONS } from "./finetune_config.ts";

/** What a fine-tuning cell loads from its row's checkpoint; auto follows the pretraining method. */
export const ROW_INITS = ["auto", "encoder", "encoder_decoder"] as const;

/** Which images pretraining sees. */
export const PRETRAIN_DATA = ["inductive", "transductive"] as const;
/** One pretraining run per row (`shared`), or one per row and seed (`each`). */
export const PRETRAIN_SEEDS = ["shared", "each"] as const;

/** A label fraction fine-tuning can use. */
export type LabelFraction = (typeof LABEL_FRACTIONS)[number];

/** One pretraining row of the grid. */
export interface ExperimentRow {
  /** Name in tables and the report, e.g. `MAE (BASE)`. */
  readonly name: string;
  /** Folder-safe id derived from the name (`mae_base`). */
  readonly id: string;
  /** `scratch`, or a registered pretraining kind (`mim`, ...). */
  readonly kind: string;
  /** The pretraining config file; "" for the kind's defaults (or scratch). */
  readonly config: string;
  /** This row's pretraining overrides (applied after the shared `pretrain`). */
  readonly set: Readonly<Record<string, unknown>>;
  /**
   * What fine-tuning loads from the checkpoint (ignored for scratch); `auto`:
   * encoder_decoder after masked image modeling, encoder after a contrastive method.
   */
  readonly init: (typeof ROW_INITS)[number];
  /** This row's fine-tuning overrides (applied after the shared `finetune`). */
  readonly finetune: Readonly<Record<string, unknown>>;
}

/** A complete, validated grid config. */
export interface ExperimentConfig {
  /** The grid's folder, `<outDir>/<name>/`. */
  readonly name: string;
  /** Heading of the report. */
  readonly title: string;
  /** Free text shown in the report (e.g. where the settings come from). */
  readonly notes: string;
  readonly outDir: string;
  /** The protocol preset of every run whose config names none (`protocols.ts`). */
  readonly protocol: (typeof PROTOCOLS)[number];
  readonly data: {
    readonly source: (typeof DATA_SOURCES)[number];
    readonly cacheDir: string;
    readonly pretrainCacheDir: string;
    readonly count: number;
    readonly size: number;
    readonly seed: number;
    readonly splitSeed: number;
  };
  readonly pretrainData: (typeof PRETRAIN_DATA)[number];
  readonly pretrainSeeds: (typeof PRETRAIN_SEEDS)[number];
  readonly fractions: readonly LabelFraction[];
  readonly seeds: readonly number[];
  readonly baseWidth: number;
  readonly backend: (typeof BACKENDS)[number];
  readonly rows: readonly ExperimentRow[];
  /** Shared overrides of every pretraining config. */
  readonly pretrain: Readonly<Record<string, unknown>>;
  /** Shared overrides of every fine-tuning config. */
  readonly finetune: Readonly<Record<string, unknown>>;
  readonly emit: {
    readonly slurm: {
      readonly partition: string;
      readonly time: string;
      readonly cpusPerTask: number;
      readonly mem: string;
      readonly gpus: number;
    };
    readonly k8s: {
      readonly image: string;
      readonly pvc: string;
      readonly workDir: string;
      readonly cpu: string;
      readonly memory: string;
      readonly parallelism: number;
    };
  };
}

/** Defaults: everything but the rows (a grid must name them). */
export const DEFAULT_EXPERIMENT_CONFIG: ExperimentConfig = {
  name: "experiment", // the grid folder under outDir
  title: "", // report heading; "" = the name
  notes: "", // shown in the report under the heading
  outDir: "runs", // every cell's run folder lies under <outDir>/<name>/
  protocol: "custom", // preset of every pretraining and fine-tuning config that names no protocol
  data: {
    source: "phantoms", // "phantoms" or "cache" (deno task preprocess output)
    cacheDir: "", // fine-tuning slice cache (preprocess mode finetune) when source is cache
    pretrainCacheDir: "", // pretraining slice cache (mode pretrain); "" = cacheDir
    count: 200, // phantoms (each its own patient): 160/20/20 train/val/test
    size: 64, // phantom side; a multiple of 16
    seed: 0, // the phantom stream of both stages (the data stay fixed across seeds)
    splitSeed: 0, // seeds the 8:1:1 patient split and the nested label fractions
  },
  pretrainData: "inductive", // pretraining sees no validation or test patient; "transductive": every image
  pretrainSeeds: "shared", // one pretraining run per row (its seed: the first of seeds); "each": one per seed
  fractions: [0.05, 0.1], // MPS-AMS Table 1 and AMLP Table 3
  seeds: [0, 1, 2], // fine-tuning seeds (initialisation of the head, batch order)
  baseWidth: 8, // U-Net width of both stages (AMLP: 64)
  backend: "auto", // tfjs backend of every run
  rows: [],
  pretrain: {},
  finetune: {},
  emit: {
    slurm: {
      partition: "", // "" = the cluster's default partition
      time: "04:00:00", // per array task
      cpusPerTask: 2, // also the wasm thread count
      mem: "8G",
      gpus: 0, // --gres=gpu:N when > 0
    },
    k8s: {
      image: "medmim:latest", // an image holding this repository and deno
      pvc: "medmim-runs", // a ReadWriteMany claim mounted at <workDir>/<outDir>
      workDir: "/app", // the repository's folder inside the image
      cpu: "2",
      memory: "8Gi",
      parallelism: 4, // pods at a time
    },
  },
};

/**
 * The grid's keys as `--help` and the README list them (key, type, default,
 * meaning); `tests/experiment_config_test.ts` checks that they are the keys
 * of {@linkcode DEFAULT_EXPERIMENT_CONFIG}.
 */
export const EXPERIMENT_SETTINGS: readonly {
  readonly key: string;
  readonly type: string;
  readonly default: string;
  readonly meaning: string;
}[] = [
  { key: "name", type: "name", default: "experiment", meaning: "the grid's folder under outDir" },
  { key: "title", type: "string", default: '""', meaning: 'the report\'s heading ("" = name)' },
  { key: "notes", type: "string", default: '""', meaning: "a note under the report's heading" },
  {
    key: "outDir",
    type: "path",
    default: "runs",
    meaning: "every cell's run folder lies under <outDir>/<name>/",
  },
  {
    key: "protocol",
    type: PROTOCOLS.join(" | "),
    default: "custom",
    meaning:
      "the preset (paper, cpu) of every pretraining and fine-tuning config that names no protocol; the grid's own keys win",
  },
  {
    key: "data.source",
    type: "phantoms | cache",
    default: "phantoms",
    meaning: "where the images come from",
  },
  {
    key: "data.cacheDir",
    type: "path",
    default: '""',
    meaning: "the fine-tuning slice cache (preprocess mode finetune)",
  },
  {
    key: "data.pretrainCacheDir",
    type: "path",
    default: '""',
    meaning: 'the pretraining slice cache (mode pretrain); "" = data.cacheDir',
  },
  {
    key: "data.count",
    type: "integer >= 3",
    default: "200",
    meaning: "phantoms (each its own patient)",
  },
  {
    key: "data.size",
    type: "integer in [16, 4096], a multiple of 16",
    default: "64",
    meaning: "image side: the phantoms', or the caches'",
  },
  {
    key: "data.seed",
    type: "integer >= 0",
    default: "0",
    meaning: "the phantom stream of both stages: the data stay the same for every seed",
  },
  {
    key: "data.splitSeed",
    type: "integer >= 0",
    default: "0",
    meaning: "the 8:1:1 patient split and nested label fractions, shared by every cell",
  },
  {
    key: "pretrainData",
    type: PRETRAIN_DATA.join(" | "),
    default: "inductive",
    meaning:
      "inductive: pretraining leaves out the val and test patients; transductive: all images",
  },
  {
    key: "pretrainSeeds",
    type: PRETRAIN_SEEDS.join(" | "),
    default: "shared",
    meaning: "one pretraining run per row (the first seed's), or each: one per row and seed",
  },
  {
    key: "fractions",
    type: "list of 0.05 | 0.1 | 0.5 | 1",
    default: "[0.05, 0.1]",
    meaning: "label fractions (columns of the table)",
  },
  {
    key: "seeds",
    type: "list of integers >= 0",
    default: "[0, 1, 2]",
    meaning: "fine-tuning seeds (head initialisation, batch order); mean ± std over them",
  },
  {
    key: "baseWidth",
    type: "integer in [1, 512]",
    default: "8",
    meaning: "U-Net width of both stages",
  },
  {
    key: "backend",
    type: "auto | webgpu | wasm | cpu",
    default: "auto",
    meaning: "tfjs backend of every run",
  },
  {
    key: "rows.<name>",
    type: "scratch | FILE | mapping | null",
    default: "(required)",
    meaning:
      "a row: scratch, a pretraining config file (any pretrain.method), or {config, kind, set, init, finetune}; null leaves it out",
  },
  {
    key: "pretrain",
    type: "mapping",
    default: "{}",
    meaning:
      "overrides of every pretraining config (not run, data, model.baseWidth, train.backend)",
  },
  {
    key: "finetune",
    type: "mapping",
    default: "{}",
    meaning:
      "overrides of every fine-tuning config (not run, data, model.baseWidth/init/checkpoint, train.backend)",
  },
  {
    key: "emit.slurm.partition",
    type: "string",
    default: '""',
    meaning: '--partition ("" = the default)',
  },
  {
    key: "emit.slurm.time",
    type: "Slurm time",
    default: "04:00:00",
    meaning: "--time per array task",
  },
  {
    key: "emit.slurm.cpusPerTask",
    type: "integer >= 1",
    default: "2",
    meaning: "--cpus-per-task, also the wasm thread count",
  },
  { key: "emit.slurm.mem", type: "string", default: "8G", meaning: "--mem per array task" },
  { key: "emit.slurm.gpus", type: "integer >= 0", default: "0", meaning: "--gres=gpu:N when > 0" },
  {
    key: "emit.k8s.image",
    type: "string",
    default: "medmim:latest",
    meaning: "an image holding this repository and deno",
  },
  {
    key: "emit.k8s.pvc",
    type: "string",
    default: "medmim-runs",
    meaning: "a ReadWriteMany claim, mounted at <workDir>/<outDir>",
  },
  {
    key: "emit.k8s.workDir",
    type: "path",
    default: "/app",
    meaning: "the repository's folder in the image",
  },
  { key: "emit.k8s.cpu", type: "string", default: "2", meaning: "CPU request per pod" },
  {
    key: "emit.k8s.memory",
    type: "string",
    default: "8Gi",
    meaning: "memory request and limit per pod",
  },
  { key: "emit.k8s.parallelism", type: "integer >= 1", default: "4", meaning: "pods at a time" },
];

const ROW_KEYS = ["kind", "config", "set", "init", "finetune"] as const;
const OPEN_KEYS = ["rows", "pretrain", "finetune"] as const;
const SLURM_TIME = /^(\d+-)?\d{1,3}(:\d{2}){0,2}$/;

/**
 * Validates `value` as a complete grid config (rows still as the YAML mapping).
 *
 * @param value Defaults + file + overrides, merged.
 * @returns The typed config, rows normalised.
 * @throws {ConfigError} On an unknown key, a wrong type or a bad value (the key named).
 */
export function validateExperimentConfig(value: unknown): ExperimentConfig {
  if (!isRecord(value)) throw new ConfigError("(root)", "expected a mapping");
  const known = Object.keys(DEFAULT_EXPERIMENT_CONFIG);
  for (const key of Object.keys(value)) {
    if (!known.includes(key)) {
      const hint = ["run", "data", "model", "mask", "loss", "optim", "train", "eval"].includes(key)
        ? `; pretraining and fine-tuning keys go under "pretrain." or "finetune." ` +
          `(e.g. --pretrain.${key}.<key>=... or --finetune.${key}.<key>=...)`
        : "";
      throw new ConfigError(key, `unknown key (known here: ${known.join(", ")})${hint}`);
    }
  }
  const closed: Record<string, unknown> = { ...value };
  const reference: Record<string, unknown> = { ...DEFAULT_EXPERIMENT_CONFIG };
  for (const key of OPEN_KEYS) {
    delete closed[key];
    delete reference[key];
  }
  checkShape(closed, reference, {
    name: runNameRule,
    "data.source": oneOfRule(DATA_SOURCES),
    "data.count": intRule(3),
    "data.size": (v) =>
      intRule(16, 4096)(v) ??
        ((v as number) % 16 === 0 ? undefined : `${v} is not a multiple of 16`),
    "data.seed": intRule(0, 2 ** 32 - 1),
    "data.splitSeed": intRule(0, 2 ** 32 - 1),
    protocol: oneOfRule(PROTOCOLS),
    pretrainData: oneOfRule(PRETRAIN_DATA),
    pretrainSeeds: oneOfRule(PRETRAIN_SEEDS),
    fractions: listRule((v) => oneOfRule(LABEL_FRACTIONS)(v)),
    seeds: listRule((v) => intRule(0, 2 ** 32 - 1)(v)),
    baseWidth: intRule(1, 512),
    backend: oneOfRule(BACKENDS),
    "emit.slurm.time": (v) =>
      SLURM_TIME.test(String(v)) ? undefined : `"${v}" is not a Slurm time (e.g. 04:00:00)`,
    "emit.slurm.cpusPerTask": intRule(1, 1024),
    "emit.slurm.gpus": intRule(0, 64),
    "emit.k8s.parallelism": intRule(1, 100000),
  });
  const c = value as unknown as ExperimentConfig & { rows: unknown };
  if (c.data.source === "cache" && c.data.cacheDir === "") {
    throw new ConfigError("data.cacheDir", 'is empty but data.source is "cache"');
  }
  for (const key of ["pretrain", "finetune"] as const) {
    if (!isRecord(c[key])) {
      throw new ConfigError(key, `expected a mapping, got ${describe(c[key])}`);
    }
  }
  return { ...c, rows: validateRows(c.rows) };
}

function validateRows(rows: unknown): ExperimentRow[] {
  if (Array.isArray(rows) && rows.length === 0) {
    throw new ConfigError("rows", "is empty: name at least one pretraining row (or scratch)");
  }
  if (!isRecord(rows)) {
    throw new ConfigError(
      "rows",
      `expected a mapping of row name -> config, got ${describe(rows)}`,
    );
  }
  const out: ExperimentRow[] = [];
  const ids = new Map<string, string>();
  for (const [name, raw] of Object.entries(rows)) {
    if (raw === null) continue; // left out, e.g. by --rows.<name>=null
    const at = `rows.${name}`;
    if (name.trim() === "" || name.length > 60) {
      throw new ConfigError(at, "a row name has 1 to 60 characters");
    }
    const spec = typeof raw === "string" ? shorthand(raw) : raw;
    if (!isRecord(spec)) {
      throw new ConfigError(
        at,
        `expected "scratch", a config file or a mapping, got ${describe(raw)}`,
      );
    }
    for (const key of Object.keys(spec)) {
      if (!(ROW_KEYS as readonly string[]).includes(key)) {
        throw new ConfigError(`${at}.${key}`, `unknown key (known here: ${ROW_KEYS.join(", ")})`);
      }
    }
    const kind = spec.kind ?? (spec.config === "scratch" ? "scratch" : "mim");
    const config = spec.config === "scratch" ? "" : spec.config ?? "";
    const init = spec.init ?? "auto";
    if (typeof kind !== "string" || kind === "") {
      throw new ConfigError(`${at}.kind`, `expected a kind name, got ${describe(kind)}`);
    }
    if (typeof config !== "string") {
      throw new ConfigError(`${at}.config`, `expected a file path, got ${describe(config)}`);
    }
    if (!(ROW_INITS as readonly unknown[]).includes(init)) {
      throw new ConfigError(
        `${at}.init`,
        `${JSON.stringify(init)} is not one of ${ROW_INITS.join(", ")}`,
      );
    }
    for (const key of ["set", "finetune"] as const) {
      if (spec[key] !== undefined && !isRecord(spec[key])) {
        throw new ConfigError(`${at}.${key}`, `expected a mapping, got ${describe(spec[key])}`);
      }
    }
    if (kind === "scratch" && (config !== "" || spec.set !== undefined)) {
      throw new ConfigError(at, "a scratch row has no pretraining config or set");
    }
    const id = rowId(name);
    const clash = ids.get(id);
    if (clash !== undefined) {
      throw new ConfigError(at, `its folder name "${id}" is also that of row "${clash}"`);
    }
    ids.set(id, name);
    out.push({
      name,
      id,
      kind,
      config,
      set: (spec.set ?? {}) as Record<string, unknown>,
      init: init as ExperimentRow["init"],
      finetune: (spec.finetune ?? {}) as Record<string, unknown>,
    });
  }
  if (out.length === 0) {
    throw new ConfigError("rows", "is empty: name at least one pretraining row (or scratch)");
  }
  return out;
}

/** `scratch` or a file path as a row mapping. */
function shorthand(text: string): Record<string, unknown> {
  return text === "scratch" ? { kind: "scratch" } : { config: text };
}

/**
 * The folder name of a row: lower case, runs of other characters as `_`.
 *
 * @param name The row's name.
 * @returns A name usable as a folder (`MAE (BASE)` -> `mae_base`).
 * @example
 * ```ts
 * import { rowId } from "./experiment_config.ts";
 * if (rowId("MAE (BASE)") !== "mae_base") throw new Error(rowId("MAE (BASE)"));
 * ```
 */
export function rowId(name: string): string {
  const id = name.toLowerCase().replace(/[^a-z0-9.-]+/g, "_").replace(/^[_.]+|_+$/g, "");
  return id === "" ? "row" : id.slice(0, 60);
}

/**
 * Builds the grid config: defaults <- YAML file <- overrides, then validation.
 * Overrides address the grid file's keys (`--seeds=[0]`,
 * `--finetune.train.epochs=2`, `--rows.SimMIM.set.train.epochs=3`).
 *
 * @param path The YAML file.
 * @param overrides `key.path=value` strings (values parsed as YAML).
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse.
 */
export async function loadExperimentConfig(
  path: string,
  overrides: readonly string[] = [],
): Promise<ExperimentConfig> {
  const text = await Deno.readTextFile(path);
  let parsed: unknown;
  try {
    parsed = parse(text);
  } catch (error) {
    throw new SyntaxError(`Cannot parse config "${path}": ${(error as Error).message}`);
  }
  // rows stay a mapping until validation (the default [] would not merge with one), and a
  // shorthand row becomes a mapping first, so that --rows.<name>.set.x=1 applies to it
  let merged = mergeConfig(
    { ...structuredClone(DEFAULT_EXPERIMENT_CONFIG), rows: {} },
    parsed ?? {},
  );
  const rows = (merged as { rows?: unknown }).rows;
  if (isRecord(rows)) {
    for (const [name, row] of Object.entries(rows)) {
      if (typeof row === "string") rows[name] = shorthand(row);
    }
  }
  for (const override of overrides) merged = applyGridOverride(merged, override);
  return validateExperimentConfig(merged);
}

/** `a.b=value` onto the grid; a row named in the path may contain dots. */
function applyGridOverride(config: unknown, override: string): unknown {
  const at = override.indexOf("=");
  if (at <= 0) throw new ConfigError(override, "an override must look like key.path=value");
  const path = override.slice(0, at).replace(/^--/, "");
  const raw = override.slice(at + 1);
  let value: unknown;
  try {
    value = parse(raw);
  } catch (error) {
    if (!(error instanceof YAMLError)) throw error;
    value = raw;
  }
  let keys = path.split(".");
  const rows = (config as { rows?: unknown }).rows;
  if (keys[0] === "rows" && isRecord(rows)) {
    // the longest row name the path starts with
    const rest = path.slice("rows.".length);
    const name = Object.keys(rows).filter((n) => rest === n || rest.startsWith(`${n}.`))
      .sort((a, b) => b.length - a.length)[0];
    if (name !== undefined) {
      const tail = rest.slice(name.length + 1);
      keys = ["rows", name, ...(tail === "" ? [] : tail.split("."))];
    }
  }
  const patch = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  return mergeConfig(config, patch);
}

function listRule(item: (v: unknown) => string | undefined) {
  return (v: unknown): string | undefined => {
    if (!Array.isArray(v)) return `expected a list, got ${describe(v)}`;
    if (v.length === 0) return "is an empty list";
    for (const x of v) {
      const problem = item(x);
      if (problem) return problem;
    }
    return new Set(v).size === v.length ? undefined : `${JSON.stringify(v)} has a repeated value`;
  };
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
