/**
 * Times the ViT masked autoencoder's pretraining step (`trainStep` with
 * `model.arch: vit`: random token masking, the encoder on the kept tokens,
 * the decoder, the per-token loss on removed tokens, backward, AdamW) on
 * tfjs's active backend, on the bench batch of phantoms. Achieved GFLOP/s
 * come from `maeForwardFlops` (step = 3 x forward).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { loadConfig } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { countParams } from "../model/unet.ts";
import { createMimNet, disposeMimNet, vitMaeOptions } from "../model/mim_net.ts";
import { maeForwardFlops } from "../model/vit_mae.ts";
import { createAdamWState } from "../optim/adamw.ts";
import { trainStep } from "../pretrain/train_step.ts";
import { removedPatchCount } from "../mask_ratio.ts";
import { benchBatch } from "./bench_unet.ts";
import { measure } from "./measure.ts";

/** One ViT masked autoencoder to time. */
export interface ViTCase {
  /** Image side. */
  readonly size: number;
  /** Patch side P. */
  readonly patch: number;
  /** D, blocks and heads of the encoder. */
  readonly width: number;
  readonly depth: number;
  readonly heads: number;
  /** D, blocks and heads of the decoder. */
  readonly decoderWidth: number;
  readonly decoderDepth: number;
  readonly decoderHeads: number;
  readonly batch: number;
}

/** What {@linkcode benchViT} measured. */
export interface ViTTiming extends ViTCase {
  readonly stepMs: number;
  readonly stepGflops: number;
  readonly params: number;
  /** Tokens the encoder sees per image. */
  readonly keep: number;
  /** Training steps run (the first is a warm-up, the rest timed). */
  readonly steps: number;
  /** The loss of every step, from the first. */
  readonly losses: number[];
}

/**
 * Parses `size:patch:width:depth:heads:decoderWidth:decoderDepth:decoderHeads`.
 *
 * @param text The case, e.g. `64:8:128:4:4:64:2:4` (the tiny preset).
 * @param batch Images per step.
 * @returns The case.
 * @throws {RangeError} If it does not have eight positive integers.
 * @example
 * ```ts
 * import { parseViTCase } from "./bench_vit.ts";
 * if (parseViTCase("64:8:128:4:4:64:2:4", 8).width !== 128) throw new Error("width");
 * ```
 */
export function parseViTCase(text: string, batch: number): ViTCase {
  const v = text.split(":").map(Number);
  if (v.length !== 8 || !v.every((x) => Number.isInteger(x) && x > 0)) {
    throw new RangeError(
      `Cannot parse ViT case "${text}": expected size:patch:width:depth:heads:decoderWidth:decoderDepth:decoderHeads`,
    );
  }
  const [size, patch, width, depth, heads, decoderWidth, decoderDepth, decoderHeads] = v as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  return { size, patch, width, depth, heads, decoderWidth, decoderDepth, decoderHeads, batch };
}

/**
 * Times one case: `steps` training steps (one warm-up, the median of the
 * others) from a fresh network at mask ratio 0.75.
 *
 * @param ctx Where medmim's kernels run (matching the backend).
 * @param c The architecture and batch.
 * @param options `steps` (>= 2).
 * @returns The timings.
 */
export async function benchViT(
  ctx: KernelContext,
  c: ViTCase,
  options: { readonly steps: number },
): Promise<ViTTiming> {
  const config = await loadConfig(undefined, [
    "model.arch=vit",
    `model.vit.width=${c.width}`,
    `model.vit.depth=${c.depth}`,
    `model.vit.heads=${c.heads}`,
    `model.vit.decoderWidth=${c.decoderWidth}`,
    `model.vit.decoderDepth=${c.decoderDepth}`,
    `model.vit.decoderHeads=${c.decoderHeads}`,
    `data.size=${c.size}`,
    `mask.patchSize=${c.patch}`,
    "mask.maskRatio=0.75",
    `train.batchSize=${c.batch}`,
    "optim.warmupEpochs=0",
    "optim.lr=1e-3",
  ]);
  const net = createMimNet(config, { channels: 1, lossPredictor: false }, 1);
  const state = { config, ctx, net, optimizer: createAdamWState(net.params), teacher: null };
  const x = tf.tensor4d(benchBatch(c.batch, c.size), [c.batch, c.size, c.size, 1]);
  let step = 0;
  const losses: number[] = [];
  const steps = Math.max(2, options.steps);
  const timed = await measure(async () => {
    const value = trainStep(state, x, { epoch: 0, step: step++, steps: 1, lr: 1e-3 });
    losses.push((await value.data())[0]!);
    value.dispose();
  }, { minReps: steps - 1, maxReps: steps - 1, budgetMs: 0 });
  x.dispose();
  const params = countParams(net);
  disposeMimNet(net);
  tf.dispose([...state.optimizer.m.values(), ...state.optimizer.v.values()]);
  const patches = (c.size / c.patch) ** 2;
  const keep = patches - removedPatchCount(patches, 0.75);
  const flops = maeForwardFlops(vitMaeOptions(config, 1, false), keep) * c.batch;
  return {
    ...c,
    stepMs: timed.ms,
    stepGflops: (3 * flops) / timed.ms / 1e6,
    params,
    keep,
    steps,
    losses,
  };
}
