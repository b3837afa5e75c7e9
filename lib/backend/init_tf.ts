/**
 * Chooses and starts tfjs's backend for a run, and says why.
 *
 * `auto`: tfjs's webgpu backend on medmim's shared device when the adapter is
 * a hardware GPU; on a machine whose only adapter is a software rasterizer
 * (llvmpipe, lavapipe, SwiftShader) the networks run on tfjs's wasm backend
 * (SIMD, with medmim's extra training kernels), which is about 10x faster
 * there, and the WGSL kernels run through their TS twins (see the README's
 * speed section).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { getGpu } from "../gpu/device.ts";
import { useWebGpuBackend } from "./tf_webgpu.ts";
import { setupWasmBackend, threadsBlockedBy } from "./wasm_setup.ts";
import { wasmOwnKernels } from "./wasm_own_kernels.ts";
import { readEnv } from "../env.ts";
import { type BackendChoice, type BackendPref, selectBackend } from "./select_backend.ts";

/**
 * Starts the requested tfjs backend.
 *
 * @param preference `auto` or a backend to force.
 * @returns The backend in use and why.
 * @throws {NoGpuAdapterError} If `webgpu` is forced and no adapter exists.
 */
export async function initTf(preference: BackendPref): Promise<BackendChoice> {
  tf.enableProdMode(); // no per-op NaN checks, no Node.js banner
  // the adapter is only needed to decide (auto) or to run (webgpu); webgpu
  // without one fails here with getGpu()'s NoGpuAdapterError
  const gpu = preference === "webgpu"
    ? await getGpu()
    : preference === "auto"
    ? await getGpu().catch(() => undefined)
    : undefined;
  const choice = selectBackend(preference, gpu?.adapter);
  switch (choice.backend) {
    case "webgpu": {
      // with medmim's kernels in place of some of tfjs's (lib/backend/webgpu_kernels.ts)
      const kernels = await useWebGpuBackend(gpu!);
      return { ...choice, reason: `${choice.reason} (${kernels.description})` };
    }
    case "wasm": {
      const wasm = await setupWasmBackend({ threads: wasmThreads() });
      return { ...choice, reason: `${choice.reason} (${describeWasm(wasm)})` };
    }
    case "cpu":
      await tf.setBackend("cpu");
      return choice;
  }
}

function describeWasm(wasm: { simd: boolean; threads: number }): string {
  const blocked = wasm.threads === 1 ? threadsBlockedBy() : null;
  const why = blocked === null ? "" : `; threads need ${blocked}`;
  const own = wasmOwnKernels()?.setup.description;
  return `wasm ${wasm.simd ? "SIMD" : "scalar"}, ${wasm.threads} thread(s)${why}` +
    (own ? `; ${own}` : "");
}

/**
 * wasm threads: `MEDMIM_WASM_THREADS` when set, else one per logical core (at
 * most 8) when the permissions allow threads, else 1.
 */
function wasmThreads(): number {
  const fromEnv = Number(readEnv("MEDMIM_WASM_THREADS") ?? "");
  if (Number.isInteger(fromEnv) && fromEnv >= 1) return fromEnv;
  if (threadsBlockedBy() !== null) return 1;
  return Math.max(1, Math.min(8, navigator.hardwareConcurrency || 1));
}
