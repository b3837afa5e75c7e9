/**
 * A whole pretraining run (MAE's main_pretrain): data, model, optimizer, the
 * epoch loop, a JSON line per epoch, atomic checkpoints, resume, and the final
 * preview grid. Everything goes to `<outDir>/<name>/`:
 *
 * - `config.json`: the resolved config
 * - `log.jsonl`: one line per epoch (epoch, loss, reconstruction (null for the
 *   contrastive methods), lr, seconds, images/s)
 * - `checkpoint_last.ckpt` (after every epoch, so a kill loses at most one) and
 *   `checkpoint_epoch_NNNN.ckpt` (every `ckptEvery` epochs and the last, written
 *   first, `checkpoint_last` then a hard link of it): weights, optimizer,
 *   config; all written atomically
 * - `curves.svg`: loss, reconstruction term and lr by epoch (redrawn with every checkpoint)
 * - `preview.png`: input / removed patches / masked input / reconstruction for a
 *   few images (input and its two views for the contrastive methods)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { type Config, patchCount } from "../config/pretrain_config.ts";
import type { SliceDataset } from "../data/dataset.ts";
import { gatherBatch } from "../data/dataset.ts";
import { openDataset } from "../data/open_dataset.ts";
import { createKernelContext } from "../kernels/registry.ts";
import { applyMaskOp } from "../kernels/apply_mask.ts";
import { countParams } from "../model/unet.ts";
import {
  createMimNet,
  mimForward,
  mimInput,
  type MimNet,
  predictAllPatchLosses,
} from "../model/mim_net.ts";
import { createContrastiveNet, createTargetNet } from "../model/contrastive_net.ts";
import type { UNet } from "../model/unet.ts";
import { createSwavQueue, SWAV_QUEUE } from "../model/swav_queue.ts";
import { createAdamWState } from "../optim/adamw.ts";
import { loadCheckpoint, saveCheckpoint, writeAtomic } from "../io/checkpoint.ts";
import { copyAtomic } from "../io/write_atomic.ts";
import { truncateRunLog } from "../run/run_log.ts";
import { deriveSeed } from "../random.ts";
import { formatDuration, Progress } from "../run/progress.ts";
import { writePng } from "../io/png.ts";
import { makeMask, maskPlan } from "../masking/make_mask.ts";
import { removeCount } from "../masking/mask_count.ts";
import { tokenReconstruction } from "./preview.ts";
import { writeViewsPreview } from "./views_preview.ts";
import { drawPreviewFigure } from "../viz/preview_figure.ts";
import { writeCurves } from "../viz/run_curves.ts";
import { type EpochStats, type PretrainState, trainOneEpoch } from "./train_one_epoch.ts";
import { prepareRunDir } from "../run/run_dir.ts";

/** Options of {@linkcode runPretraining}. */
export interface RunOptions {
  /** Continue from `checkpoint_last.ckpt` of an existing run. */
  readonly resume?: boolean;
  /** Replace an existing run folder's contents. */
  readonly force?: boolean;
  /** The dataset; by default the one `config.data` names. */
  readonly dataset?: SliceDataset;
  /** Where progress lines go (default: stderr display). Pass null for silence. */
  readonly progress?: Progress | null;
  /** Called with each epoch's stats. */
  readonly onEpoch?: (stats: EpochStats) => void;
}

/** What a finished run returns. */
export interface RunResult {
  readonly runDir: string;
  readonly epochs: EpochStats[];
  /** The U-Net or the ViT masked autoencoder (`model.arch`). */
  readonly net: MimNet;
}

/**
 * Runs (or resumes) pretraining as `config` says. tfjs's backend must already
 * be set (see `initTf`).
 *
 * @param config The resolved config.
 * @param options Resume/force, dataset, progress.
 * @returns The run folder, per-epoch stats and the trained network.
 * @throws {Deno.errors.AlreadyExists} If the run folder exists and neither
 *   `resume` nor `force` is set.
 * @throws {Deno.errors.Busy} If another live process holds the run folder.
 */
