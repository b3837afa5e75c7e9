/**
 * Runs one cell of a grid as an idempotent job:
 *
 * - a finished cell (`done`) is skipped;
 * - a half-finished one resumes from its last checkpoint (a run folder
 *   without a checkpoint starts over);
 * - a cell whose folder holds another config (`stale`) is refused unless `force`;
 * - a failure is recorded in the cell's `cell_failed.json` and rethrown;
 * - a fine-tuning cell whose pretraining checkpoint is not there yet waits for
 *   it (`wait` seconds) or says which cell makes it.
 *
 * A pretraining cell pretrains on the grid's pretraining set: by default
 * (`pretrainData: inductive`) every image except those of the validation and
 * test patients of the fine-tuning split; `transductive`: every image. A
 * fine-tuning cell fine-tunes, evaluates its test split, and checks that its
 * split is the one pretraining left out. Both end by writing `cell.json`
 * (atomically, last): the result, wall time, machine, backend and versions.
 *
 * @module
 */

import { writeAtomic } from "../io/write_atomic.ts";
import type { Progress } from "../run/progress.ts";
import { withoutCases } from "../data/case_subset.ts";
import type { SliceDataset } from "../data/dataset.ts";
import { openDataset } from "../data/open_dataset.ts";
import type { Splits } from "../data/splits.ts";
import { loadSplits } from "../data/splits.ts";
import { openFinetuneData } from "../data/finetune_data.ts";
import { runFinetune } from "../finetune/run_finetune.ts";
import { runEvaluate } from "../evaluate/run_evaluate.ts";
import type { MetricsSummary } from "../metrics/mod.ts";
import { readLog } from "../run/read_log.ts";
import {
  CELL_DONE_FILE,
  CELL_FAILED_FILE,
  cellConfigHash,
  cellState,
  readJson,
} from "./cell_state.ts";
import type { MachineInfo } from "./machine_info.ts";
import type { FinetuneCell, GridCell, GridPlan, PretrainCell } from "./plan_grid.ts";

/** Options of {@linkcode runCell}. */
export interface RunCellOptions {
  /** Start the cell over whatever its state. */
  readonly force?: boolean;
  /** Seconds to wait for a missing pretraining checkpoint (default 0: do not wait). */
  readonly wait?: number;
  /** Seconds between looks while waiting (default 10). */
  readonly pollSeconds?: number;
  /** This process's machine description (recorded in `cell.json`). */
  readonly machine: MachineInfo;
  /** Progress display; null for silence. */
  readonly progress?: Progress | null;
  /** Where info lines go. */
  readonly log?: (line: string) => void;
}

/** The pretraining set of a grid, as recorded in a pretraining cell's `cell.json`. */
export interface PretrainDataRecord {
  readonly protocol: "inductive" | "transductive";
  readonly slices: number;
  readonly patients: number;
  /** Patients left out (validation + test of the split); empty when transductive. */
  readonly excluded: readonly string[];
}

/** The `cell.json` of a finished cell. */
export interface CellRecord {
  readonly index: number;
  readonly stage: "pretrain" | "finetune";
  readonly id: string;
  readonly row: string;
  readonly fraction: number | null;
  readonly seed: number;
  readonly configHash: string;
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Seconds of the attempt that finished the cell. */
  readonly wallSeconds: number;
  /** Epochs already logged when that attempt started (0 unless resumed). */
  readonly resumedAtEpoch: number;
  readonly machine: MachineInfo;
  /** Pretraining: the data it saw. */
  readonly pretrainData?: PretrainDataRecord;
  /** Fine-tuning: the evaluation's headline summary and the best validation epoch. */
  readonly finetune?: {
    readonly init: string;
    readonly bestValDice: number;
    readonly bestEpoch: number;
    readonly headline: string;
    readonly summary: MetricsSummary;
    readonly predictionGrid: string;
    readonly split: { readonly train: number; readonly val: number; readonly test: number };
  };
}

/** What {@linkcode runCell} did. */
export interface RunCellResult {
  readonly skipped: boolean;
  readonly record: CellRecord;
}

/**
 * Runs cell `cell` of `plan` (tfjs's backend must be set).
 *
 * @param plan The grid.
 * @param cell One of its cells.
 * @param options Force, wait, machine description, output.
 * @returns The cell's record and whether it was already done.
 * @throws {Error} What the cell threw (after recording it), or why it cannot
 *   start (stale folder, pretraining not ready).
 */
