/**
 * A grid's cells, numbered: the pretraining runs first (one per row, or per
 * row and seed), then one fine-tuning + evaluation cell per row x label
 * fraction x seed. Every cell's config is resolved and validated here, before
 * anything is written, and every cell has its own run folder under the grid's:
 *
 * ```
 * <outDir>/<name>/pretrain/<row>[_s<seed>]/          pretraining run (+ cell.json)
 * <outDir>/<name>/finetune/<row>_f<pct>_s<seed>/     fine-tuning run, eval/ (+ cell.json)
 * <outDir>/<name>/report/                            report.html, table.md/.csv/.json
 * ```
 *
 * Fine-tuning cells that can share a pretraining checkpoint (same row; same
 * seed when `pretrainSeeds: each`) point to the same pretraining cell.
 *
 * The grid sets these keys of every run: `run.*` (name, folder, seed),
 * `data.*` (the grid's data, fraction and split) and `model.baseWidth`,
 * `train.backend`; for fine-tuning also `model.init` and `model.checkpoint`.
 * A pretraining config file's values for them are replaced; the shared and
 * per-row overrides may not set them. The grid's `protocol` comes first, so a
 * config file's own `protocol` wins over it; presets sit under everything.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import type {
  ExperimentConfig,
  ExperimentRow,
  LabelFraction,
} from "../config/experiment_config.ts";
import { buildConfig } from "../config/load_config.ts";
import { DEFAULT_FINETUNE_CONFIG, FINETUNE_SCHEMA } from "../config/finetune_config.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { type PretrainConfigBase, type PretrainKind, pretrainKind } from "./pretrain_kinds.ts";

/** A pretraining cell. */
export interface PretrainCell {
  readonly index: number;
  readonly stage: "pretrain";
  /** Folder name, e.g. `mae_base` (or `mae_base_s1` with `pretrainSeeds: each`). */
  readonly id: string;
  readonly row: ExperimentRow;
  readonly seed: number;
  readonly runDir: string;
  readonly kind: PretrainKind;
  readonly config: PretrainConfigBase;
  /** The checkpoint the fine-tuning cells load. */
  readonly checkpoint: string;
  /** What they load from it (the row's `init`, `auto` resolved). */
  readonly init: "encoder" | "encoder_decoder";
}

/** A fine-tuning + evaluation cell. */
export interface FinetuneCell {
  readonly index: number;
  readonly stage: "finetune";
  /** Folder name, e.g. `mae_base_f10_s0`. */
  readonly id: string;
  readonly row: ExperimentRow;
  readonly fraction: LabelFraction;
  readonly seed: number;
  readonly runDir: string;
  readonly config: FinetuneConfig;
  /** The pretraining cell whose checkpoint it loads; null from scratch. */
  readonly pretrain: PretrainCell | null;
}

/** Any cell. */
export type GridCell = PretrainCell | FinetuneCell;

/** A planned grid. */
export interface GridPlan {
  readonly config: ExperimentConfig;
  /** `<outDir>/<name>` */
  readonly dir: string;
  /** Pretraining cells first, then fine-tuning cells; `cells[i].index === i`. */
  readonly cells: readonly GridCell[];
}

const GRID_SET_PRETRAIN = ["run", "data", "model.baseWidth", "train.backend"];
const GRID_SET_FINETUNE = [
  "run",
  "data",
  "model.baseWidth",
  "model.init",
  "model.checkpoint",
  "train.backend",
];

/**
 * Resolves every cell of a grid.
 *
 * @param config The validated grid config.
 * @returns The plan.
 * @throws {ConfigError} If an override names an unknown key or one the grid sets,
 *   or a resolved config is invalid (the row and key named).
 * @throws {RangeError} If a row names an unknown pretraining kind.
 */
