/**
 * Where HD95's distance transforms run: `edt()` in TS, or `edt.wgsl` on the GPU.
 *
 * Measured (`deno bench -A tests/edt_bench.ts`, one 240 x 240 x 155 volume, on a
 * 2-core EPYC whose only adapter is Mesa llvmpipe): TS 0.23-0.46 s, the WGSL
 * passes 0.39-0.44 s, 0.76-0.83 s with upload and readback. A software rasteriser
 * runs the kernel on the same CPU, so `auto` keeps the TS path there; on a
 * hardware adapter `auto` uses the GPU (not measured on this project's machines:
 * run the bench there to check).
 *
 * @module
 */

import type { Gpu } from "../gpu/device.ts";
import { isSoftwareAdapter } from "../backend/select_backend.ts";
import { edt, edtGpu } from "../kernels/edt.ts";
import type { DistanceTransform } from "./hd95.ts";

/** A preference as given in config (`eval.edt`). */
export type EdtPlace = "auto" | "gpu" | "cpu";

/** The distance transform to use and why. */
export interface EdtChoice {
  readonly place: "gpu" | "cpu";
  readonly edt: DistanceTransform;
  /** One line for the log, e.g. `auto: software adapter "llvmpipe ..." -> cpu`. */
  readonly reason: string;
}

/** `edt()` behind the {@linkcode DistanceTransform} signature. */
export const cpuEdt: DistanceTransform = (mask, dims, options) =>
  Promise.resolve(edt(mask, dims, options));

/**
 * Picks HD95's distance transform.
 *
 * 1) `cpu`, `gpu`: as asked (`gpu` without a device is an error);
 * 2) `auto` with a hardware adapter: gpu;
 * 3) `auto` with a software adapter (llvmpipe, ...) or none: cpu.
 *
 * @param pref The preference.
 * @param gpu The process's GPU from `getGpu()`, or undefined when there is none.
 * @returns The distance transform and a one-line reason.
 * @throws {RangeError} If `gpu` is asked for without a GPU, or `pref` is unknown.
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { selectEdt } from "./select_edt.ts";
 * assert.equal(selectEdt("auto").place, "cpu");
 * ```
 */
export function selectEdt(pref: EdtPlace, gpu?: Gpu): EdtChoice {
  if (pref !== "auto" && pref !== "gpu" && pref !== "cpu") {
    throw new RangeError(
      `Cannot select the EDT: unknown preference "${String(pref)}", use auto, gpu or cpu`,
    );
  }
  const cpu = (reason: string): EdtChoice => ({ place: "cpu", edt: cpuEdt, reason });
  if (pref === "cpu") return cpu("cpu: requested");
  if (!gpu) {
    if (pref === "gpu") {
      throw new RangeError('Cannot run the EDT on "gpu": there is no WebGPU adapter');
    }
    return cpu("auto: no WebGPU adapter -> cpu");
  }
  const name = `"${gpu.description}"`;
  const software = isSoftwareAdapter(gpu.adapter.info);
  // 3) software adapter: the TS path is faster on the same CPU
  if (pref === "auto" && software) return cpu(`auto: software adapter ${name} -> cpu`);
  const device = gpu.device;
  return {
    place: "gpu",
    edt: (mask, dims, options) => edtGpu(mask, dims, { ...options, device }),
    reason: pref === "gpu"
      ? `gpu: requested, adapter ${name}${software ? " (software: the TS path is faster)" : ""}`
      : `auto: hardware adapter ${name} -> gpu`,
  };
}