export async function runCell(
  plan: GridPlan,
  cell: GridCell,
  options: RunCellOptions,
): Promise<RunCellResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const state = await cellState(cell);
  if (state.state === "done" && !options.force) {
    return {
      skipped: true,
      record: await readJson(`${cell.runDir}/${CELL_DONE_FILE}`) as CellRecord,
    };
  }
  if (state.state === "stale" && !options.force) {
    throw new Error(
      `Cannot run cell ${cell.index} (${cell.id}): ${cell.runDir} holds a run of another config ` +
        `(${state.detail}); pass --force to start it over`,
    );
  }
  if (cell.stage === "finetune" && cell.pretrain) {
    const ready = await waitForPretraining(cell, cell.pretrain, options, log);
    if (ready !== "done") {
      const error = new Error(
        `Cannot run cell ${cell.index} (${cell.id}): its pretraining cell ${cell.pretrain.index} ` +
          `(${cell.pretrain.id}) failed: ${ready}`,
      );
      await recordFailure(cell, error, options.machine);
      throw error;
    }
  }
  const startedAt = new Date();
  const start = performance.now();
  const resumedAtEpoch = options.force ? 0 : (await readLog(cell.runDir)).length;
  try {
    const base = {
      index: cell.index,
      stage: cell.stage,
      id: cell.id,
      row: cell.row.name,
      fraction: cell.stage === "finetune" ? cell.fraction : null,
      seed: cell.seed,
      configHash: await cellConfigHash(cell),
      startedAt: startedAt.toISOString(),
      resumedAtEpoch,
      machine: options.machine,
    };
    const extra = cell.stage === "pretrain"
      ? { pretrainData: await runPretrainCell(plan, cell, options, log) }
      : { finetune: await runFinetuneCell(plan, cell, options, log) };
    const record: CellRecord = {
      ...base,
      finishedAt: new Date().toISOString(),
      wallSeconds: (performance.now() - start) / 1000,
      ...extra,
    };
    await Deno.remove(`${cell.runDir}/${CELL_FAILED_FILE}`).catch(() => {});
    await writeAtomic(`${cell.runDir}/${CELL_DONE_FILE}`, JSON.stringify(record, null, 2) + "\n");
    return { skipped: false, record };
  } catch (error) {
    await recordFailure(cell, error, options.machine);
    throw error;
  }
}

/** How a run folder is to be opened: fresh, resumed, or started over. */
async function openMode(
  runDir: string,
  checkpoint: string,
  force: boolean,
): Promise<{ resume: boolean; force: boolean }> {
  const exists = (p: string) => Deno.stat(p).then(() => true, () => false);
  if (force) return { resume: false, force: true };
  if (await exists(checkpoint)) return { resume: true, force: false };
  return { resume: false, force: await exists(runDir) }; // started, no checkpoint yet: over
}

async function runPretrainCell(
  plan: GridPlan,
  cell: PretrainCell,
  options: RunCellOptions,
  log: (line: string) => void,
): Promise<PretrainDataRecord> {
  const { dataset, record } = await pretrainingSet(plan, cell);
  const mode = await openMode(cell.runDir, cell.checkpoint, options.force === true);
  log(
    `cell ${cell.index} pretrain ${cell.row.name} (${cell.id}): ${
      cell.kind.describe(cell.config)
    }; ` +
      `${record.slices} slices of ${record.patients} patients (${record.protocol}` +
      (record.protocol === "inductive"
        ? `, ${record.excluded.length} val/test patients left out`
        : "") +
      `)${mode.resume ? ", resuming" : ""}`,
  );
  await cell.kind.run(cell.config, {
    ...mode,
    dataset,
    progress: options.progress === undefined ? null : options.progress,
  });
  return record;
}

async function runFinetuneCell(
  plan: GridPlan,
  cell: FinetuneCell,
  options: RunCellOptions,
  log: (line: string) => void,
): Promise<NonNullable<CellRecord["finetune"]>> {
  const mode = await openMode(
    cell.runDir,
    `${cell.runDir}/checkpoint_last.ckpt`,
    options.force === true,
  );
  log(
    `cell ${cell.index} finetune ${cell.row.name} ${100 * cell.fraction}% seed ${cell.seed} ` +
      `(${cell.id})${mode.resume ? ", resuming" : ""}`,
  );
  const quiet = () => {};
  const f = await runFinetune(cell.config, {
    ...mode,
    progress: options.progress === undefined ? null : options.progress,
    log: quiet,
  });
  const splits = await loadSplits(`${f.runDir}/splits.json`);
  if (cell.pretrain && plan.config.pretrainData === "inductive") {
    await checkNoLeak(cell, cell.pretrain, splits);
  }
  const e = await runEvaluate(f.runDir, { log: quiet });
  const summary = e.summaries[e.headline];
  if (!summary) {
    throw new RangeError(`Cannot record cell ${cell.index}: no "${e.headline}" summary`);
  }
  log(
    `cell ${cell.index} ${cell.id}: best val Dice ${f.bestDice.toFixed(4)} @${f.bestEpoch}, ` +
      `test DSC ${(100 * summary.dsc.mean).toFixed(2)}% on ${summary.n} cases`,
  );
  return {
    init: f.init,
    bestValDice: f.bestDice,
    bestEpoch: f.bestEpoch,
    headline: e.headline,
    summary,
    predictionGrid: e.predictionGrid,
    split: { train: splits.train.length, val: splits.val.length, test: splits.test.length },
  };
}