export async function planGrid(config: ExperimentConfig): Promise<GridPlan> {
  const dir = `${config.outDir}/${config.name}`;
  checkLayer(config.finetune, DEFAULT_FINETUNE_CONFIG, "finetune", GRID_SET_FINETUNE);
  const cells: GridCell[] = [];
  const pretrainBy = new Map<string, PretrainCell>(); // `${row}:${seed}`
  const pretrainSeeds = config.pretrainSeeds === "each" ? config.seeds : config.seeds.slice(0, 1);
  const protocol = { protocol: config.protocol };
  for (const row of config.rows) {
    if (row.kind === "scratch") continue;
    const kind = rowKind(row);
    checkLayer(config.pretrain, kind.defaults, "pretrain", GRID_SET_PRETRAIN);
    checkLayer(row.set, kind.defaults, `rows.${row.name}.set`, GRID_SET_PRETRAIN);
    for (const seed of pretrainSeeds) {
      const id = config.pretrainSeeds === "each" ? `${row.id}_s${seed}` : row.id;
      const grid = {
        run: { name: id, outDir: `${dir}/pretrain`, seed },
        data: pretrainData(config),
        model: { baseWidth: config.baseWidth },
        train: { backend: config.backend },
      };
      const resolved = await withRow(
        row,
        "pretraining",
        () => kind.load(row.config, [config.pretrain, row.set, grid], [protocol]),
      );
      if (resolved.model.arch !== undefined && resolved.model.arch !== "unet") {
        throw new ConfigError(
          `rows.${row.name}`,
          `its pretraining config sets model.arch ${resolved.model.arch}, but the grid fine-tunes a U-Net (model.arch unet)`,
        );
      }
      const transfer = kind.transfer(resolved);
      if (row.init === "encoder_decoder" && transfer.noDecoder !== undefined) {
        throw new ConfigError(
          `rows.${row.name}.init`,
          `encoder_decoder needs a decoder, but ${transfer.noDecoder}; use encoder or auto`,
        );
      }
      const cell: PretrainCell = {
        index: cells.length,
        stage: "pretrain",
        id,
        row,
        seed,
        runDir: `${dir}/pretrain/${id}`,
        kind,
        config: resolved,
        checkpoint: kind.checkpoint(resolved),
        init: row.init === "auto" ? transfer.init : row.init,
      };
      cells.push(cell);
      pretrainBy.set(`${row.name}:${seed}`, cell);
    }
  }
  for (const row of config.rows) {
    checkLayer(
      row.finetune,
      DEFAULT_FINETUNE_CONFIG,
      `rows.${row.name}.finetune`,
      GRID_SET_FINETUNE,
    );
    for (const fraction of config.fractions) {
      for (const seed of config.seeds) {
        const pretrain = row.kind === "scratch" ? null : pretrainBy.get(
          `${row.name}:${config.pretrainSeeds === "each" ? seed : pretrainSeeds[0]}`,
        ) ??
          null;
        const id = `${row.id}_f${Math.round(100 * fraction)}_s${seed}`;
        const grid = {
          run: { name: id, outDir: `${dir}/finetune`, seed },
          data: { ...finetuneData(config), labelFraction: fraction },
          model: {
            baseWidth: config.baseWidth,
            init: pretrain?.init ?? "scratch",
            checkpoint: pretrain?.checkpoint ?? "",
          },
          train: { backend: config.backend },
        };
        const resolved = await withRow(
          row,
          "fine-tuning",
          () =>
            Promise.resolve(
              buildConfig(FINETUNE_SCHEMA, [protocol, config.finetune, row.finetune, grid]),
            ),
        );
        cells.push({
          index: cells.length,
          stage: "finetune",
          id,
          row,
          fraction,
          seed,
          runDir: `${dir}/finetune/${id}`,
          config: resolved,
          pretrain,
        });
      }
    }
  }
  return { config, dir, cells };
}

function rowKind(row: ExperimentRow): PretrainKind {
  try {
    return pretrainKind(row.kind);
  } catch (error) {
    throw new ConfigError(`rows.${row.name}.kind`, (error as Error).message);
  }
}

