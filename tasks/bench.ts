/**
 * `deno task bench`: one table of medmim's speed on this machine, saved as
 * JSON under `runs/bench/`.
 *
 * 1. Every WGSL kernel against its TS twin (ms per batch, effective GB/s), on
 *    the WebGPU adapter, when there is one.
 * 2. The U-Net pretraining step (mask, forward, loss, backward, AdamW) and the
 *    forward pass at 64, 128 and 160 px, batch 8, base width 16 and 32, on the
 *    backend `auto` chooses (ms, images/s, achieved GFLOP/s).
 * 3. The same step on tfjs-webgpu for the 128 px / base 16 row (on a software
 *    adapter this is the path `auto` avoids; the bench shows why).
 * 4. The same U-Net in PyTorch on the CPU (`tasks/bench_torch_unet.py`, run by
 *    `/usr/bin/python3` when it imports torch), case by case just before
 *    medmim's, with medmim / PyTorch ratios and a parameter-count check.
 * 5. The ViT masked autoencoder's pretraining step (mask ratio 0.75: the
 *    encoder on a quarter of the tokens) for each `--vit-cases` entry
 *    `size:patch:width:depth:heads:decoderWidth:decoderDepth:decoderHeads`
 *    (default: the tiny CPU preset at 64 px, and ViT-Ti/16 at 128 px with a
 *    4-block decoder), on the chosen backend and (first case) tfjs-webgpu,
 *    beside the same network in PyTorch (`tasks/bench_torch_vit.py`).
 *
 * 6. On wasm, the ceiling of the wasm path here (`lib/bench/wasm_ceiling.ts`):
 *    a register-blocked SIMD micro-kernel on operands in L1, with mul + add
 *    and with relaxed-SIMD FMA, on one thread and on the wasm threads; each
 *    U-Net row shows PyTorch's GFLOP/s and the best medmim / PyTorch ratio
 *    that ceiling allows.
 *
 * Usage: deno task bench [--steps=6] [--webgpu-steps=3] [--sizes=64,128,160]
 *   [--widths=16,32] [--batch=8] [--vit-cases=64:8:128:4:4:64:2:4,...]
 *   [--torch-threads=2] [--skip=kernels,webgpu,torch,unet,vit,ceiling]
 *   [--wasm-kernels=medmim|stock]   (stock: tfjs-backend-wasm's and XNNPACK's
 *   kernels instead of medmim's own Conv2D / Conv2DBackpropFilter)
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import os from "node:os";
import { initTf } from "../lib/backend/init_tf.ts";
import { getGpu } from "../lib/gpu/device.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { useWasmOwnKernels, wasmOwnKernels } from "../lib/backend/wasm_own_kernels.ts";
import { type CeilingTiming, runCeilingThreads } from "../lib/bench/wasm_ceiling.ts";
import { getThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { benchKernels, type KernelRow } from "../lib/bench/bench_kernels.ts";
import { benchBatch, benchUNet, type UNetTiming } from "../lib/bench/bench_unet.ts";
import { benchViT, parseViTCase, type ViTCase, type ViTTiming } from "../lib/bench/bench_vit.ts";
import { formatTable } from "../lib/bench/format_table.ts";
import { writeAtomic } from "../lib/io/write_atomic.ts";
import { taskArgs } from "./_help.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const PYTHON = "/usr/bin/python3";
const OUT_DIR = "runs/bench";

const flags = taskArgs(TASK_SPECS.bench).values;
const flag = (name: string, fallback: string) => (flags[name] as string | undefined) ?? fallback;
/** The flags, absent ones at their defaults. */
const values = {
  steps: flag("steps", "6"),
  "webgpu-steps": flag("webgpu-steps", "3"),
  sizes: flag("sizes", "64,128,160"),
  widths: flag("widths", "16,32"),
  batch: flag("batch", "8"),
  "vit-cases": flag("vit-cases", "64:8:128:4:4:64:2:4,128:16:192:12:3:128:4:4"),
  "torch-threads": flag("torch-threads", "2"),
  skip: flag("skip", ""),
  "wasm-kernels": flag("wasm-kernels", "medmim"),
};
const numbers = (text: string) => text.split(",").filter(Boolean).map(Number);
const steps = Number(values.steps), webgpuSteps = Number(values["webgpu-steps"]);
const batch = Number(values.batch);
const skip = new Set(values.skip.split(","));
const cases = skip.has("unet")
  ? []
  : numbers(values.widths).flatMap((baseWidth) =>
    numbers(values.sizes).map((size) => ({ size, batch, baseWidth }))
  );
