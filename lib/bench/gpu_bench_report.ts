/**
 * The GPU bench's markdown: the U-Net on tfjs-webgpu beside PyTorch (every
 * mode it ran, with medmim / PyTorch ratios), and the WGSL kernels with
 * their achieved bandwidth.
 *
 * @module
 */

import { formatTable } from "./format_table.ts";
import type { UNetTiming } from "./bench_unet.ts";
import type { KernelRow } from "./bench_kernels.ts";
import type { GpuKernelRow } from "./bench_tfjs_kernels.ts";
import type { TorchResult, TorchRow } from "./run_torch.ts";
import type { WasmCpuResult } from "./bench_wasm_cpu.ts";

/** A U-Net case that could not run (e.g. out of memory), with why. */
export interface UNetFailure {
  readonly size: number;
  readonly batch: number;
  readonly baseWidth: number;
  readonly error: string;
}

/** Everything the GPU bench measured. */
export interface GpuBenchResult {
  /** Header lines: machine, adapter, limits, versions. */
  readonly header: readonly string[];
  readonly unet: ReadonlyArray<UNetTiming | UNetFailure>;
  readonly kernels: readonly KernelRow[];
  readonly kernelShape: string;
  readonly tfjsKernels: readonly GpuKernelRow[];
  readonly torch: TorchResult | { error: string } | null;
  /** The CPU path (wasm with medmim's kernels) beside PyTorch on the CPU, when run. */
  readonly cpu?:
    | (WasmCpuResult & { readonly torch: TorchResult | { error: string } | null })
    | null;
  /** Free-form lines at the end (skips, timing). */
  readonly notes: readonly string[];
}

const isFailure = (t: UNetTiming | UNetFailure): t is UNetFailure => "error" in t;

const fixed = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "-");

/** Three significant digits, never in exponent form ("-" when not finite). */
function sig3(v: number): string {
  if (!Number.isFinite(v)) return "-";
  if (v === 0) return "0";
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(v))));
  return v.toFixed(Math.min(digits, 6));
}

/**
 * Formats the result as markdown.
 *
 * @param r The result.
 * @returns The document (ends with a newline).
 * @example
 * ```ts
 * import { gpuBenchMarkdown } from "./gpu_bench_report.ts";
 * const md = gpuBenchMarkdown({
 *   header: ["machine: test"], unet: [{ size: 8, batch: 1, baseWidth: 2, error: "no" }],
 *   kernels: [], kernelShape: "", tfjsKernels: [], torch: null, notes: [],
 * });
 * if (!md.includes("| 8 ") || !md.includes("no")) throw new Error(md);
 * ```
 */
