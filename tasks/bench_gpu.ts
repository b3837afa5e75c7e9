/**
 * The GPU bench: what the bench pack (`deno task bench-pack`) runs on a GPU
 * machine, bundled into one JS file; it also runs from the repo.
 *
 * 1. The adapter: info, features and limits (printed, and in the JSON).
 * 2. The same U-Net in PyTorch (`bench_torch_unet.py`, `--torch-device`,
 *    default cuda; eager fp32, eager TF32 and `torch.compile`), first, while
 *    this process holds no GPU memory.
 * 3. Every WGSL kernel on a realistic batch (default 32 x 256 x 256, 16 px
 *    patches: 256 patches), ms and effective GB/s: the masking and loss
 *    kernels (`kernel_cases.ts`), the filter gradient inside tfjs-webgpu and
 *    the EDT (`bench_tfjs_kernels.ts`).
 * 4. The U-Net pretraining step and forward pass on tfjs-webgpu with
 *    medmim's kernels, at every size x base width x batch (default 128/256
 *    px, 16/32/64, 8/32), smallest first; ms, TFLOP/s and the ratio to each
 *    PyTorch mode. A case that fails (e.g. out of memory) is reported, not
 *    fatal; cases are skipped once `--budget-s` less a minute (for part 5)
 *    has passed, and part 5 once `--budget-s` has.
 * 5. The CPU path on this machine's cores (`--cpu-cases`, default 128 px,
 *    base 16 and 32, batch 8; `--cpu-threads`, default min(8, cores)): the
 *    wasm SIMD ceiling, the U-Net step on tfjs-backend-wasm with medmim's own
 *    kernels, and PyTorch on the CPU with as many threads.
 *
 * Writes `bench_gpu.json` and `bench_gpu.md` to `--out`.
 *
 *   deno run --allow-read=. --allow-write=runs --allow-run=/usr/bin/python3 --allow-sys=cpus \
 *     tasks/bench_gpu.ts --out=runs/bench_gpu --sizes=64 --widths=8 --batches=2 \
 *     --python=/usr/bin/python3 --torch-device=cpu
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import os from "node:os";
import { getGpu } from "../lib/gpu/device.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { benchKernels, type KernelRow } from "../lib/bench/bench_kernels.ts";
import { benchBatch, benchUNet, type UNetTiming } from "../lib/bench/bench_unet.ts";
import { benchTfjsKernels, type GpuKernelRow } from "../lib/bench/bench_tfjs_kernels.ts";
import { adapterLines, adapterReport } from "../lib/bench/adapter_report.ts";
import { runTorch, type TorchResult } from "../lib/bench/run_torch.ts";
import { gpuBenchMarkdown, type UNetFailure } from "../lib/bench/gpu_bench_report.ts";
import { unetForwardFlops } from "../lib/model/unet.ts";
import { benchWasmCpu, type WasmCpuResult } from "../lib/bench/bench_wasm_cpu.ts";
import { writeAtomic } from "../lib/io/write_atomic.ts";
import { runTask } from "./_run_task.ts";

const log = (text: string) => console.error(`bench_gpu: ${text}`);

async function main(): Promise<void> {
  const started = performance.now();
  const elapsedS = () => (performance.now() - started) / 1000;
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string" },
      work: { type: "string" },
      sizes: { type: "string", default: "128,256" },
      widths: { type: "string", default: "16,32,64" },
      batches: { type: "string", default: "8,32" },
      steps: { type: "string", default: "5" },
      "kernel-batch": { type: "string", default: "32" },
      "kernel-size": { type: "string", default: "256" },
      "kernel-base": { type: "string", default: "32" },
      python: { type: "string", default: "python3" },
      "torch-script": { type: "string" },
      "torch-device": { type: "string", default: "cuda" },
      "torch-modes": { type: "string", default: "eager,tf32,compile" },
      "torch-budget-s": { type: "string", default: "200" },
      "budget-s": { type: "string", default: "420" },
      "cpu-cases": { type: "string", default: "128:16:8,128:32:8" },
      "cpu-threads": { type: "string" },
      "wasm-dir": { type: "string" },
      skip: { type: "string", default: "" },
    },
  });
  if (!values.out) throw new Error("Cannot run the GPU bench: --out=DIR is required");
  const out = values.out;
  const work = values.work ?? `${out}/work`;
  const numbers = (text: string, what: string) => {
    const list = text.split(",").filter(Boolean).map(Number);
    if (list.some((n) => !Number.isInteger(n) || n <= 0)) {
      throw new RangeError(`Cannot run the GPU bench: --${what} must list positive integers`);
    }
    return list;
  };
  const skip = new Set(values.skip.split(","));
  const steps = Math.max(2, Number(values.steps));
  const budgetS = Number(values["budget-s"]);
  const cases = numbers(values.sizes, "sizes").flatMap((size) =>
    numbers(values.widths, "widths").flatMap((baseWidth) =>
      numbers(values.batches, "batches").map((batch) => ({ size, baseWidth, batch }))
    )
  ).sort((a, b) => flops(a) - flops(b));
  const cpuCases = values["cpu-cases"].split(",").filter(Boolean).map((text) => {
    const [size, baseWidth, batch] = numbers(text.replaceAll(":", ","), "cpu-cases");
    if (!size || !baseWidth || !batch) {
      throw new RangeError("Cannot run the GPU bench: --cpu-cases must be size:base:batch,...");
    }
    return { size, baseWidth, batch };
  });
  const cpuThreads = Number(values["cpu-threads"] ?? Math.min(8, navigator.hardwareConcurrency));
  const kernelShape = {
    batch: Number(values["kernel-batch"]),
    height: Number(values["kernel-size"]),
    width: Number(values["kernel-size"]),
    channels: 1,
    patchSize: 16,
  };
  await Deno.mkdir(work, { recursive: true });

  // 1. the adapter
  tf.enableProdMode();
  const gpu = await getGpu();
  const adapter = adapterReport(gpu.adapter);
  const machine = `${os.cpus()[0]?.model ?? "unknown CPU"}, ${navigator.hardwareConcurrency} ` +
    `logical cores; Deno ${Deno.version.deno} (V8 ${Deno.version.v8}); tfjs ${tf.version.tfjs}`;
  const header = [`machine: ${machine}`, ...adapterLines(adapter)];
  header.forEach((line) => log(line));

  // 2. PyTorch, before this process holds GPU memory
  const torchScript = values["torch-script"] ??
    decodeURIComponent(new URL("./bench_torch_unet.py", import.meta.url).pathname);
  let torch: TorchResult | { error: string } | null = null;
  if (!skip.has("torch")) {
    const all = [...cases, ...cpuCases];
    const sizes = new Set(all.map((c) => c.size));
    const most = Math.max(...all.map((c) => c.batch));
    for (const size of sizes) {
      await Deno.writeFile(
        `${work}/batch_${size}.f32`,
        new Uint8Array(benchBatch(most, size).buffer),
      );
    }
    log(`PyTorch (${values["torch-device"]}: ${values["torch-modes"]})`);
    torch = await runTorch({
      python: values.python,
      script: torchScript,
      args: [
        `--cases=${cases.map((c) => `${c.size}:${c.baseWidth}:${c.batch}`).join(",")}`,
        `--steps=${steps}`,
        `--data=${work}`,
        `--device=${values["torch-device"]}`,
        `--modes=${values["torch-modes"]}`,
        `--budget-s=${values["torch-budget-s"]}`,
        `--threads=${navigator.hardwareConcurrency}`,
      ],
      log,
    });
    if ("error" in torch) log(`PyTorch rows left out: ${torch.error}`);
    else if (torch.rows.length === 0) {
      log(`PyTorch ran no case: ${JSON.stringify(torch.skipped ?? [])}`);
    }
  }

  // tfjs-webgpu on medmim's device, with medmim's kernels
  const kernelsNote = (await useWebGpuBackend(gpu)).description;
  log(`tfjs-webgpu with ${kernelsNote}`);

  // 3. the WGSL kernels
  let kernels: KernelRow[] = [];
  let tfjsKernels: GpuKernelRow[] = [];
  const notes: string[] = [`tfjs-webgpu kernels: ${kernelsNote}`];
  const kernelText = `batch ${kernelShape.batch} x ${kernelShape.height} x ${kernelShape.width}, ` +
    `P 16 (${(kernelShape.height / 16) ** 2} patches), U-Net base ${values["kernel-base"]}`;
  if (!skip.has("kernels")) {
    log(`WGSL kernels, ${kernelText}`);
    const failure = await guarded(gpu.device, async () => {
      kernels = await benchKernels(gpu.device, { shape: kernelShape, twins: false });
      tfjsKernels = await benchTfjsKernels(gpu.device, {
        batch: kernelShape.batch,
        size: kernelShape.height,
        baseWidth: Number(values["kernel-base"]),
      });
    });
    if (failure) notes.push(`WGSL kernels failed: ${failure}`);
  }

  // 4. the U-Net on tfjs-webgpu
  const unet: Array<UNetTiming | UNetFailure> = [];
  if (!skip.has("unet")) {
    const ctx = await createKernelContext("gpu");
    // the CPU rows come after these: leave them a minute of the budget
    const unetBudgetS = budgetS - (!skip.has("cpu") && cpuCases.length > 0 ? 60 : 0);
    for (const c of cases) {
      if (elapsedS() > unetBudgetS) {
        unet.push({ ...c, error: `skipped: over the ${unetBudgetS} s budget` });
        continue;
      }
      log(`U-Net ${c.size} px, base ${c.baseWidth}, batch ${c.batch} (${elapsedS().toFixed(0)} s)`);
      let timing: UNetTiming | undefined;
      const failure = await guarded(gpu.device, async () => {
        timing = await benchUNet(ctx, c, { steps });
      });
      if (failure || !timing) {
        log(`  failed: ${failure}`);
        unet.push({ ...c, error: failure ?? "no timing" });
      } else {
        log(
          `  step ${timing.stepMs.toFixed(1)} ms (${(timing.stepGflops / 1000).toFixed(3)} ` +
            `TFLOP/s), forward ${timing.forwardMs.toFixed(1)} ms`,
        );
        unet.push(timing);
      }
    }
  }

  // 5. the CPU path, last: it switches tfjs to the wasm backend
  let cpu: (WasmCpuResult & { torch: TorchResult | { error: string } | null }) | null = null;
  if (!skip.has("cpu") && cpuCases.length > 0 && elapsedS() > budgetS) {
    notes.push(`CPU rows skipped: over the ${budgetS} s budget`);
  } else if (!skip.has("cpu") && cpuCases.length > 0) {
    log(`CPU: wasm on ${cpuThreads} threads (${elapsedS().toFixed(0)} s)`);
    const failure = await guarded(gpu.device, async () => {
      const wasm = await benchWasmCpu(cpuCases, {
        threads: cpuThreads,
        steps,
        ...(values["wasm-dir"] ? { wasmDir: values["wasm-dir"] } : {}),
      });
      let cpuTorch: TorchResult | { error: string } | null = null;
      if (!skip.has("torch")) {
        log(`CPU: PyTorch on ${cpuThreads} threads`);
        cpuTorch = await runTorch({
          python: values.python,
          script: torchScript,
          args: [
            `--cases=${cpuCases.map((c) => `${c.size}:${c.baseWidth}:${c.batch}`).join(",")}`,
            `--steps=${steps}`,
            `--data=${work}`,
            "--device=cpu",
            "--modes=eager",
            `--threads=${cpuThreads}`,
          ],
          log,
        });
      }
      cpu = { ...wasm, torch: cpuTorch };
    });
    if (failure) notes.push(`CPU rows failed: ${failure}`);
  }

  const seconds = elapsedS();
  notes.push(
    `medmim: median of ${steps - 1} steps after a warm-up; forward: median of at least 2 ` +
      `after a warm-up; TFLOP/s counted analytically (step = 3 x forward)`,
    `bench took ${seconds.toFixed(0)} s`,
  );
  const result = {
    header,
    unet,
    kernels,
    kernelShape: kernelText,
    tfjsKernels,
    torch,
    cpu,
    notes,
  };
  const markdown = gpuBenchMarkdown(result);
  console.log(markdown);
  await Deno.mkdir(out, { recursive: true });
  await writeAtomic(`${out}/bench_gpu.md`, markdown);
  await writeAtomic(
    `${out}/bench_gpu.json`,
    JSON.stringify(
      { date: new Date().toISOString(), machine, adapter, seconds, ...result },
      (_, v) => (typeof v === "number" && !Number.isFinite(v) ? null : v),
      2,
    ) + "\n",
  );
  log(`saved ${out}/bench_gpu.md and ${out}/bench_gpu.json`);
  await Deno.remove(work, { recursive: true }).catch(() => {});
}

/** Forward FLOPs of a case (for the order: smallest first). */
function flops(c: { size: number; baseWidth: number; batch: number }): number {
  return unetForwardFlops(
    { inChannels: 1, outChannels: 1, baseWidth: c.baseWidth },
    c.size,
    c.size,
  ) *
    c.batch;
}

/**
 * Runs `body` inside out-of-memory and validation error scopes: returns why
 * it failed (a thrown error or a WebGPU error), or undefined.
 */
async function guarded(device: GPUDevice, body: () => Promise<void>): Promise<string | undefined> {
  device.pushErrorScope("out-of-memory");
  device.pushErrorScope("validation");
  let thrown: string | undefined;
  try {
    await body();
  } catch (error) {
    thrown = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  }
  const validation = await device.popErrorScope();
  const memory = await device.popErrorScope();
  return thrown ??
    (memory ? `out of memory: ${memory.message}` : undefined) ??
    (validation ? `validation: ${validation.message}` : undefined);
}

if (import.meta.main) await runTask("bench_gpu", main);
