/**
 * What ran a cell: the machine, the runtime and library versions, and the
 * tfjs backend with the reason it was chosen. Recorded in every `cell.json`
 * and shown per cell in the report.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";

/** The machine and software of one cell. */
export interface MachineInfo {
  readonly hostname: string;
  readonly os: string;
  /** Logical cores. */
  readonly cpus: number;
  /** Total memory in GiB (0 when the permissions hide it). */
  readonly memoryGiB: number;
  readonly deno: string;
  readonly v8: string;
  readonly tfjs: string;
  readonly medmim: string;
  /** The tfjs backend (`wasm`, `webgpu`, `cpu`). */
  readonly backend: string;
  /** Why that backend (adapter, threads, kernels). */
  readonly backendReason: string;
}

/**
 * Describes this machine (CPU model names need `/proc`, which Deno grants only
 * with every permission, so cores and memory stand for the hardware). Values
 * the permissions hide read "unknown" or 0.
 *
 * @param backend The backend choice of this process (`initTf`'s answer).
 * @returns The description.
 */
export async function machineInfo(
  backend: { readonly backend: string; readonly reason: string },
): Promise<MachineInfo> {
  const tryOr = <T>(f: () => T, fallback: T): T => {
    try {
      return f();
    } catch {
      return fallback;
    }
  };
  let medmim = "unknown";
  try {
    const json = await Deno.readTextFile(new URL("../../deno.json", import.meta.url));
    medmim = String(JSON.parse(json).version ?? "unknown");
  } catch { /* not permitted (the task grants deno.json) */ }
  return {
    hostname: tryOr(() => Deno.hostname(), "unknown"),
    os: `${Deno.build.os} ${tryOr(() => Deno.osRelease(), "")}`.trim(),
    cpus: navigator.hardwareConcurrency || 0,
    memoryGiB: tryOr(() => Math.round(Deno.systemMemoryInfo().total / 2 ** 30), 0),
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    tfjs: tf.version.tfjs,
    medmim,
    backend: backend.backend,
    backendReason: backend.reason,
  };
}
