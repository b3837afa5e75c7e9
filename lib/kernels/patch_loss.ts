/**
 * Per-patch reconstruction error `[N, H, W, C] -> [N, L]`: `shaders/patch_loss.wgsl`
 * and its TS twin (the gradient is `patch_loss_grad.ts`; the differentiable
 * tfjs op that joins the two is `lib/loss/patch_loss_op.ts`).
 *
 * `loss[n, l]` is the mean over the patch's P*P*C values of `|pred - t|^q`, with
 * q = 2 (MAE, AMLP's L_pred) or q = 1 (SimMIM), and t the target or, with
 * `normPix`, the target normalised by its patch mean and unbiased variance
 * (MAE's `norm_pix_loss`, variance + 1e-6). The target is a constant: no
 * gradient flows into it.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

/** Shader name and workgroup size of the kernel. */
export const PATCH_LOSS = { name: "patch_loss", workgroupSize: 64 } as const;
/** How the per-patch error is measured. */
export interface PatchLossOptions {
  /** 2 for squared error (MAE, AMLP), 1 for absolute error (SimMIM). */
  readonly power: 1 | 2;
  /** Normalise each target patch by its mean and std first (MAE). */
  readonly normPix: boolean;
}

/**
 * TS twin of `patch_loss.wgsl`.
 *
 * @param pred `[N, H, W, C]` reconstruction.
 * @param target `[N, H, W, C]` original.
 * @param shape Shape and patch size.
 * @param options Power and normPix.
 * @returns `loss` `[N, L]` and `stats` `[N, L, 2]` (target mean and 1/std used,
 *   (0, 1) without normPix).
 * @example
 * ```ts
 * import { patchLossCpu } from "./patch_loss.ts";
 * const { loss } = patchLossCpu(new Float32Array([1, 1]), new Float32Array([0, 0]),
 *   { batch: 1, height: 1, width: 2, channels: 1, patchSize: 1 }, { power: 2, normPix: false });
 * if (loss.join() !== "1,1") throw new Error("wrong loss");
 * ```
 */
export function patchLossCpu(
  pred: Float32Array,
  target: Float32Array,
  shape: ImageShape,
  options: PatchLossOptions,
): { loss: Float32Array; stats: Float32Array } {
  const { gw, patches } = patchGrid(shape);
  const { batch, height, width, channels, patchSize: p } = shape;
  checkLength(pred, shape, "pred");
  checkLength(target, shape, "target");
  const size = p * p * channels;
  const loss = new Float32Array(batch * patches);
  const stats = new Float32Array(batch * patches * 2);
  const indices = new Int32Array(size);
  for (let n = 0; n < batch; n++) {
    for (let l = 0; l < patches; l++) {
      const y0 = Math.floor(l / gw) * p;
      const x0 = (l % gw) * p;
      let k = 0;
      for (let dy = 0; dy < p; dy++) {
        for (let dx = 0; dx < p; dx++) {
          for (let c = 0; c < channels; c++) {
            indices[k++] = ((n * height + y0 + dy) * width + x0 + dx) * channels + c;
          }
        }
      }
      let mean = 0;
      let scale = 1;
      if (options.normPix) {
        let sum = 0;
        for (const i of indices) sum += target[i] as number;
        mean = sum / size;
        let sq = 0;
        for (const i of indices) sq += ((target[i] as number) - mean) ** 2;
        scale = 1 / Math.sqrt(sq / (Math.max(size, 2) - 1) + 1e-6);
      }
      let total = 0;
      for (const i of indices) {
        const d = (pred[i] as number) - ((target[i] as number) - mean) * scale;
        total += options.power === 1 ? Math.abs(d) : d * d;
      }
      const j = n * patches + l;
      loss[j] = total / size;
      stats[2 * j] = mean;
      stats[2 * j + 1] = scale;
    }
  }
  return { loss, stats };
}

/**
 * Runs `patch_loss.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `patch_loss`.
 * @param buffers `pred` and `target`, `[N, H, W, C]` f32.
 * @param shape Shape and patch size.
 * @param options Power and normPix.
 * @returns New `loss` `[N, L]` and `stats` `[N, L, 2]` buffers; the caller destroys them.
 */
export function patchLossGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly pred: GPUBuffer; readonly target: GPUBuffer },
  shape: ImageShape,
  options: PatchLossOptions,
): { loss: GPUBuffer; stats: GPUBuffer } {
  const { patches } = patchGrid(shape);
  const count = shape.batch * patches;
  const loss = createStorage(device, count * 4, "patch_loss");
  const stats = createStorage(device, count * 8, "patch_stats");
  const params = uniformBuffer(device, [
    ["u32", shape.batch],
    ["u32", shape.height],
    ["u32", shape.width],
    ["u32", shape.channels],
    ["u32", shape.patchSize],
    ["u32", options.power],
    ["u32", options.normPix ? 1 : 0],
  ]);
  dispatch(
    device,
    pipeline,
    [params, buffers.pred, buffers.target, loss, stats],
    workgroupCount(count, PATCH_LOSS.workgroupSize),
  );
  params.destroy();
  return { loss, stats };
}

function checkLength(values: Float32Array, shape: ImageShape, what: string): void {
  const expected = shape.batch * shape.height * shape.width * shape.channels;
  if (values.length !== expected) {
    throw new RangeError(
      `Cannot compute patch loss: ${what} has ${values.length} values, expected ${expected} for shape [${shape.batch}, ${shape.height}, ${shape.width}, ${shape.channels}]`,
    );
  }
}
