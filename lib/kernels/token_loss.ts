/**
 * Per-token reconstruction error of a ViT decoder, `pred [N, L, P*P*C]`
 * against the image `[N, H, W, C]` -> `[N, L]`: `shaders/token_loss.wgsl` and
 * its TS twin. The gradient is `token_loss_grad.ts`; the differentiable op is
 * `lib/loss/token_loss_op.ts`.
 *
 * Token l is patch l of the image (row-major patch grid) and element k of its
 * vector is pixel row `(k / C) / P`, column `(k / C) % P`, channel `k % C` of
 * the patch, MAE's patchify order. `loss[n, l]` is the mean of `|pred - t|^q`
 * over the token, q = 2 (MAE) or 1, with t the target or, with `normPix`, the
 * target normalised by its patch mean and unbiased variance (MAE's
 * `norm_pix_loss`, variance + 1e-6), exactly as `patch_loss` on images.
 *
 * @module
 */

import { createStorage, dispatch, uniformBuffer, workgroupCount } from "../gpu/compute.ts";
import { type ImageShape, patchGrid } from "../patchify.ts";

/** Shader name and workgroup size of the kernel. */
export const TOKEN_LOSS = { name: "token_loss", workgroupSize: 64 } as const;

/** How the per-token error is measured. */
export interface TokenLossOptions {
  /** 2 for squared error (MAE), 1 for absolute error. */
  readonly power: 1 | 2;
  /** Normalise each target patch by its mean and std first (MAE's norm_pix_loss). */
  readonly normPix: boolean;
}

/**
 * Index in the NHWC image of element k of token l of sample n.
 *
 * @param shape The image shape and patch size.
 * @param n Sample.
 * @param l Token (patch) index.
 * @param k Element of the token vector.
 * @returns The flat image index.
 */
export function tokenPixel(shape: ImageShape, n: number, l: number, k: number): number {
  const { height, width, channels, patchSize: p } = shape;
  const gw = width / p;
  const c = k % channels;
  const q = Math.floor(k / channels);
  const y = Math.floor(l / gw) * p + Math.floor(q / p);
  const x = (l % gw) * p + (q % p);
  return ((n * height + y) * width + x) * channels + c;
}

/**
 * TS twin of `token_loss.wgsl`.
 *
 * @param pred `[N, L, P*P*C]` decoder output.
 * @param target `[N, H, W, C]` image.
 * @param shape The image shape and patch size.
 * @param options Power and normPix.
 * @returns `loss` `[N, L]` and `stats` `[N, L, 2]` (target mean and 1/std used,
 *   (0, 1) without normPix).
 * @throws {RangeError} If a length does not match the shape.
 * @example
 * ```ts
 * import { tokenLossCpu } from "./token_loss.ts";
 * const { loss } = tokenLossCpu(new Float32Array([3, 1]), new Float32Array([1, 1]),
 *   { batch: 1, height: 1, width: 2, channels: 1, patchSize: 1 }, { power: 2, normPix: false });
 * if (loss.join() !== "4,0") throw new Error("wrong loss");
 * ```
 */
export function tokenLossCpu(
  pred: Float32Array,
  target: Float32Array,
  shape: ImageShape,
  options: TokenLossOptions,
): { loss: Float32Array; stats: Float32Array } {
  const { patches } = patchGrid(shape);
  const { batch, height, width, channels, patchSize: p } = shape;
  const size = p * p * channels;
  checkLength(pred, batch * patches * size, "pred", `[${batch}, ${patches}, ${size}]`);
  checkLength(
    target,
    batch * height * width * channels,
    "target",
    `[${batch}, ${height}, ${width}, ${channels}]`,
  );
  const loss = new Float32Array(batch * patches);
  const stats = new Float32Array(batch * patches * 2);
  const indices = new Int32Array(size);
  for (let n = 0; n < batch; n++) {
    for (let l = 0; l < patches; l++) {
      for (let k = 0; k < size; k++) indices[k] = tokenPixel(shape, n, l, k);
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
      const j = n * patches + l;
      let total = 0;
      for (let k = 0; k < size; k++) {
        const d = (pred[j * size + k] as number) -
          ((target[indices[k] as number] as number) - mean) * scale;
        total += options.power === 1 ? Math.abs(d) : d * d;
      }
      loss[j] = total / size;
      stats[2 * j] = mean;
      stats[2 * j + 1] = scale;
    }
  }
  return { loss, stats };
}

/**
 * Runs `token_loss.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline of `token_loss`.
 * @param buffers `pred` `[N, L, P*P*C]` and `target` `[N, H, W, C]`, f32.
 * @param shape The image shape and patch size.
 * @param options Power and normPix.
 * @returns New `loss` `[N, L]` and `stats` `[N, L, 2]` buffers; the caller destroys them.
 */
export function tokenLossGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly pred: GPUBuffer; readonly target: GPUBuffer },
  shape: ImageShape,
  options: TokenLossOptions,
): { loss: GPUBuffer; stats: GPUBuffer } {
  const { patches } = patchGrid(shape);
  const count = shape.batch * patches;
  const loss = createStorage(device, count * 4, "token_loss");
  const stats = createStorage(device, count * 8, "token_stats");
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
    workgroupCount(count, TOKEN_LOSS.workgroupSize),
  );
  params.destroy();
  return { loss, stats };
}

function checkLength(values: Float32Array, expected: number, what: string, shape: string): void {
  if (values.length !== expected) {
    throw new RangeError(
      `Cannot compute token loss: ${what} has ${values.length} values, expected ${expected} for ${shape}`,
    );
  }
}