const vitCases: ViTCase[] = skip.has("vit")
  ? []
  : values["vit-cases"].split(",").filter(Boolean).map((c) => parseViTCase(c, batch));
const log = (text: string) => console.error(`bench: ${text}`);
const started = performance.now();

// 4. PyTorch's ViT first (its U-Net runs case by case beside medmim's, below)
const torchVit = skip.has("torch") || vitCases.length === 0
  ? undefined
  : await runTorch<TorchVitResult>(
    "bench_torch_vit.py",
    ["--cases", vitCases.map(vitCaseText).join(","), "--ratio", "0.75"],
    vitCases.map((c) => c.size),
  );

// 2. the chosen backend
const choice = await initTf("auto");
if (values["wasm-kernels"] === "stock") useWasmOwnKernels(false);
log(`backend ${choice.backend} (${choice.reason})`);

// 5. the wasm ceiling
const ceiling: Array<{ threads: number; fma: boolean } & CeilingTiming> = [];
if (choice.backend === "wasm" && !skip.has("ceiling")) {
  const threads = [...new Set([1, getThreadsCount()])];
  const fmas = [false, ...(wasmOwnKernels()?.setup.fma ?? true ? [true] : [])];
  for (const t of threads) {
    for (const fma of fmas) {
      // best of three: the ceiling is what the machine gives when it gives most
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await runCeilingThreads(fma, t, 300));
      const best = runs.reduce((a, b) => (b.gflops > a.gflops ? b : a));
      ceiling.push({ threads: t, fma, ...best });
    }
  }
  log(
    `wasm ceiling: ${
      ceiling.map((c) =>
        `${c.threads} thread(s) ${c.fma ? "madd" : "mul+add"} ${c.gflops.toFixed(1)} GFLOP/s`
      ).join(", ")
    }`,
  );
}
const top = ceiling.filter((c) => c.threads === Math.max(...ceiling.map((d) => d.threads)))
  .reduce<CeilingTiming | undefined>((a, b) => (!a || b.gflops > a.gflops ? b : a), undefined);
const chosen: UNetTiming[] = [];
let torch: TorchResult | undefined;
let torchOn = !skip.has("torch");
{
  const ctx = await createKernelContext();
  for (const c of cases) {
    // PyTorch's step for this case just before medmim's, so that the two run
    // seconds apart, under the same load (this machine's speed drifts by tens
    // of percent over minutes); while it runs, this process only waits
    if (torchOn) {
      const one = await runTorch<TorchResult>(
        "bench_torch_unet.py",
        ["--cases", `${c.size}:${c.baseWidth}`],
        [c.size],
      );
      if (one) torch = { ...one, rows: [...(torch?.rows ?? []), ...one.rows] };
      else torchOn = false; // no torch here, or it failed: said once, not per case
    }
    log(`U-Net ${c.size} px, base ${c.baseWidth}, batch ${c.batch} on ${choice.backend}`);
    chosen.push(await benchUNet(ctx, c, { steps }));
  }
}
const vitChosen: ViTTiming[] = [];
{
  const ctx = await createKernelContext();
  for (const c of vitCases) {
    log(`ViT-MAE ${vitCaseText(c)}, batch ${c.batch} on ${choice.backend}`);
    vitChosen.push(await benchViT(ctx, c, { steps }));
  }
}