export async function runPretraining(config: Config, options: RunOptions = {}): Promise<RunResult> {
  await using dir = await prepareRunDir(config.run, options); // locked until this returns
  const { runDir, last, resuming } = dir;
  const dataset = options.dataset ?? await openDataset(config);
  const ctx = await createKernelContext(config.train.kernels);
  const hpm = maskPlan(config).teacher;
  const architecture = { channels: dataset.channels, lossPredictor: hpm };
  const method = config.pretrain.method;
  const net = method === "mim"
    ? createMimNet(config, architecture, deriveSeed(config.run.seed, "init"))
    : createContrastiveNet({
      method,
      inChannels: dataset.channels,
      baseWidth: config.model.baseWidth,
      hidden: config.pretrain.hidden,
      projection: config.pretrain.projection,
      prototypes: config.pretrain.swav.prototypes,
      norm: config.model.norm,
      normGroups: config.model.normGroups,
    }, deriveSeed(config.run.seed, "init"));
  // HPM's EMA teacher starts as a copy of the student (same seed, same weights),
  // BYOL's target as a copy of the online encoder and projector
  const teacher = method === "byol"
    ? createTargetNet(net as UNet)
    : hpm
    ? createMimNet(config, architecture, deriveSeed(config.run.seed, "init"))
    : null;
  // untrained state of a method: SwAV's queue
  const { queueLength } = config.pretrain.swav;
  const buffers = new Map<string, tf.Variable>(
    method === "swav" && queueLength > 0
      ? [[SWAV_QUEUE, createSwavQueue(queueLength, config.pretrain.projection)]]
      : [],
  );
  const optimizer = createAdamWState(net.params);
  let startEpoch = 0;
  if (resuming) {
    startEpoch = await restore(last, { net, optimizer, teacher, buffers }, config);
  }
  await Deno.mkdir(runDir, { recursive: true });
  await truncateRunLog(`${runDir}/log.jsonl`, startEpoch); // epochs logged after the checkpoint
  await writeAtomic(`${runDir}/config.json`, JSON.stringify(config, null, 2) + "\n");

  const state: PretrainState = { config, ctx, net, optimizer, teacher, buffers };
  const progress = options.progress === undefined ? new Progress() : options.progress;
  const epochs: EpochStats[] = [];
  const total = config.train.epochs;
  const runStart = performance.now();
  let doneSteps = 0;
  let imagesBefore = 0; // images of the finished epochs of this session
  for (let epoch = startEpoch; epoch < total; epoch++) {
    const stats = await trainOneEpoch(state, dataset, epoch, (r) => {
      doneSteps++;
      const elapsed = (performance.now() - runStart) / 1000;
      const left = (total - epoch) * r.steps - (r.step + 1);
      progress?.update(
        `epoch ${epoch + 1}/${total} step ${r.step + 1}/${r.steps} loss ${r.loss.toFixed(4)}` +
          (r.reconstruction !== null && r.reconstruction !== r.loss
            ? ` (reconstruction ${r.reconstruction.toFixed(4)}) `
            : " ") +
          `lr ${r.lr.toExponential(2)} ${((imagesBefore + r.images) / elapsed).toFixed(1)} img/s ` +
          `ETA ${formatDuration((elapsed / doneSteps) * left)}`,
      );
    });
    epochs.push(stats);
    imagesBefore += Math.round(stats.imagesPerSecond * stats.seconds);
    options.onEpoch?.(stats);
    await Deno.writeTextFile(`${runDir}/log.jsonl`, JSON.stringify(stats) + "\n", { append: true });
    const isLast = epoch + 1 === total;
    const meta = { config, epoch: epoch + 1, step: optimizer.step, params: countParams(net) };
    const tensors = new Map<string, tf.Tensor>();
    for (const [name, p] of net.params) tensors.set(`params/${name}`, p);
    for (const [name, m] of optimizer.m) tensors.set(`adam_m/${name}`, m);
    for (const [name, v] of optimizer.v) tensors.set(`adam_v/${name}`, v);
    for (const [name, t] of teacher?.params ?? []) tensors.set(`teacher/${name}`, t);
    for (const [name, b] of buffers) tensors.set(`buffers/${name}`, b);
    if ((epoch + 1) % config.train.ckptEvery === 0 || isLast) {
      // the kept epoch first: a kill between the two writes then redoes this
      // epoch on --resume (writing it again, the same bytes) instead of losing it
      const kept = `${runDir}/checkpoint_epoch_${String(epoch + 1).padStart(4, "0")}.ckpt`;
      await saveCheckpoint(kept, tensors, meta);
      await copyAtomic(kept, last);
    } else {
      await saveCheckpoint(last, tensors, meta);
    }
    await writeCurves(runDir, "pretrain");
  }
  progress?.done();
  if (config.train.previewCount > 0) await writePreview(state, dataset, `${runDir}/preview.png`);
  return { runDir, epochs, net };
}