/** The data keys of the grid's pretraining runs. */
function pretrainData(config: ExperimentConfig): Record<string, unknown> {
  const d = config.data;
  return {
    source: d.source,
    cacheDir: d.pretrainCacheDir || d.cacheDir,
    count: d.count,
    size: d.size,
    seed: d.seed,
  };
}

/** The data keys of the grid's fine-tuning runs (the fraction aside). */
function finetuneData(config: ExperimentConfig): Record<string, unknown> {
  const d = config.data;
  return {
    source: d.source,
    cacheDir: d.cacheDir,
    count: d.count,
    size: d.size,
    seed: d.seed,
    splitSeed: d.splitSeed,
  };
}

async function withRow<T>(row: ExperimentRow, what: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new ConfigError(
        `rows.${row.name}`,
        `its ${what} config (${row.config || "defaults"} + overrides) is invalid: ${error.message}`,
      );
    }
    throw error;
  }
}

/**
 * Refuses an override layer's key that the config type does not have, or that
 * the grid sets itself, naming it with the layer's prefix.
 */
function checkLayer(
  layer: Readonly<Record<string, unknown>>,
  reference: unknown,
  prefix: string,
  gridSet: readonly string[],
): void {
  const walk = (value: unknown, ref: unknown, path: string) => {
    if (!isRecord(value)) return;
    for (const [key, inner] of Object.entries(value)) {
      const at = path ? `${path}.${key}` : key;
      if (
        gridSet.some((g) =>
          at === g || at.startsWith(`${g}.`) || g.startsWith(`${at}.`) && !isRecord(inner)
        )
      ) {
        throw new ConfigError(
          `${prefix}.${firstLeaf(inner, at)}`,
          "is set by the grid for every run (use the grid's data, fractions, seeds, baseWidth, backend or a row's init)",
        );
      }
      if (!isRecord(ref) || !(key in ref)) {
        const known = isRecord(ref) ? Object.keys(ref).join(", ") : "none: not a mapping";
        throw new ConfigError(`${prefix}.${at}`, `unknown key (known here: ${known})`);
      }
      if (isRecord(ref[key])) walk(inner, ref[key], at);
    }
  };
  walk(layer, reference, "");
}

/** The dotted path of the first non-mapping value under `value`. */
function firstLeaf(value: unknown, path: string): string {
  if (!isRecord(value)) return path;
  const [key, inner] = Object.entries(value)[0] ?? [];
  return key === undefined ? path : firstLeaf(inner, `${path}.${key}`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The cell a scheduler's array index names: `--cell N`, or with `--cell env`
 * the first of `SLURM_ARRAY_TASK_ID` and `JOB_COMPLETION_INDEX` (Kubernetes
 * Indexed Jobs) that is set.
 *
 * @param text The `--cell` value.
 * @param env Reads an environment variable.
 * @param count The number of cells.
 * @returns The index.
 * @throws {RangeError} If the value is not an index of the grid or no variable is set.
 * @example
 * ```ts
 * import { cellIndex } from "./plan_grid.ts";
 * const env = (k: string) => (k === "JOB_COMPLETION_INDEX" ? "3" : undefined);
 * if (cellIndex("env", env, 10) !== 3 || cellIndex("2", env, 10) !== 2) throw new Error();
 * ```
 */
export function cellIndex(
  text: string,
  env: (name: string) => string | undefined,
  count: number,
): number {
  let value = text;
  if (text === "env") {
    const from = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"].find((k) => env(k) !== undefined);
    if (from === undefined) {
      throw new RangeError(
        "Cannot pick a cell: --cell env, but neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set",
      );
    }
    value = env(from) as string;
  }
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isInteger(n) || n < 0 || n >= count) {
    throw new RangeError(`Cannot pick cell "${value}": the grid has cells 0 to ${count - 1}`);
  }
  return n;
}