// 1 and 3: the adapter
const gpu = await getGpu().catch((error: Error) => {
  log(`no WebGPU adapter (${error.message}): kernel and webgpu rows skipped`);
  return undefined;
});
let kernelRows: KernelRow[] = [];
let webgpu: UNetTiming | undefined;
let vitWebgpu: ViTTiming | undefined;
let webgpuKernels: string | undefined; // medmim's kernels in tfjs-webgpu, or why none
if (gpu) {
  if (!skip.has("kernels")) {
    log(`WGSL kernels vs TS twins on "${gpu.description}"`);
    kernelRows = await benchKernels(gpu.device);
  }
  const reference = cases.find((c) => c.size === 128 && c.baseWidth === 16) ?? cases[0];
  if (!skip.has("webgpu") && choice.backend !== "webgpu") {
    webgpuKernels = (await useWebGpuBackend(gpu)).description;
    if (reference) {
      log(
        `U-Net ${reference.size} px, base ${reference.baseWidth} on webgpu ` +
          `(${webgpuKernels}; ${webgpuSteps} steps)`,
      );
      webgpu = await benchUNet(await createKernelContext(), reference, { steps: webgpuSteps });
    }
    if (vitCases[0]) {
      log(`ViT-MAE ${vitCaseText(vitCases[0])} on webgpu (${webgpuSteps} steps)`);
      vitWebgpu = await benchViT(await createKernelContext(), vitCases[0], { steps: webgpuSteps });
    }
  }
}

// the table
const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : "-");
const torchRow = (c: UNetTiming) =>
  torch?.rows.find((r) => r.size === c.size && r.baseWidth === c.baseWidth);
