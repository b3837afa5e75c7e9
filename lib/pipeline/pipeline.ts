/**
 * medmim's pipeline for scripts: one function per step, each taking a config
 * object that holds only what differs from the defaults (the same keys as the
 * YAML files and `--help`), each choosing its tfjs backend from the config,
 * quiet unless given a `log`, and returning what the next step needs.
 *
 * ```ts ignore
 * import { evaluate, finetune, pretrain, resultsTable } from "./mod.ts";
 * const pre = await pretrain({ run: { name: "pre", seed: 1 }, train: { epochs: 2 } });
 * const ft = { run: { name: "ft", seed: 1 }, model: { init: "encoder", checkpoint: pre.checkpoint } } as const;
 * await finetune(ft);
 * console.log(resultsTable([["from pre", await evaluate(ft)]]));
 * ```
 *
 * @module
 */

import { initTf } from "../backend/init_tf.ts";
import {
  DEFAULT_FINETUNE_CONFIG,
  FINETUNE_SCHEMA,
  type FinetuneConfig,
} from "../config/finetune_config.ts";
import { configFrom, type ConfigInput } from "../config/load_config.ts";
import { type PreprocessConfig, resolvePreprocessConfig } from "../config/preprocess_config.ts";
import { type Config, PRETRAIN_SCHEMA } from "../config/pretrain_config.ts";
import { type PreprocessReport, runPreprocess } from "../data/preprocess/run_preprocess.ts";
import { type EvaluateResult, runEvaluate } from "../evaluate/run_evaluate.ts";
import { summaryMarkdown } from "../evaluate/write_report.ts";
import { type FinetuneResult, runFinetune } from "../finetune/run_finetune.ts";
import type { MetricsSummary } from "../metrics/mod.ts";
import type { EpochStats } from "../pretrain/train_one_epoch.ts";
import { runPretraining } from "../pretrain/run_pretraining.ts";

/** Options of the steps that write a run folder. */
export interface StepOptions {
  /** Start over when the run folder exists (default: refuse). */
  readonly force?: boolean;
  /** Continue the run from its `checkpoint_last.ckpt`. */
  readonly resume?: boolean;
  /** Where info lines go (default: nowhere). */
  readonly log?: (line: string) => void;
}

/** What {@linkcode pretrain} returns. */
export interface PretrainOutput {
  readonly config: Config;
  readonly runDir: string;
  /** `checkpoint_last.ckpt`: what `model.checkpoint` of a fine-tuning config names. */
  readonly checkpoint: string;
  readonly epochs: readonly EpochStats[];
}

/** What {@linkcode finetune} returns. */
export interface FinetuneOutput {
  readonly config: FinetuneConfig;
  readonly runDir: string;
  readonly bestDice: number;
  readonly bestEpoch: number;
  readonly epochs: FinetuneResult["epochs"];
}

/** What {@linkcode evaluate} returns: the evaluation and its headline summary. */
export interface EvaluateOutput extends EvaluateResult {
  /** The headline region's summary (the only region, or the mean over regions). */
  readonly summary: MetricsSummary;
}

/**
 * Preprocesses a dataset into a slice cache (`deno task preprocess`).
 *
 * @param config Preprocess settings (`layout` and `input` at least).
 * @param options `check`: a dry run that writes nothing.
 * @returns The report (what was processed, reused, skipped and why).
 * @throws {ConfigError} On a bad setting (key named).
 */
export function preprocess(
  config: Partial<Record<keyof PreprocessConfig, unknown>>,
  options: { readonly check?: boolean } = {},
): Promise<PreprocessReport> {
  return runPreprocess(resolvePreprocessConfig(config), undefined, {
    dryRun: options.check === true,
  });
}

/**
 * Masked-image-modeling pretraining (`deno task pretrain`).
 *
 * @param config Pretraining settings that differ from the defaults.
 * @param options Force, resume, log.
 * @returns The run folder, its last checkpoint and the per-epoch stats.
 * @throws {ConfigError} On a bad setting (key named).
 * @throws {Deno.errors.AlreadyExists} If the run folder exists without `force` or `resume`.
 */
export async function pretrain(
  config: ConfigInput<Config>,
  options: StepOptions = {},
): Promise<PretrainOutput> {
  const resolved = configFrom(PRETRAIN_SCHEMA, config);
  await initTf(resolved.train.backend);
  const result = await runPretraining(resolved, { ...runOptions(options), progress: null });
  result.net.params.forEach((p) => p.dispose());
  return {
    config: resolved,
    runDir: result.runDir,
    checkpoint: `${result.runDir}/checkpoint_last.ckpt`,
    epochs: result.epochs,
  };
}

/**
 * Segmentation fine-tuning (`deno task finetune`).
 *
 * @param config Fine-tuning settings that differ from the defaults.
 * @param options Force, resume, log.
 * @returns The run folder, best validation Dice and the per-epoch stats.
 * @throws {ConfigError} On a bad setting (key named).
 * @throws {Deno.errors.AlreadyExists} If the run folder exists without `force` or `resume`.
 */
export async function finetune(
  config: ConfigInput<FinetuneConfig>,
  options: StepOptions = {},
): Promise<FinetuneOutput> {
  const resolved = configFrom(FINETUNE_SCHEMA, config);
  await initTf(resolved.train.backend);
  const result = await runFinetune(resolved, {
    ...runOptions(options),
    progress: null,
    log: options.log ?? (() => {}),
  });
  result.net.params.forEach((p) => p.dispose());
  return {
    config: resolved,
    runDir: result.runDir,
    bestDice: result.bestDice,
    bestEpoch: result.bestEpoch,
    epochs: result.epochs,
  };
}

/**
 * Evaluates a fine-tuning run on its test split (`deno task evaluate`),
 * writing `<run>/eval/`.
 *
 * @param config The fine-tuning config of the run (its folder is
 *   `<run.outDir>/<run.name>`); the data and checkpoint come from the run.
 * @param options Which checkpoint, log.
 * @returns Per-case rows, summaries and the headline summary.
 */
export async function evaluate(
  config: ConfigInput<FinetuneConfig>,
  options: { readonly checkpoint?: "best" | "last"; readonly log?: (line: string) => void } = {},
): Promise<EvaluateOutput> {
  const run = { ...DEFAULT_FINETUNE_CONFIG.run, ...config.run };
  const backend = config.train?.backend ?? DEFAULT_FINETUNE_CONFIG.train.backend;
  await initTf(backend);
  const result = await runEvaluate(`${run.outDir}/${run.name}`, {
    log: options.log ?? (() => {}),
    ...(options.checkpoint ? { checkpoint: options.checkpoint } : {}),
  });
  const summary = result.summaries[result.headline];
  if (!summary) {
    throw new RangeError(`Cannot evaluate "${run.name}": no ${result.headline} summary`);
  }
  return { ...result, summary };
}

/**
 * One markdown table, a row per evaluation: mean ± std of DSC, Sen, PPV,
 * bIoU (%) and HD95 (mm) of the headline region, and the case count.
 *
 * @param rows `[label, evaluation]` pairs.
 * @returns The table.
 */
export function resultsTable(rows: readonly (readonly [string, EvaluateOutput])[]): string {
  return summaryMarkdown(rows.map(([label, e]) => [label, e.summary]));
}

function runOptions(options: StepOptions): { force?: boolean; resume?: boolean } {
  return {
    ...(options.force ? { force: true } : {}),
    ...(options.resume ? { resume: true } : {}),
  };
}