export function gpuBenchMarkdown(r: GpuBenchResult): string {
  const torchRows = r.torch && "rows" in r.torch ? r.torch.rows : [];
  const modes = [...new Set(torchRows.map((t) => t.mode ?? "eager"))];
  const find = (t: { size: number; batch: number; baseWidth: number }, mode: string) =>
    torchRows.find((p: TorchRow) =>
      p.size === t.size && p.batch === t.batch && p.baseWidth === t.baseWidth &&
      (p.mode ?? "eager") === mode
    );
  const ratio = (a: number, b: number | undefined) => (b ? `${(a / b).toFixed(2)}x` : "-");
  const header = [
    "px",
    "base",
    "batch",
    "step ms",
    "step TFLOP/s",
    "fwd ms",
    "fwd TFLOP/s",
    "loss",
    ...modes.flatMap((m) => [`torch ${m} step ms`, `step / ${m}`]),
    ...(modes.includes("eager") ? ["torch eager fwd ms", "fwd / eager"] : []),
  ];
  const unetRows = r.unet.map((t) => {
    if (isFailure(t)) {
      return [
        `${t.size}`,
        `${t.baseWidth}`,
        `${t.batch}`,
        `failed: ${t.error.replaceAll("|", "/").slice(0, 120)}`,
        ...header.slice(4).map(() => ""),
      ];
    }
    const eager = find(t, "eager");
    return [
      `${t.size}`,
      `${t.baseWidth}`,
      `${t.batch}`,
      sig3(t.stepMs),
      sig3(t.stepGflops / 1000),
      sig3(t.forwardMs),
      sig3(t.forwardGflops / 1000),
      fixed(t.losses.at(-1) ?? NaN, 4),
      ...modes.flatMap((m) => {
        const p = find(t, m);
        return [p ? sig3(p.stepMs) : "-", ratio(t.stepMs, p?.stepMs)];
      }),
      ...(modes.includes("eager")
        ? [eager ? sig3(eager.forwardMs) : "-", ratio(t.forwardMs, eager?.forwardMs)]
        : []),
    ];
  });
  const torchLine = r.torch === null
    ? "PyTorch: not run"
    : "error" in r.torch
    ? `PyTorch: not run (${r.torch.error})`
    : `PyTorch ${r.torch.torch} on ${r.torch.deviceName ?? r.torch.device ?? "cpu"}: ` +
      (modes.length > 0
        ? `${modes.join(", ")} (eager = fp32, tf32 = TF32 convolutions, compile = ` +
          "torch.compile fp32; medmim / PyTorch ratios)"
        : "no rows") +
      (r.torch.skipped?.length
        ? `; skipped: ${
          r.torch.skipped.map((s) =>
            [s["mode"], s["size"], s["baseWidth"], s["batch"]].filter((v) => v !== undefined)
              .join("/") + ` (${s["reason"]})`
          ).join("; ")
        }`
        : "");
  const out = [
    "# medmim GPU bench",
    "",
    ...r.header.map((h) => `- ${h}`),
    "",
    "## U-Net pretraining step and forward pass on tfjs-webgpu (medmim's kernels)",
    "",
    torchLine,
    "",
    formatTable(header, unetRows),
    "",
  ];
  const kernelRows = [
    ...r.kernels.map((k) => [k.kernel, k.shape, sig3(k.gpuMs), sig3(k.gpuGBs), "-"]),
    ...r.tfjsKernels.map((k) => [k.kernel, k.shape, sig3(k.ms), sig3(k.gbs), sig3(k.gflops)]),
  ];
  if (kernelRows.length > 0) {
    out.push(
      `## WGSL kernels (${r.kernelShape})`,
      "",
      formatTable(["kernel", "shape", "ms", "GB/s", "GFLOP/s"], kernelRows),
      "",
    );
  }
  if (r.cpu) out.push(...cpuSection(r.cpu));
  if (r.notes.length > 0) out.push(...r.notes.map((n) => `- ${n}`), "");
  return out.join("\n");
}

/** The CPU section: the ceiling, then wasm rows beside PyTorch's. */
function cpuSection(c: NonNullable<GpuBenchResult["cpu"]>): string[] {
  const torchRows = c.torch && "rows" in c.torch ? c.torch.rows : [];
  const best = Math.max(...c.ceiling.map((x) => x.gflops));
  const rows = c.unet.map((t) => {
    const p = torchRows.find((q) =>
      q.size === t.size && q.batch === t.batch && q.baseWidth === t.baseWidth
    );
    const torchGflops = p ? (t.stepGflops * t.stepMs) / p.stepMs : NaN;
    return [
      `${t.size}`,
      `${t.baseWidth}`,
      `${t.batch}`,
      sig3(t.stepMs),
      sig3(t.stepGflops),
      p ? sig3(p.stepMs) : "-",
      sig3(torchGflops),
      p ? `${(t.stepMs / p.stepMs).toFixed(2)}x` : "-",
      Number.isFinite(torchGflops) && best > 0 ? `${(torchGflops / best).toFixed(2)}x` : "-",
    ];
  });
  const torchLine = c.torch === null
    ? "PyTorch on the CPU: not run"
    : "error" in c.torch
    ? `PyTorch on the CPU: not run (${c.torch.error})`
    : `PyTorch ${c.torch.torch} on the CPU, ${c.torch.threads} threads`;
  return [
    `## The CPU path: tfjs-backend-wasm with medmim's kernels (${c.description})`,
    "",
    `${torchLine}. Ceiling: a 6 x 8 SIMD micro-kernel in L1 on ${c.threads} threads: ` +
    c.ceiling.map((x) =>
      `${x.fma ? "relaxed madd" : "mul + add"} ${sig3(x.gflops)} GFLOP/s ` +
      `(${sig3(x.gflopsPerCpuSecond)} per CPU second)`
    ).join(", ") +
    '; "at ceiling": PyTorch\'s GFLOP/s over the best of these, the lowest ratio wasm kernels ' +
    "could reach.",
    "",
    formatTable(
      [
        "px",
        "base",
        "batch",
        "step ms",
        "GFLOP/s",
        "torch step ms",
        "torch GFLOP/s",
        "step ratio",
        "at ceiling",
      ],
      rows,
    ),
    "",
  ];
}