const unetRow = (backend: string, t: UNetTiming) => {
  const ref = torchRow(t);
  return [
    backend,
    `${t.size}`,
    `${t.baseWidth}`,
    `${t.batch}`,
    t.stepMs.toFixed(0),
    (1000 * t.batch / t.stepMs).toFixed(1),
    t.stepGflops.toFixed(2),
    t.forwardMs.toFixed(0),
    (1000 * t.batch / t.forwardMs).toFixed(1),
    t.forwardGflops.toFixed(2),
    t.losses.at(-1)!.toFixed(4),
    ref ? ref.stepMs.toFixed(0) : "-",
    ratio(t.stepMs, ref?.stepMs),
    ref ? ref.forwardMs.toFixed(0) : "-",
    ratio(t.forwardMs, ref?.forwardMs),
    t.stepCpuMs.toFixed(0),
    ref?.stepCpuMs ? ref.stepCpuMs.toFixed(0) : "-",
    ratio(t.stepCpuMs, ref?.stepCpuMs),
    ref ? (t.stepGflops * t.stepMs / ref.stepMs).toFixed(1) : "-",
    ref && top ? `${(t.stepGflops * t.stepMs / ref.stepMs / top.gflops).toFixed(2)}x` : "-",
    ref
      ? (ref.params === t.params ? `${t.params} =` : `${t.params} != ${ref.params}`)
      : `${t.params}`,
  ];
};
const report: string[] = [];
if (kernelRows.length > 0) {
  report.push(
    `WGSL kernels on "${gpu!.description}" vs their TS twins (batch 8 x 128 x 128, P 16):\n`,
    formatTable(
      ["kernel", "shape", "WGSL ms", "WGSL GB/s", "TS ms", "TS GB/s", "TS / WGSL"],
      kernelRows.map((r) => [
        r.kernel,
        r.shape,
        r.gpuMs.toFixed(3),
        r.gpuGBs.toFixed(3),
        r.cpuMs.toFixed(3),
        r.cpuGBs.toFixed(3),
        ratio(r.cpuMs, r.gpuMs),
      ]),
    ),
    "",
  );
}
if (cases.length > 0) {
  report.push(
    `U-Net pretraining step and forward pass (loss after ${steps} steps; PyTorch ${
      torch ? `${torch.torch}, ${torch.threads} threads` : "not run"
    }; "cpu ms": median CPU time of the process per step, all threads: with one thread on ` +
      "each side, a comparison that a busy machine does not skew):\n",
    formatTable(
      [
        "backend",
        "px",
        "base",
        "batch",
        "step ms",
        "img/s",
        "GFLOP/s",
        "fwd ms",
        "fwd img/s",
        "fwd GFLOP/s",
        "loss",
        "torch step ms",
        "step ratio",
        "torch fwd ms",
        "fwd ratio",
        "cpu ms",
        "torch cpu ms",
        "cpu ratio",
        "torch GFLOP/s",
        "ratio at ceiling",
        "params (= torch)",
      ],
      [
        ...chosen.map((t) => unetRow(choice.backend, t)),
        ...(webgpu ? [unetRow(`webgpu (${webgpuSteps} steps)`, webgpu)] : []),
      ],
    ),
  );
}
if (vitChosen.length > 0) {
  const vitRow = (backend: string, t: ViTTiming) => {
    const ref = torchVit?.rows.find((r) =>
      r.size === t.size && r.decoder === decoderText(t) &&
      r.patch === t.patch && r.width === t.width && r.depth === t.depth && r.heads === t.heads
    );
    return [
      backend,
      `${t.size}`,
      `${t.patch}`,
      `${t.width} x ${t.depth} / ${t.heads}`,
      `${t.decoderWidth} x ${t.decoderDepth} / ${t.decoderHeads}`,
      `${t.keep}/${(t.size / t.patch) ** 2}`,
      `${t.batch}`,
      t.stepMs.toFixed(0),
      (1000 * t.batch / t.stepMs).toFixed(1),
      t.stepGflops.toFixed(2),
      t.losses.at(-1)!.toFixed(4),
      ref ? ref.stepMs.toFixed(0) : "-",
      ratio(t.stepMs, ref?.stepMs),
      ref ? (1000 * t.batch / ref.stepMs).toFixed(1) : "-",
      ref
        ? (ref.params === t.params ? `${t.params} =` : `${t.params} != ${ref.params}`)
        : `${t.params}`,
    ];
  };
  report.push(
    "",
    `ViT masked autoencoder pretraining step, mask ratio 0.75 (loss after ${steps} steps; PyTorch ${
      torchVit ? `${torchVit.torch}, ${torchVit.threads} threads` : "not run"
    }):\n`,
    formatTable(
      [
        "backend",
        "px",
        "patch",
        "encoder D x depth / heads",
        "decoder",
        "tokens seen",
        "batch",
        "step ms",
        "img/s",
        "GFLOP/s",
        "loss",
        "torch step ms",
        "step ratio",
        "torch img/s",
        "params (= torch)",
      ],
      [
        ...vitChosen.map((t) => vitRow(choice.backend, t)),
        ...(vitWebgpu ? [vitRow(`webgpu (${webgpuSteps} steps)`, vitWebgpu)] : []),
      ],
    ),
  );
}
const fast = chosen.find((t) => t.size === 128 && t.baseWidth === 16);
if (fast && webgpu) {
  const ref = torchRow(fast);
  const k = Math.min(webgpu.steps, fast.steps, ref?.losses.length ?? Infinity);
  report.push(
    "",
    `128 px, base 16: ${choice.backend} step ${fast.stepMs.toFixed(0)} ms = ${
      ratio(fast.stepMs, ref?.stepMs)
    } PyTorch; webgpu step ${webgpu.stepMs.toFixed(0)} ms = ${ratio(webgpu.stepMs, fast.stepMs)} ` +
      `${choice.backend}. Loss after ${k} steps (same data, masks and initial weights for ` +
      `medmim's two backends): webgpu ${webgpu.losses[k - 1]!.toFixed(4)}, ${choice.backend} ` +
      `${fast.losses[k - 1]!.toFixed(4)}` +
      (ref ? `, PyTorch ${ref.losses[k - 1]!.toFixed(4)} (own masks and weights)` : ""),
  );
}
if (ceiling.length > 0) {
  report.push(
    "",
    "wasm SIMD ceiling here (6 x 8 register-blocked micro-kernel, operands in L1; the " +
      'best a wasm kernel can do; "ratio at ceiling" above = PyTorch\'s GFLOP/s over the ' +
      "best of these on all threads, the lowest step ratio any wasm kernels could reach):\n",
    formatTable(
      ["threads", "instructions", "GFLOP/s", "GFLOP per CPU second"],
      ceiling.map((c) => [
        `${c.threads}`,
        c.fma ? "f32x4.relaxed_madd" : "f32x4.mul + f32x4.add",
        c.gflops.toFixed(1),
        c.gflopsPerCpuSecond.toFixed(1),
      ]),
    ),
  );
}
const seconds = (performance.now() - started) / 1000;
const host = machine();
report.push("", `machine: ${host}; bench took ${seconds.toFixed(0)} s`);
console.log(report.join("\n"));

