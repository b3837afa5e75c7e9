/**
 * The one place medmim touches tfjs-backend-webgpu's internals: the members
 * of its `WebGPUBackend` (4.22.0) that are not part of its typed API, used to
 * run medmim's WGSL kernels as tfjs kernels on tfjs's own GPU buffers, encoded
 * into tfjs's command encoder in order with tfjs's programs (no extra submit,
 * no copy), and timed by `tf.profile()` like tfjs's programs.
 *
 * Fallback: {@linkcode tfjsWebGpuInternals} returns `null` when a backend does
 * not have these members (another backend, or a tfjs version that renamed
 * them); medmim's kernels then hand the call to tfjs's own kernel.
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";

/**
 * The members of tfjs-backend-webgpu 4.22.0's `WebGPUBackend` medmim uses:
 * its device, its buffers and its deferred command encoder.
 */
export interface TfjsWebGpuInternals {
  readonly device: GPUDevice;
  readonly tensorMap: { get(dataId: object): { resource: unknown } };
  commandEncoder: GPUCommandEncoder | null;
  readonly commandQueueOwnedIds: WeakSet<object>;
  activeTimers: Array<{ name: string; query: Promise<number> }> | null | undefined;
  readonly supportTimestampQuery: boolean;
  querySet: GPUQuerySet | null;
  readonly querySetCount: number;
  dispatchCountInPass: number;
  uploadToGPU(dataId: object): void;
  makeTensorInfo(shape: number[], dtype: "float32"): tf.TensorInfo;
  disposeData(dataId: object): boolean;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
  getQueryTime(): Promise<number>;
}

const METHODS = [
  "uploadToGPU",
  "makeTensorInfo",
  "disposeData",
  "ensureCommandEncoderReady",
  "endComputePassEncoder",
  "getQueryTime",
] as const;

/**
 * `backend` as tfjs-webgpu's internals, or `null` when it lacks them.
 *
 * @param backend A tfjs backend (a kernel's `args.backend`).
 * @returns The internals, or `null`: run tfjs's own kernel instead.
 * @example
 * ```ts
 * import { tfjsWebGpuInternals } from "./tfjs_webgpu_internals.ts";
 * if (tfjsWebGpuInternals({ device: null }) !== null) throw new Error("not a webgpu backend");
 * ```
 */
export function tfjsWebGpuInternals(backend: unknown): TfjsWebGpuInternals | null {
  const b = backend as Partial<Record<keyof TfjsWebGpuInternals, unknown>> | null;
  const ok = b != null && b.device instanceof GPUDevice && b.tensorMap != null &&
    b.commandQueueOwnedIds instanceof WeakSet && typeof b.dispatchCountInPass === "number" &&
    typeof b.querySetCount === "number" && METHODS.every((name) => typeof b[name] === "function");
  return ok ? backend as TfjsWebGpuInternals : null;
}

/**
 * The GPU buffer holding a tensor's values (uploaded first if they are on the CPU).
 *
 * @param backend tfjs's webgpu backend.
 * @param info The tensor.
 * @returns Its buffer, owned by tfjs.
 * @throws {TypeError} If tfjs keeps the tensor in something other than a buffer.
 */
export function tensorBuffer(backend: TfjsWebGpuInternals, info: tf.TensorInfo): GPUBuffer {
  backend.uploadToGPU(info.dataId);
  const resource = backend.tensorMap.get(info.dataId).resource;
  if (!(resource instanceof GPUBuffer)) {
    throw new TypeError("Cannot run a medmim kernel on webgpu: a tensor is not in a GPU buffer");
  }
  return resource;
}

/** One dispatch: buffers bound to bindings 0..n-1 of group 0. */
export interface TfjsDispatch {
  readonly pipeline: GPUComputePipeline;
  readonly buffers: readonly GPUBuffer[];
  readonly workgroups: readonly [number, number, number];
}

/**
 * Encodes dispatches as one compute pass into tfjs's command encoder (after
 * the programs tfjs has encoded so far), keeps `tensors` alive until that
 * encoder is submitted, and reports the pass to `tf.profile()` under `label`
 * when it is timing.
 *
 * @param backend tfjs's webgpu backend.
 * @param label The pass label and the name `tf.profile()` reports.
 * @param dispatches The dispatches, in order.
 * @param tensors Every tensor whose buffer the dispatches bind.
 */
export function encodeInTfjsQueue(
  backend: TfjsWebGpuInternals,
  label: string,
  dispatches: readonly TfjsDispatch[],
  tensors: readonly tf.TensorInfo[],
): void {
  const device = backend.device;
  backend.ensureCommandEncoderReady();
  backend.endComputePassEncoder();
  const timed = backend.activeTimers != null && backend.supportTimestampQuery;
  const descriptor: GPUComputePassDescriptor = { label };
  if (timed) {
    backend.querySet ??= device.createQuerySet({ type: "timestamp", count: backend.querySetCount });
    descriptor.timestampWrites = {
      querySet: backend.querySet,
      beginningOfPassWriteIndex: 0,
      endOfPassWriteIndex: 1,
    };
  }
  const pass = backend.commandEncoder!.beginComputePass(descriptor);
  for (const d of dispatches) {
    pass.setPipeline(d.pipeline);
    pass.setBindGroup(
      0,
      device.createBindGroup({
        label,
        layout: d.pipeline.getBindGroupLayout(0),
        entries: d.buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
      }),
    );
    pass.dispatchWorkgroups(...d.workgroups);
  }
  pass.end();
  for (const t of tensors) backend.commandQueueOwnedIds.add(t.dataId);
  backend.dispatchCountInPass += dispatches.length;
  if (timed) backend.activeTimers!.push({ name: label, query: backend.getQueryTime() });
}
