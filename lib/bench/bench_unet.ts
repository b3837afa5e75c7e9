/**
 * Times the U-Net on tfjs's active backend: the whole pretraining step
 * (`trainStep`: mask, forward, loss on removed patches, backward, AdamW) and
 * the forward pass alone, on a batch of phantoms. Achieved GFLOP/s come from
 * analytically counted FLOPs: forward = `unetForwardFlops` per image, step =
 * 3 x forward (the backward pass computes two products per forward product:
 * the input and the weight gradient).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import process from "node:process";
import { loadConfig } from "../config/pretrain_config.ts";
import type { KernelContext } from "../kernels/kernel_context.ts";
import { countParams, createUNet, unetForward, unetForwardFlops } from "../model/unet.ts";
import { createAdamWState } from "../optim/adamw.ts";
import { trainStep } from "../pretrain/train_step.ts";
import { generatePhantom } from "../data/phantoms.ts";
import { measure } from "./measure.ts";

/** One U-Net shape to time. */
export interface UNetCase {
  readonly size: number;
  readonly batch: number;
  readonly baseWidth: number;
}

/** What {@linkcode benchUNet} measured. */
export interface UNetTiming extends UNetCase {
  readonly stepMs: number;
  /**
   * Median CPU time of this process per timed step (all its threads): on a
   * busy machine, with one thread, a measure of speed that does not depend on
   * the share of the cores the process got.
   */
  readonly stepCpuMs: number;
  readonly forwardMs: number;
  readonly stepGflops: number;
  readonly forwardGflops: number;
  readonly params: number;
  /** Training steps run (the first is a warm-up, the rest timed). */
  readonly steps: number;
  /** The loss of every step, from the first. */
  readonly losses: number[];
}

/**
 * The bench batch: phantoms 0..batch-1 of seed 0, `[batch, size, size, 1]`.
 *
 * @param batch Images.
 * @param size Side.
 * @returns The pixel values, NHWC.
 */
export function benchBatch(batch: number, size: number): Float32Array {
  const values = new Float32Array(batch * size * size);
  for (let i = 0; i < batch; i++) values.set(generatePhantom(0, i, size).image, i * size * size);
  return values;
}

/**
 * Times one case: `steps` training steps (one warm-up, the median of the
 * others) from a fresh network, then the forward pass.
 *
 * @param ctx Where medmim's kernels run (matching the backend).
 * @param c Size, batch and width.
 * @param options `steps` (>= 2) and the forward time budget.
 * @returns The timings.
 */
export async function benchUNet(
  ctx: KernelContext,
  c: UNetCase,
  options: { readonly steps: number; readonly forwardBudgetMs?: number },
): Promise<UNetTiming> {
  const patchSize = 16;
  const config = await loadConfig(undefined, [
    `data.size=${c.size}`,
    `mask.patchSize=${patchSize}`,
    `model.baseWidth=${c.baseWidth}`,
    `train.batchSize=${c.batch}`,
    "optim.warmupEpochs=0",
    "optim.lr=1e-3",
  ]);
  const architecture = { inChannels: 1, outChannels: 1, baseWidth: c.baseWidth };
  const net = createUNet(architecture, 1);
  const state = { config, ctx, net, optimizer: createAdamWState(net.params), teacher: null };
  const x = tf.tensor4d(benchBatch(c.batch, c.size), [c.batch, c.size, c.size, 1]);
  let step = 0;
  const losses: number[] = [];
  const cpuMs: number[] = [];
  const steps = Math.max(2, options.steps);
  const timedStep = await measure(async () => {
    const cpu0 = process.cpuUsage();
    const value = trainStep(state, x, { epoch: 0, step: step++, steps: 1, lr: 1e-3 });
    losses.push((await value.data())[0]!);
    value.dispose();
    const cpu = process.cpuUsage(cpu0);
    cpuMs.push((cpu.user + cpu.system) / 1000);
  }, { minReps: steps - 1, maxReps: steps - 1, budgetMs: 0 });
  const timedCpu = cpuMs.slice(1).sort((a, b) => a - b); // without the warm-up
  const mid = timedCpu.length >> 1;
  const forward = await measure(async () => {
    const y = tf.tidy(() => unetForward(net, x));
    await y.data();
    y.dispose();
  }, { minReps: 2, budgetMs: options.forwardBudgetMs ?? 1000 });
  x.dispose();
  const params = countParams(net);
  tf.dispose([
    ...net.params.values(),
    ...state.optimizer.m.values(),
    ...state.optimizer.v.values(),
  ]);
  const flops = unetForwardFlops(architecture, c.size, c.size) * c.batch;
  return {
    ...c,
    stepMs: timedStep.ms,
    stepCpuMs: timedCpu.length % 2 ? timedCpu[mid]! : (timedCpu[mid - 1]! + timedCpu[mid]!) / 2,
    forwardMs: forward.ms,
    stepGflops: (3 * flops) / timedStep.ms / 1e6,
    forwardGflops: flops / forward.ms / 1e6,
    params,
    steps,
    losses,
  };
}
