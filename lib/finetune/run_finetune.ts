/**
 * A whole fine-tuning run (AMLP sec. 4.5): data and splits, the U-Net (or
 * UNETR, `model.arch: vit`) from scratch or from a pretraining checkpoint,
 * the epoch loop with validation,
 * the best checkpoint by validation Dice, resume. Everything goes to
 * `<outDir>/<name>/`:
 *
 * - `config.json`: the resolved fine-tuning config
 * - `splits.json`: the patient splits and label fractions
 * - `log.jsonl`: one line per epoch (epoch, loss, lr, seconds, images/s, steps, valDice when
 *   validated)
 * - `checkpoint_last.ckpt`: weights + AdamW moments + progress (for `--resume`)
 * - `checkpoint_best.ckpt`: weights of the epoch with the best validation Dice
 * - `curves.svg`: training loss, validation Dice and lr by epoch (rewritten every epoch)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { loadCheckpoint, saveCheckpoint, writeAtomic } from "../io/checkpoint.ts";
import { loadSplits, saveSplits, type Splits } from "../data/splits.ts";
import { countParams } from "../model/unet.ts";
import { createSegNet, describeSegNet, type SegNet } from "../model/seg_net.ts";
import { type AdamWState, createAdamWState } from "../optim/adamw.ts";
import { formatDuration, Progress } from "../run/progress.ts";
import { deriveSeed } from "../random.ts";
import { evalRegions } from "../evaluate/eval_regions.ts";
import { meanDice } from "../evaluate/evaluate_cases.ts";
import { predictSlices } from "../evaluate/predict_slices.ts";
import { stackCases } from "../evaluate/stack_cases.ts";
import type { FinetuneConfig } from "../config/finetune_config.ts";
import { type FinetuneData, openFinetuneData, type SegDataset } from "../data/finetune_data.ts";
import {
  checkPretrainedArch,
  describeTransfer,
  loadPretrainedWeights,
  type TransferReport,
} from "../model/load_pretrained.ts";
import type { Config } from "../config/pretrain_config.ts";
import { type SegEpochStats, trainSegEpoch } from "./train_seg_epoch.ts";
import { transferLrScales } from "./transfer_lr.ts";
import { prepareRunDir } from "../run/run_dir.ts";
import { truncateRunLog } from "../run/run_log.ts";
import { writeCurves } from "../viz/run_curves.ts";

/** One line of `log.jsonl`. */
export type FinetuneLogLine = SegEpochStats & { readonly valDice?: number };

/** Options of {@linkcode runFinetune}. */
export interface FinetuneOptions {
  /** Continue from `checkpoint_last.ckpt` of an existing run. */
  readonly resume?: boolean;
  /** Replace an existing run folder's contents. */
  readonly force?: boolean;
  /** A dataset to use instead of the one `config.data` names (tests). */
  readonly dataset?: SegDataset;
  /**
   * Splits to use instead of making them from `data.splitSeed` (e.g. a
   * validation fold carved out of the training patients); saved as `splits.json`.
   * Ignored on resume, which reads the run's own `splits.json`.
   */
  readonly splits?: Splits;
  /** Progress display; null for silence. */
  readonly progress?: Progress | null;
  /** Where info lines go (default console.log). */
  readonly log?: (line: string) => void;
}

/** What a finished run returns. */
export interface FinetuneResult {
  readonly runDir: string;
  readonly epochs: FinetuneLogLine[];
  readonly bestDice: number;
  readonly bestEpoch: number;
  /** The transfer summary line, or "scratch". */
  readonly init: string;
  /** What the pretraining checkpoint gave (loaded / fresh / skipped), when one was used. */
  readonly transfer: TransferReport | null;
  readonly net: SegNet;
}

/**
 * Runs (or resumes) fine-tuning as `config` says. tfjs's backend must be set.
 *
 * @param config The resolved fine-tuning config.
 * @param options Resume/force, dataset, progress.
 * @returns Run folder, per-epoch stats, best validation Dice and the network.
 * @throws {Deno.errors.AlreadyExists} If the run folder exists without `resume`/`force`.
 * @throws {Deno.errors.Busy} If another live process holds the run folder.
 * @throws {WeightShapeError} If a pretrained tensor's shape differs from the model's.
 */
