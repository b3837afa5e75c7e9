/**
 * Small helpers to move typed arrays to and from GPU buffers and to dispatch a
 * compute pipeline. Every kernel wrapper in `lib/` goes through these.
 *
 * @module
 */

/** A typed array that can be uploaded as-is. */
export type GpuArray = Float32Array | Uint32Array | Int32Array;

const STORAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/**
 * Creates a storage buffer holding `data` (at least 4 bytes, so empty inputs
 * still bind).
 *
 * @param device The device.
 * @param data The contents.
 * @param label A label for debugging.
 * @returns The buffer; the caller destroys it.
 */
export function uploadBuffer(device: GPUDevice, data: GpuArray, label = "medmim"): GPUBuffer {
  const buffer = device.createBuffer({
    label,
    size: Math.max(4, align4(data.byteLength)),
    usage: STORAGE,
    mappedAtCreation: true,
  });
  const view = data instanceof Float32Array
    ? new Float32Array(buffer.getMappedRange())
    : data instanceof Int32Array
    ? new Int32Array(buffer.getMappedRange())
    : new Uint32Array(buffer.getMappedRange());
  view.set(data);
  buffer.unmap();
  return buffer;
}

/**
 * Creates an uninitialised (zeroed) storage buffer of `byteLength` bytes.
 *
 * @param device The device.
 * @param byteLength The size in bytes.
 * @param label A label for debugging.
 * @returns The buffer; the caller destroys it.
 */
export function createStorage(device: GPUDevice, byteLength: number, label = "medmim"): GPUBuffer {
  return device.createBuffer({ label, size: Math.max(4, align4(byteLength)), usage: STORAGE });
}

/**
 * Creates a uniform buffer from 32-bit words; `params` is a list of
 * `["u32" | "f32" | "i32", value]` pairs laid out in order, padded to 16 bytes.
 *
 * @param device The device.
 * @param params The fields of the WGSL `Params` struct, in declaration order.
 * @returns The buffer; the caller destroys it.
 */
export function uniformBuffer(
  device: GPUDevice,
  params: ReadonlyArray<readonly ["u32" | "f32" | "i32", number]>,
): GPUBuffer {
  const words = Math.max(4, Math.ceil(params.length / 4) * 4);
  const bytes = new ArrayBuffer(words * 4);
  const view = new DataView(bytes);
  params.forEach(([type, value], i) => {
    if (type === "f32") view.setFloat32(i * 4, value, true);
    else if (type === "i32") view.setInt32(i * 4, value, true);
    else view.setUint32(i * 4, value, true);
  });
  const buffer = device.createBuffer({
    label: "params",
    size: bytes.byteLength,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  device.queue.writeBuffer(buffer, 0, bytes);
  return buffer;
}

/**
 * Encodes one dispatch of `pipeline` with `buffers` bound to bindings 0..n-1 of
 * group 0, and submits it.
 *
 * @param device The device.
 * @param pipeline The compute pipeline.
 * @param buffers The buffers, in binding order.
 * @param workgroups The number of workgroups in x (and optionally y, z).
 */
export function dispatch(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: readonly GPUBuffer[],
  workgroups: number | readonly [number, number?, number?],
): void {
  const bindGroup = device.createBindGroup({
    label: pipeline.label,
    layout: pipeline.getBindGroupLayout(0),
    entries: buffers.map((buffer, binding) => ({ binding, resource: { buffer } })),
  });
  const [x, y = 1, z = 1] = typeof workgroups === "number" ? [workgroups] : workgroups;
  const encoder = device.createCommandEncoder({ label: pipeline.label });
  const pass = encoder.beginComputePass({ label: pipeline.label });
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bindGroup);
  if (x > 0 && y > 0 && z > 0) pass.dispatchWorkgroups(x, y, z);
  pass.end();
  device.queue.submit([encoder.finish()]);
}

/**
 * Copies a buffer back to the CPU.
 *
 * @param device The device.
 * @param buffer The source (needs COPY_SRC usage).
 * @param byteLength How many bytes to read from offset 0.
 * @returns A copy of the bytes.
 */
export async function readBuffer(
  device: GPUDevice,
  buffer: GPUBuffer,
  byteLength: number,
): Promise<ArrayBuffer> {
  const size = Math.max(4, align4(byteLength));
  const staging = device.createBuffer({
    label: "readback",
    size,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder({ label: "readback" });
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, size);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(GPUMapMode.READ);
  const copy = staging.getMappedRange().slice(0, byteLength);
  staging.unmap();
  staging.destroy();
  return copy;
}

/**
 * The number of workgroups needed to cover `count` invocations.
 *
 * @param count Total invocations.
 * @param workgroupSize Invocations per workgroup.
 * @returns `ceil(count / workgroupSize)`.
 */
export function workgroupCount(count: number, workgroupSize: number): number {
  return Math.ceil(count / workgroupSize);
}

function align4(n: number): number {
  return Math.ceil(n / 4) * 4;
}
