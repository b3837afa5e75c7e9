/**
 * Times the WGSL kernels that `kernel_cases.ts` leaves out: medmim's filter
 * gradient inside tfjs-webgpu (`conv2d_filter_grad.wgsl` for 1-channel
 * inputs, `conv2d_filter_grad_vec4.wgsl` for the rest, `conv2d_sum_splits.wgsl`
 * after both when split) on three conv layers of the U-Net at the bench
 * pack's batch, and `edt.wgsl` on a volume of the same size.
 *
 * Each time is a run of 10 calls (queued back to back, one wait at the end)
 * divided by 10, the median of several runs after a warm-up. Bytes count each
 * input read and each output written once (effective GB/s); the filter
 * gradient also reports GFLOP/s (2 x dy values x kh x kw x Cin).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { conv2dGeometry } from "../kernels/conv2d_geometry.ts";
import { usesVec4 } from "../kernels/conv2d_filter_grad_launch.ts";
import { createStorage, uploadBuffer } from "../gpu/compute.ts";
import { loadShader } from "../gpu/shader.ts";
import { EDT, squaredEdtPasses } from "../kernels/edt.ts";
import { measure } from "./measure.ts";

/** Calls per timed run. */
const CALLS = 10;

/** One timed GPU kernel. */
export interface GpuKernelRow {
  readonly kernel: string;
  readonly shape: string;
  readonly ms: number;
  readonly gbs: number;
  /** Achieved GFLOP/s, when the kernel is arithmetic (else NaN). */
  readonly gflops: number;
}

/** The batch these kernels run on. */
export interface TfjsKernelShape {
  readonly batch: number;
  readonly size: number;
  /** The U-Net's base width (channels of the first level). */
  readonly baseWidth: number;
}

type Shape4 = [number, number, number, number];

/**
 * The three filter gradients timed: the first 3x3 conv (1 input channel:
 * the scalar shader), the second (base -> base: vec4), and the deepest
 * transposed conv's (2x2, stride 2) at a quarter of the side.
 *
 * @param s The batch.
 * @returns x shape, filter shape, stride.
 * @example
 * ```ts
 * import { filterGradCases } from "./bench_tfjs_kernels.ts";
 * const cases = filterGradCases({ batch: 2, size: 64, baseWidth: 16 });
 * if (cases[1]!.w.join() !== "3,3,16,16") throw new Error("second conv is base -> base");
 * ```
 */
export function filterGradCases(
  s: TfjsKernelShape,
): Array<{ readonly x: Shape4; readonly w: Shape4; readonly stride: number }> {
  const { batch: n, size, baseWidth: c } = s;
  return [
    { x: [n, size, size, 1], w: [3, 3, 1, c], stride: 1 },
    { x: [n, size, size, c], w: [3, 3, c, c], stride: 1 },
    // dW of conv2dTranspose(h [n, size/2, size/2, 2c] -> [n, size, size, c]): x is the output side
    { x: [n, size, size, c], w: [2, 2, c, 2 * c], stride: 2 },
  ];
}

/**
 * Times medmim's `Conv2DBackpropFilter` (through tfjs, which must run on
 * webgpu with medmim's kernels registered) and `edt.wgsl`.
 *
 * @param device tfjs-webgpu's device (medmim's).
 * @param s The batch.
 * @param budgetMs Time budget per measurement.
 * @returns One row per kernel.
 * @throws {Error} If tfjs does not run on webgpu.
 */
export async function benchTfjsKernels(
  device: GPUDevice,
  s: TfjsKernelShape,
  budgetMs = 500,
): Promise<GpuKernelRow[]> {
  if (tf.getBackend() !== "webgpu") {
    throw new Error(`Cannot time the filter gradient: tfjs runs on "${tf.getBackend()}"`);
  }
  const rows: GpuKernelRow[] = [];
  for (const c of filterGradCases(s)) {
    const pad = c.stride === 1 ? "same" : "valid";
    const g = conv2dGeometry(c.x, c.w, c.stride, pad);
    const x = tf.randomUniform(c.x, -1, 1, "float32", 1);
    const dy = tf.randomUniform([g.batch, g.outHeight, g.outWidth, g.outChannels], -1, 1);
    const run = () =>
      tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
        strides: [c.stride, c.stride],
        pad,
        dataFormat: "NHWC",
        filterShape: c.w,
      }) as tf.Tensor;
    const timing = await measure(async () => {
      const outs = Array.from({ length: CALLS }, run);
      await outs.at(-1)!.data();
      tf.dispose(outs);
    }, { budgetMs });
    const ms = timing.ms / CALLS;
    const dwSize = c.w.reduce((a, b) => a * b, 1);
    const bytes = 4 * (x.size + dy.size + dwSize);
    const flops = 2 * dy.size * c.w[0] * c.w[1] * c.w[2];
    rows.push({
      kernel: usesVec4(g) ? "conv2d_filter_grad_vec4" : "conv2d_filter_grad",
      shape: `x ${c.x.join("x")}, w ${c.w.join("x")}, stride ${c.stride}`,
      ms,
      gbs: bytes / ms / 1e6,
      gflops: flops / ms / 1e6,
    });
    tf.dispose([x, dy]);
  }
  rows.push(await benchEdt(device, [s.size, s.size, s.batch], budgetMs));
  return rows;
}

/** `edt.wgsl` on a volume whose every 8th voxel is a zero (a site). */
async function benchEdt(
  device: GPUDevice,
  dims: [number, number, number],
  budgetMs: number,
): Promise<GpuKernelRow> {
  const pipeline = await loadShader(device, EDT.name, { workgroupSize: EDT.workgroupSize });
  const voxels = dims[0] * dims[1] * dims[2];
  const init = new Float32Array(voxels).map((_, i) => (i % 8 === 0 ? 0 : -1));
  const pristine = uploadBuffer(device, init, "edt bench input");
  const d2 = createStorage(device, init.byteLength, "edt bench d2");
  try {
    const timing = await measure(async () => {
      for (let i = 0; i < CALLS; i++) {
        // every run starts from the same sites: a GPU-side copy, counted in the bytes
        const encoder = device.createCommandEncoder();
        encoder.copyBufferToBuffer(pristine, 0, d2, 0, init.byteLength);
        device.queue.submit([encoder.finish()]);
        squaredEdtPasses(device, pipeline, d2, { dims, spacing: [1, 1, 1] });
      }
      await device.queue.onSubmittedWorkDone();
    }, { budgetMs });
    const ms = timing.ms / CALLS;
    // the copy (read + write), then per axis d2 read and written
    const bytes = 2 * init.byteLength + 3 * 2 * init.byteLength;
    return {
      kernel: EDT.name,
      shape: `${dims.join("x")} volume, 3 passes (+ reset copy)`,
      ms,
      gbs: bytes / ms / 1e6,
      gflops: NaN,
    };
  } finally {
    pristine.destroy();
    d2.destroy();
  }
}
