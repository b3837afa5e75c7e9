/**
 * Exports a run's U-Net weights for other tools, to `<runDir>/export/`:
 *
 * - `model.safetensors`: float32 tensors named and laid out as the PyTorch
 *   U-Net of `tasks/bench_torch_unet.py` (see `torch_layout.ts`); the header's
 *   `__metadata__` states the layout, the architecture and the source checkpoint
 * - `tfjs/model.json` + `tfjs/weights.bin`: a tfjs LayersModel
 *   (`tf.loadLayersModel(".../tfjs/model.json")`), NHWC in, logits out
 * - `export.json`: the same statement, plus every tensor's medmim name,
 *   PyTorch name and both shapes
 *
 * Only the U-Net is exported: HPM's loss-predictor head (`losshead.*`), the
 * EMA teacher and the optimizer moments stay in the checkpoint.
 *
 * @module
 */

import { loadCheckpoint, writeAtomic } from "../io/checkpoint.ts";
import { encodeSafetensors, type NamedTensor } from "./safetensors.ts";
import {
  saveLayersModel,
  type UNetArchitecture,
  unetArchitecture,
  unetLayersModel,
} from "./tfjs_layers_model.ts";
import { TORCH_LAYOUT, torchName, toTorchLayout } from "./torch_layout.ts";

/** Options of {@linkcode runExport}. */
export interface ExportOptions {
  /**
   * `best`, `last`, or a checkpoint file; default `best` when the run has
   * `checkpoint_best.ckpt` (fine-tuning), else `last` (pretraining).
   */
  readonly checkpoint?: string;
  /** Output folder; default `<runDir>/export`. */
  readonly out?: string;
}

/** What {@linkcode runExport} wrote. */
export interface ExportResult {
  readonly outDir: string;
  readonly checkpoint: string;
  readonly architecture: UNetArchitecture;
  /** Files written, relative to `outDir`. */
  readonly files: readonly string[];
  /** Number of tensors exported. */
  readonly tensors: number;
}

/**
 * Exports the U-Net of the run in `runDir`. tfjs's backend must be set (any).
 *
 * @param runDir A pretraining or fine-tuning run folder.
 * @param options Which checkpoint, where to write.
 * @returns The folder, checkpoint and files.
 * @throws {Deno.errors.NotFound} If the checkpoint does not exist.
 * @throws {RangeError} If the checkpoint holds no U-Net (a ViT's is refused by name), or one
 *   with GroupNorm.
 */
export async function runExport(
  runDir: string,
  options: ExportOptions = {},
): Promise<ExportResult> {
  const checkpoint = await pickCheckpoint(runDir, options.checkpoint);
  const ckpt = await loadCheckpoint(checkpoint);
  const arch = (ckpt.meta.config as { model?: { arch?: string } } | undefined)?.model?.arch;
  if (arch === "vit") {
    throw new RangeError(
      `Cannot export "${checkpoint}": it holds a ViT (model.arch vit); export writes U-Nets only`,
    );
  }
  const weights = new Map<string, { shape: readonly number[]; data: Float32Array }>();
  for (const [key, value] of ckpt.tensors) {
    const name = key.startsWith("params/") ? key.slice("params/".length) : null;
    if (name !== null && !name.startsWith("losshead.")) weights.set(name, value);
  }
  if (weights.size === 0) {
    throw new RangeError(`Cannot export "${checkpoint}": it holds no U-Net parameters`);
  }
  const normed = [...weights.keys()].find((name) => name.includes(".norm."));
  if (normed) {
    throw new RangeError(
      `Cannot export "${checkpoint}": its U-Net has GroupNorm ("${normed}", model.norm group), ` +
        "which the PyTorch and tfjs layouts do not describe yet",
    );
  }
  const architecture = unetArchitecture(weights);
  const outDir = options.out ?? `${runDir}/export`;
  await Deno.mkdir(`${outDir}/tfjs`, { recursive: true });

  const torch: NamedTensor[] = [];
  const names: { medmim: string; torch: string; medmimShape: number[]; torchShape: number[] }[] =
    [];
  for (const [name, { shape, data }] of weights) {
    const converted = toTorchLayout(shape, data);
    const tname = torchName(name);
    torch.push({ name: tname, ...converted });
    names.push({
      medmim: name,
      torch: tname,
      medmimShape: [...shape],
      torchShape: converted.shape,
    });
  }
  const meta = ckpt.meta as { kind?: unknown; epoch?: unknown; valDice?: unknown };
  const statement = {
    format: "pt",
    layout: TORCH_LAYOUT,
    architecture: JSON.stringify({ ...architecture, depth: 4 }),
    input:
      "float32 images, every channel z-scored as medmim's preprocessing does (deno task preprocess); " +
      "height and width multiples of 16",
    output: architecture.outChannels === 1 && meta.kind === "finetune"
      ? "1 logit per pixel (sigmoid: lesion probability)"
      : meta.kind === "finetune"
      ? `${architecture.outChannels} class logits per pixel (softmax over channels; class 0 = background)`
      : `${architecture.outChannels} channel(s): the reconstructed image (masked-image-modeling pretraining)`,
    source: checkpoint,
    epoch: String(meta.epoch ?? ""),
  };
  const files = ["model.safetensors", "tfjs/model.json", "tfjs/weights.bin", "export.json"];
  await writeAtomic(`${outDir}/model.safetensors`, encodeSafetensors(torch, statement));
  const model = unetLayersModel(weights);
  try {
    await saveLayersModel(model, `${outDir}/tfjs`);
  } finally {
    model.dispose();
  }
  await writeAtomic(
    `${outDir}/export.json`,
    JSON.stringify(
      {
        ...statement,
        architecture: { ...architecture, depth: 4 },
        tfjs: "tfjs LayersModel: NHWC input [batch, height, width, channels], layer names = " +
          "medmim parameter prefixes with _ for . (down0_conv0, up3_tconv, head)",
        files,
        tensors: names,
      },
      null,
      2,
    ) + "\n",
  );
  return { outDir, checkpoint, architecture, files, tensors: torch.length };
}

async function pickCheckpoint(runDir: string, choice: string | undefined): Promise<string> {
  if (choice === "best" || choice === "last") return `${runDir}/checkpoint_${choice}.ckpt`;
  if (choice !== undefined) return choice;
  const best = `${runDir}/checkpoint_best.ckpt`;
  const exists = await Deno.stat(best).then(() => true, (e) => {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  });
  return exists ? best : `${runDir}/checkpoint_last.ckpt`;
}
