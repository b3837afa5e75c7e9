/**
 * Runs the PyTorch reference U-Net (`tasks/bench_torch_unet.py`) in a Python
 * that imports torch, and reads its JSON. A benchmark reference only: Python
 * is never a medmim dependency, so a missing interpreter or torch is a reason
 * to leave the rows out, not an error.
 *
 * @module
 */

/** One PyTorch row (`bench_torch_unet.py`'s `bench()`). */
export interface TorchRow {
  readonly size: number;
  readonly batch: number;
  readonly baseWidth: number;
  /** `eager` (fp32), `tf32` or `compile`; absent from older outputs (eager). */
  readonly mode?: string;
  readonly stepMs: number;
  /** Median process CPU time per timed step (absent from older outputs). */
  readonly stepCpuMs?: number;
  readonly forwardMs: number;
  readonly params: number;
  readonly losses: number[];
}

/** What `bench_torch_unet.py` prints. */
export interface TorchResult {
  readonly torch: string;
  readonly threads: number;
  readonly device?: string;
  readonly deviceName?: string;
  readonly rows: TorchRow[];
  /** Cases or modes left out, with why. */
  readonly skipped?: Array<Record<string, unknown>>;
}

/** Where the script and its interpreter are. */
export interface RunTorchOptions {
  /** The interpreter (needs `--allow-run` for it). */
  readonly python: string;
  /** Path of `bench_torch_unet.py`. */
  readonly script: string;
  /** The script's arguments. */
  readonly args: readonly string[];
  /** Where progress and reasons go. */
  readonly log: (text: string) => void;
}

/**
 * Runs the reference; its progress goes to this process's stderr.
 *
 * @param o Interpreter, script, arguments, log.
 * @returns The result, or why there is none.
 */
export async function runTorch(o: RunTorchOptions): Promise<TorchResult | { error: string }> {
  const probe = await new Deno.Command(o.python, {
    args: ["-c", "import torch"],
    stdout: "null",
    stderr: "null",
  }).output().catch((e: Error) => ({ success: false, error: e.message }));
  if (!probe.success) {
    const why = "error" in probe ? `${probe.error}` : "cannot import torch";
    return { error: `${o.python}: ${why}` };
  }
  const out = await new Deno.Command(o.python, {
    args: [o.script, ...o.args],
    stderr: "inherit",
  }).output();
  if (!out.success) return { error: `${o.script} failed with code ${out.code} (see its log)` };
  const text = new TextDecoder().decode(out.stdout).trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(text) as TorchResult;
  } catch {
    return { error: `${o.script} printed no JSON: ${text.slice(0, 200)}` };
  }
}