/**
 * The fine-tuning split of a grid (every fine-tuning cell makes the same one:
 * same labelled patients, same split seed).
 *
 * @param plan The grid.
 * @returns The splits.
 * @throws {RangeError} If the grid has no fine-tuning cell.
 */
export async function gridSplits(plan: GridPlan): Promise<Splits> {
  const ref = plan.cells.find((c): c is FinetuneCell => c.stage === "finetune");
  if (!ref) {
    throw new RangeError(`Cannot split grid "${plan.config.name}": it has no fine-tuning cell`);
  }
  return (await openFinetuneData(ref.config)).splits;
}

/**
 * The images a pretraining cell trains on, and their record.
 *
 * @param plan The grid.
 * @param cell The pretraining cell.
 * @returns The dataset and what it holds.
 */
export async function pretrainingSet(
  plan: GridPlan,
  cell: PretrainCell,
): Promise<{ dataset: SliceDataset; record: PretrainDataRecord }> {
  const all = await openDataset(cell.config); // refuses a data.size other than the cache's
  const excluded = plan.config.pretrainData === "inductive"
    ? await gridSplits(plan).then((s) => [...s.val, ...s.test].sort())
    : [];
  const view = withoutCases(all, new Set(excluded));
  if (view.dataset.length === 0) {
    throw new RangeError(`Cannot pretrain cell ${cell.index}: no image is left for pretraining`);
  }
  return {
    dataset: view.dataset,
    record: {
      protocol: plan.config.pretrainData,
      slices: view.dataset.length,
      patients: view.keptCases,
      excluded,
    },
  };
}

/** Refuses a fine-tuning split whose val/test patients pretraining did not leave out. */
async function checkNoLeak(cell: FinetuneCell, pretrain: PretrainCell, splits: Splits) {
  const done = await readJson(`${pretrain.runDir}/${CELL_DONE_FILE}`) as CellRecord | undefined;
  const left = new Set(done?.pretrainData?.excluded ?? []);
  const seen = [...splits.val, ...splits.test].filter((id) => !left.has(id));
  if (seen.length > 0) {
    throw new RangeError(
      `Cannot use cell ${cell.index} (${cell.id}): ${seen.length} of its val/test patients ` +
        `(e.g. "${seen[0]}") were in pretraining cell ${pretrain.index}'s data`,
    );
  }
}

/** Waits for a pretraining cell; returns "done" or the reason it will not be. */
async function waitForPretraining(
  cell: FinetuneCell,
  pretrain: PretrainCell,
  options: RunCellOptions,
  log: (line: string) => void,
): Promise<string> {
  const deadline = performance.now() + 1000 * (options.wait ?? 0);
  let said = false;
  while (true) {
    const s = await cellState(pretrain);
    if (s.state === "done") return "done";
    if (s.state === "failed" || s.state === "stale") return `${s.state}: ${s.detail}`;
    if (performance.now() >= deadline) {
      throw new Error(
        `Cannot run cell ${cell.index} (${cell.id}) yet: it needs the checkpoint of pretraining ` +
          `cell ${pretrain.index} (${pretrain.row.name}), which is ${s.state}` +
          (options.wait ? ` after waiting ${options.wait} s` : "") +
          `; run --cell ${pretrain.index} first, or pass --wait SECONDS`,
      );
    }
    if (!said) {
      log(`cell ${cell.index}: waiting for pretraining cell ${pretrain.index} (${s.state})`);
      said = true;
    }
    await new Promise((r) => setTimeout(r, 1000 * (options.pollSeconds ?? 10)));
  }
}

async function recordFailure(cell: GridCell, error: unknown, machine: MachineInfo) {
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  await Deno.mkdir(cell.runDir, { recursive: true });
  await writeAtomic(
    `${cell.runDir}/${CELL_FAILED_FILE}`,
    JSON.stringify({ error: message, at: new Date().toISOString(), machine }, null, 2) + "\n",
  );
}