export async function runFinetune(
  config: FinetuneConfig,
  options: FinetuneOptions = {},
): Promise<FinetuneResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  await using dir = await prepareRunDir(config.run, options); // locked until this returns
  const { runDir, last, resuming } = dir;
  const savedSplits = resuming ? await loadSplits(`${runDir}/splits.json`) : options.splits;
  const data = await openFinetuneData(config, {
    ...(options.dataset ? { dataset: options.dataset } : {}),
    ...(savedSplits ? { splits: savedSplits } : {}),
  });
  log(
    `data: ${data.splits.train.length}/${data.splits.val.length}/${data.splits.test.length} ` +
      `train/val/test patients; ${100 * config.data.labelFraction}% labels = ` +
      `${
        data.splits.labelFractions[String(Math.round(100 * config.data.labelFraction))]?.length
      } patients, ` +
      `${data.train.length} training slices, ${data.val.length} val slices`,
  );

  const net = createSegNet(config, data.dataset.channels, deriveSeed(config.run.seed, "init"));
  log(`model: ${describeSegNet(config)}, ${countParams(net)} parameters`);
  const optimizer = createAdamWState(net.params);
  let init = "scratch";
  let transfer: TransferReport | null = null;
  let startEpoch = 0;
  let best = { dice: -1, epoch: 0 };
  if (resuming) {
    const meta = await restore(last, net, optimizer, config);
    startEpoch = meta.epoch;
    best = { dice: meta.bestDice, epoch: meta.bestEpoch };
    init = `resumed at epoch ${startEpoch}`;
  } else if (config.model.init !== "scratch") {
    const ckpt = await loadCheckpoint(config.model.checkpoint);
    checkPretrainedArch(ckpt.meta.config as Config | undefined, config, config.model.checkpoint);
    transfer = loadPretrainedWeights(net, ckpt, {
      mode: config.model.init,
      path: config.model.checkpoint,
    });
    init = describeTransfer(net, transfer);
  }
  log(`init (${config.model.init}): ${init}`);
  const lrScales = transferLrScales(net.params.keys(), {
    init: config.model.init,
    transferLrScale: config.optim.transferLrScale,
    layerDecay: config.optim.layerDecay,
  });
  await Deno.mkdir(runDir, { recursive: true });
  await truncateRunLog(`${runDir}/log.jsonl`, startEpoch); // epochs logged after the checkpoint
  await writeAtomic(`${runDir}/config.json`, JSON.stringify(config, null, 2) + "\n");
  if (!resuming) await saveSplits(`${runDir}/splits.json`, data.splits);

  const progress = options.progress === undefined ? new Progress() : options.progress;
  const regions = evalRegions(config.eval.regions, config.model.numClasses);
  const epochs: FinetuneLogLine[] = [];
  const total = config.train.epochs;
  const runStart = performance.now();
  for (let epoch = startEpoch; epoch < total; epoch++) {
    const stats = await trainSegEpoch({ config, net, optimizer, lrScales }, {
      dataset: data.dataset,
      train: data.train,
      epoch,
    });
    let line: FinetuneLogLine = stats;
    const isLast = epoch + 1 === total;
    if ((epoch + 1) % config.train.valEvery === 0 || isLast) {
      const valDice = await validate(net, data, config, regions);
      line = { ...stats, valDice };
      if (valDice > best.dice) {
        best = { dice: valDice, epoch: epoch + 1 };
        await saveCheckpoint(`${runDir}/checkpoint_best.ckpt`, paramTensors(net), {
          kind: "finetune",
          config,
          epoch: epoch + 1,
          valDice,
          params: countParams(net),
        });
      }
    }
    epochs.push(line);
    await Deno.writeTextFile(`${runDir}/log.jsonl`, JSON.stringify(line) + "\n", { append: true });
    const tensors = paramTensors(net);
    for (const [name, m] of optimizer.m) tensors.set(`adam_m/${name}`, m);
    for (const [name, v] of optimizer.v) tensors.set(`adam_v/${name}`, v);
    await saveCheckpoint(last, tensors, {
      kind: "finetune",
      config,
      epoch: epoch + 1,
      step: optimizer.step,
      bestDice: best.dice,
      bestEpoch: best.epoch,
      params: countParams(net),
    });
    await writeCurves(runDir, "finetune");
    const elapsed = (performance.now() - runStart) / 1000;
    const left = (elapsed / (epoch + 1 - startEpoch)) * (total - epoch - 1);
    progress?.update(
      `epoch ${epoch + 1}/${total} loss ${stats.loss.toFixed(4)} lr ${stats.lr.toExponential(2)}` +
        (line.valDice !== undefined ? ` val Dice ${line.valDice.toFixed(4)}` : "") +
        ` best ${best.dice.toFixed(4)} @${best.epoch} ${
          stats.imagesPerSecond.toFixed(1)
        } img/s ETA ${formatDuration(left)}`,
      isLast,
    );
  }
  progress?.done();
  return { runDir, epochs, bestDice: best.dice, bestEpoch: best.epoch, init, transfer, net };
}

async function validate(
  net: SegNet,
  data: FinetuneData,
  config: FinetuneConfig,
  regions: ReturnType<typeof evalRegions>,
): Promise<number> {
  const pred = await predictSlices(net, data.dataset, {
    indices: data.val,
    batchSize: 2 * config.train.batchSize,
  });
  return meanDice(stackCases(data.dataset, data.val, pred), regions);
}

function paramTensors(net: SegNet): Map<string, tf.Tensor> {
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, p] of net.params) tensors.set(`params/${name}`, p);
  return tensors;
}

async function restore(
  path: string,
  net: SegNet,
  optimizer: AdamWState,
  config: FinetuneConfig,
): Promise<{ epoch: number; bestDice: number; bestEpoch: number }> {
  const ckpt = await loadCheckpoint(path);
  const saved = (ckpt.meta.config as FinetuneConfig | undefined)?.model;
  if (JSON.stringify(saved) !== JSON.stringify(config.model)) {
    throw new RangeError(
      `Cannot resume from "${path}": its model config ${JSON.stringify(saved)} differs from ${
        JSON.stringify(config.model)
      }`,
    );
  }
  const load = (prefix: string, target: Map<string, tf.Variable>) => {
    for (const [name, variable] of target) {
      const entry = ckpt.tensors.get(`${prefix}/${name}`);
      if (!entry || entry.shape.join() !== variable.shape.join()) {
        throw new RangeError(
          `Cannot resume from "${path}": tensor "${prefix}/${name}" is missing or has another shape`,
        );
      }
      tf.tidy(() => variable.assign(tf.tensor(entry.data, variable.shape)));
    }
  };
  load("params", net.params);
  load("adam_m", optimizer.m);
  load("adam_v", optimizer.v);
  optimizer.step = Number(ckpt.meta.step);
  return {
    epoch: Number(ckpt.meta.epoch),
    bestDice: Number(ckpt.meta.bestDice),
    bestEpoch: Number(ckpt.meta.bestEpoch),
  };
}