async function restore(
  path: string,
  { net, optimizer, teacher, buffers }: Pick<
    PretrainState,
    "net" | "optimizer" | "teacher" | "buffers"
  >,
  config: Config,
): Promise<number> {
  const ckpt = await loadCheckpoint(path);
  const saved = JSON.stringify((ckpt.meta.config as Config | undefined)?.model);
  if (saved !== JSON.stringify(config.model)) {
    throw new RangeError(
      `Cannot resume from "${path}": its model config ${saved} differs from ${
        JSON.stringify(config.model)
      }`,
    );
  }
  const load = (prefix: string, target: ReadonlyMap<string, tf.Variable>) => {
    for (const [name, variable] of target) {
      const entry = ckpt.tensors.get(`${prefix}/${name}`);
      if (!entry || entry.shape.join() !== variable.shape.join()) {
        throw new RangeError(
          `Cannot resume from "${path}": tensor "${prefix}/${name}" is missing or has another shape`,
        );
      }
      variable.assign(tf.tensor(entry.data, variable.shape));
    }
  };
  load("params", net.params);
  load("adam_m", optimizer.m);
  load("adam_v", optimizer.v);
  if (teacher) load("teacher", teacher.params);
  if (buffers) load("buffers", buffers);
  optimizer.step = Number(ckpt.meta.step);
  return Number(ckpt.meta.epoch);
}

async function writePreview(
  state: PretrainState,
  dataset: SliceDataset,
  path: string,
): Promise<void> {
  const { config, ctx, net, teacher } = state;
  if (config.pretrain.method !== "mim") return writeViewsPreview(config, ctx, dataset, path);
  const count = Math.min(config.train.previewCount, dataset.length);
  const indices = Array.from({ length: count }, (_, i) => i);
  const { images } = gatherBatch(dataset, indices);
  const size = dataset.size;
  const shape: [number, number, number, number] = [count, size, size, dataset.channels];
  const [masked, recon, removed] = tf.tidy(() => {
    const x = tf.tensor4d(images, shape);
    const epoch = config.train.epochs - 1;
    const patchSize = config.mask.patchSize;
    const { mask } = makeMask(ctx, config, x, {
      epoch,
      seed: deriveSeed(config.run.seed, "preview"),
      predictedLoss: teacher ? predictAllPatchLosses(teacher, ctx, x, patchSize) : undefined,
      progress: 1,
    });
    const m = applyMaskOp(ctx, x, mask, config.mask);
    const patches = patchCount(config);
    const input = mimInput(net, ctx, x, mask, {
      patchSize,
      fill: config.mask.fill,
      keep: patches - removeCount(config, patches, epoch),
    });
    const { pred } = mimForward(net, ctx, input, { patchSize, predictLoss: false });
    return [
      m,
      pred.rank === 4
        ? pred as tf.Tensor4D
        : tokenReconstruction(pred as tf.Tensor3D, x, mask, config.mask),
      mask,
    ];
  });
  const figure = drawPreviewFigure({
    input: images,
    masked: await masked.data() as Float32Array,
    reconstruction: await recon.data() as Float32Array,
    mask: Float32Array.from(await removed.data()),
  }, { batch: count, size, channels: dataset.channels, patchSize: config.mask.patchSize });
  tf.dispose([masked, recon, removed]);
  await writePng(path, figure);
}