const stamp = new Date().toISOString().replace(/[:.]/g, "-");
await Deno.mkdir(OUT_DIR, { recursive: true });
const path = `${OUT_DIR}/bench_${stamp}.json`;
await writeAtomic(
  path,
  JSON.stringify(
    {
      date: new Date().toISOString(),
      machine: host,
      backend: choice,
      wasmKernels: values["wasm-kernels"],
      ceiling,
      kernels: kernelRows,
      unet: chosen,
      webgpu: webgpu ?? null,
      webgpuKernels: webgpuKernels ?? null,
      torch: torch ?? null,
      vit: vitChosen,
      vitWebgpu: vitWebgpu ?? null,
      torchVit: torchVit ?? null,
      seconds,
    },
    null,
    2,
  ) + "\n",
);
console.log(`saved ${path}`);

interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  readonly rows: Array<
    {
      size: number;
      baseWidth: number;
      stepMs: number;
      stepCpuMs?: number;
      forwardMs: number;
      params: number;
      losses: number[];
    }
  >;
}

interface TorchVitResult {
  readonly torch: string;
  readonly threads: number;
  readonly rows: Array<
    {
      size: number;
      patch: number;
      width: number;
      depth: number;
      heads: number;
      decoder: string;
      stepMs: number;
      params: number;
      losses: number[];
    }
  >;
}

/** `size:patch:width:depth:heads:decoderWidth:decoderDepth:decoderHeads` of a case. */
function vitCaseText(c: ViTCase): string {
  return `${c.size}:${c.patch}:${c.width}:${c.depth}:${c.heads}:${decoderText(c)}`;
}

/** `decoderWidth:decoderDepth:decoderHeads` of a case. */
function decoderText(c: ViTCase): string {
  return `${c.decoderWidth}:${c.decoderDepth}:${c.decoderHeads}`;
}

/**
 * Runs a PyTorch reference script of `tasks/` on the bench batches of `sizes`
 * when `/usr/bin/python3` imports torch.
 */
async function runTorch<T>(
  script: string,
  caseArgs: readonly string[],
  sizes: readonly number[],
): Promise<T | undefined> {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
    .output().catch(() => undefined);
  if (!probe?.success) {
    log(
      `PyTorch rows skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)`,
    );
    return undefined;
  }
  const dataDir = `${OUT_DIR}/data`;
  await Deno.mkdir(dataDir, { recursive: true });
  for (const size of new Set(sizes)) {
    const values = benchBatch(batch, size);
    await Deno.writeFile(`${dataDir}/batch_${size}.f32`, new Uint8Array(values.buffer));
  }
  log(`PyTorch ${script} ${caseArgs.join(" ")} (${values["torch-threads"]} threads)`);
  const out = await new Deno.Command(PYTHON, {
    args: [
      new URL(`./${script}`, import.meta.url).pathname,
      ...caseArgs,
      "--batch",
      `${batch}`,
      "--steps",
      `${steps}`,
      "--threads",
      values["torch-threads"],
      "--data",
      dataDir,
    ],
    stderr: "inherit",
  }).output();
  if (!out.success) {
    log("PyTorch reference failed (its error is above); its rows are left out");
    return undefined;
  }
  return JSON.parse(new TextDecoder().decode(out.stdout)) as T;
}

/** CPU model and cores, Deno and tfjs versions. */
function machine(): string {
  const model = os.cpus()[0]?.model ?? "unknown CPU";
  const adapter = gpu ? `; WebGPU adapter "${gpu.description}"` : "; no WebGPU adapter";
  return `${model}, ${navigator.hardwareConcurrency} logical cores${adapter}; ` +
    `Deno ${Deno.version.deno}; tfjs ${tf.version.tfjs}`;
}
