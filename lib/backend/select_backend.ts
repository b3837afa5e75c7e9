/**
 * Choose the tfjs backend for training: WebGPU on a hardware adapter, the
 * wasm CPU fast path when the only adapter is a software rasteriser (there,
 * tfjs-webgpu runs dense conv at < 1 GFLOP/s against ~20-35 on wasm SIMD).
 *
 * This module creates no device: pass the `GPUDevice` from `lib/gpu/device.ts`
 * (or an adapter / its info), so that one device serves the whole process.
 *
 * @module
 */

/** A backend preference as given in config or on the command line. */
export type BackendPref = "auto" | "webgpu" | "wasm" | "cpu";

/** The backend to use and why. */
export interface BackendChoice {
  readonly backend: "webgpu" | "wasm" | "cpu";
  /** One line for the start-up log, e.g. `auto: software adapter "llvmpipe ..." -> wasm`. */
  readonly reason: string;
}

/** Substrings of `GPUAdapterInfo.description`/`device` naming software rasterisers. */
export const SOFTWARE_ADAPTER_NAMES: readonly string[] = [
  "llvmpipe",
  "lavapipe",
  "swiftshader",
  "softpipe",
  "warp", // Microsoft Basic Render Driver
  "basic render",
];

/**
 * Whether an adapter is a CPU (software) implementation.
 *
 * @param info The adapter's info (`adapter.info` or `device.adapterInfo`).
 * @returns true for llvmpipe, lavapipe, SwiftShader and the like, or when the
 *   info says `isFallbackAdapter`.
 * @example
 * ```ts
 * import { isSoftwareAdapter } from "./select_backend.ts";
 * const info = { vendor: "", architecture: "", device: "", description: "llvmpipe (LLVM 15.0.6, 256 bits)" };
 * console.assert(isSoftwareAdapter(info as GPUAdapterInfo));
 * ```
 */
export function isSoftwareAdapter(info: GPUAdapterInfo): boolean {
  if ((info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true) return true;
  const text = `${info.description} ${info.device} ${info.vendor} ${info.architecture}`
    .toLowerCase();
  return SOFTWARE_ADAPTER_NAMES.some((name) => text.includes(name));
}

function adapterInfoOf(gpu: GPUDevice | GPUAdapter | GPUAdapterInfo): GPUAdapterInfo {
  if ("adapterInfo" in gpu) return gpu.adapterInfo;
  if ("info" in gpu && "requestDevice" in gpu) return gpu.info;
  return gpu as GPUAdapterInfo;
}

function describe(info: GPUAdapterInfo): string {
  return info.description || info.device || info.vendor || "unnamed adapter";
}

/**
 * Pick the backend for a preference.
 *
 * 1) `webgpu`, `wasm`, `cpu`: as asked (webgpu without a device is an error);
 * 2) `auto` with a hardware adapter: `webgpu`;
 * 3) `auto` with a software adapter or none: `wasm`.
 *
 * @param pref The preference.
 * @param gpu The process's `GPUDevice` (or its adapter or adapter info); omit when there is none.
 * @returns The backend and a one-line reason to print at start-up.
 * @throws {RangeError} If `pref` is unknown, or `webgpu` is asked for without a device.
 * @example
 * ```ts
 * import { selectBackend } from "./select_backend.ts";
 * const info = { vendor: "", architecture: "", device: "", description: "lavapipe" } as GPUAdapterInfo;
 * console.assert(selectBackend("auto", info).backend === "wasm");
 * console.assert(selectBackend("cpu").backend === "cpu");
 * ```
 */
export function selectBackend(
  pref: BackendPref,
  gpu?: GPUDevice | GPUAdapter | GPUAdapterInfo,
): BackendChoice {
  const info = gpu === undefined ? undefined : adapterInfoOf(gpu);
  switch (pref) {
    case "cpu":
    case "wasm":
      return { backend: pref, reason: `${pref}: requested` };
    case "webgpu":
      if (info === undefined) {
        throw new RangeError('Cannot select backend "webgpu": no GPU device was given');
      }
      return {
        backend: "webgpu",
        reason: `webgpu: requested, adapter "${describe(info)}"${
          isSoftwareAdapter(info) ? " (software: expect < 1 GFLOP/s conv)" : ""
        }`,
      };
    case "auto":
      if (info === undefined) {
        return { backend: "wasm", reason: "auto: no WebGPU adapter -> wasm (CPU, SIMD)" };
      }
      if (isSoftwareAdapter(info)) {
        return {
          backend: "wasm",
          reason: `auto: software adapter "${describe(info)}" -> wasm (CPU, SIMD)`,
        };
      }
      return { backend: "webgpu", reason: `auto: hardware adapter "${describe(info)}" -> webgpu` };
    default:
      throw new RangeError(
        `Cannot select backend: unknown preference "${
          String(pref)
        }", use auto, webgpu, wasm or cpu`,
      );
  }
}
