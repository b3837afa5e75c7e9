/**
 * The augmented views of an image batch: `shaders/augment_views.wgsl` and its
 * TS twin. Each view is one source image resampled through an affine map
 * (random resized crop, flips and rotation folded into six numbers), with
 * gamma, contrast and brightness jitter, an optional Gaussian blur and
 * Gaussian noise; see the shader's header for the exact order. The per-view
 * numbers come from `lib/data/augment.ts`; the noise comes from a counter
 * hash of (seed, output index), so the GPU and the twin draw the same noise.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { createStorage, dispatch, uniformBuffer, uploadBuffer } from "../gpu/compute.ts";
import { bufferToTensor, tensorToBuffer } from "../gpu/tf_bridge.ts";
import { pcgHash } from "./random_scores.ts";
import type { KernelContext } from "./kernel_context.ts";

/** Shader name and workgroup size of the kernel. */
export const AUGMENT_VIEWS = { name: "augment_views", workgroupSize: 64 } as const;

/** Numbers per view in the parameter rows. */
export const VIEW_PARAMS = 12;

/** The widest blur the kernel applies: taps within this many pixels. */
export const MAX_BLUR_RADIUS = 4;

/** Shape of an augmentation: N source images of H x W x C, V = views * N outputs. */
export interface AugmentShape {
  /** N, the source images. */
  readonly batch: number;
  /** V, the output views (a multiple of N: view v is made from image v % N). */
  readonly views: number;
  readonly height: number;
  readonly width: number;
  readonly channels: number;
}

/**
 * TS twin of `augment_views.wgsl`.
 *
 * @param images `[N, H, W, C]` source images.
 * @param params `[V, 12]` per-view parameter rows (see the shader's header).
 * @param stats `[N, C, 3]` per-image, per-channel min, max and mean.
 * @param shape The shape.
 * @param seed The noise seed (32 bits).
 * @returns `[V, H, W, C]` views, a new array.
 * @throws {RangeError} If an array's length does not fit the shape.
 * @example
 * ```ts
 * import { augmentViewsCpu } from "./augment_views.ts";
 * // identity parameters: the view is the image
 * const identity = [1, 0, 0, 0, 1, 0, 1, 1, 0, 0, 0, 0];
 * const out = augmentViewsCpu(new Float32Array([1, 2, 3, 4]), new Float32Array(identity),
 *   new Float32Array([1, 4, 2.5]), { batch: 1, views: 1, height: 2, width: 2, channels: 1 }, 0);
 * if (out.join() !== "1,2,3,4") throw new Error("not the identity");
 * ```
 */
export function augmentViewsCpu(
  images: Float32Array,
  params: Float32Array,
  stats: Float32Array,
  shape: AugmentShape,
  seed: number,
): Float32Array {
  checkShape(shape, images.length, params.length, stats.length);
  const { batch, views, height, width, channels } = shape;
  const out = new Float32Array(views * height * width * channels);
  const plane = height * width;
  const rowStride = width * channels;
  // bilinear sample of image n, channel c at source position (sx, sy), edges repeated
  const sample = (base: number, sx: number, sy: number) => {
    const fx = sx - 0.5, fy = sy - 0.5;
    const x0 = Math.floor(fx), y0 = Math.floor(fy);
    const tx = fx - x0, ty = fy - y0;
    const xa = (x0 < 0 ? 0 : x0 >= width ? width - 1 : x0) * channels;
    const xb = (x0 + 1 < 0 ? 0 : x0 + 1 >= width ? width - 1 : x0 + 1) * channels;
    const ya = (y0 < 0 ? 0 : y0 >= height ? height - 1 : y0) * rowStride;
    const yb = (y0 + 1 < 0 ? 0 : y0 + 1 >= height ? height - 1 : y0 + 1) * rowStride;
    const top = mix(images[base + ya + xa]!, images[base + ya + xb]!, tx);
    const bottom = mix(images[base + yb + xa]!, images[base + yb + xb]!, tx);
    return mix(top, bottom, ty);
  };
  for (let v = 0; v < views; v++) {
    const n = v % batch;
    const at = (k: number) => params[v * VIEW_PARAMS + k] as number;
    const [a00, a01, a02, a10, a11, a12] = [at(0), at(1), at(2), at(3), at(4), at(5)];
    const [gamma, contrast, brightness, sigma, noiseStd] = [at(6), at(7), at(8), at(9), at(10)];
    // blur taps of this view: source offsets and weights (one tap of weight 1 without blur)
    const taps = blurTaps(sigma, a00, a01, a10, a11);
    let weights = 0;
    for (let t = 2; t < taps.length; t += 3) weights += taps[t]!;
    for (let c = 0; c < channels; c++) {
      const base = n * plane * channels + c;
      const s = (n * channels + c) * 3;
      const lo = stats[s] as number;
      const range = Math.max((stats[s + 1] as number) - lo, 1e-6);
      const mean = stats[s + 2] as number;
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const ox = x + 0.5, oy = y + 0.5;
          const sx = a00 * ox + a01 * oy + a02, sy = a10 * ox + a11 * oy + a12;
          let total = 0;
          for (let t = 0; t < taps.length; t += 3) {
            total += taps[t + 2]! * sample(base, sx + taps[t]!, sy + taps[t + 1]!);
          }
          let value = total / weights;
          if (gamma !== 1) {
            const u = Math.min(Math.max((value - lo) / range, 0), 1);
            value = u <= 0 ? lo : lo + range * u ** gamma;
          }
          value = value + (contrast - 1) * (value - mean) + brightness;
          const e = ((v * height + y) * width + x) * channels + c;
          if (noiseStd > 0) {
            const u1 = 1 - uniform01(seed, 2 * e);
            const u2 = uniform01(seed, 2 * e + 1);
            value += noiseStd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
          }
          out[e] = value;
        }
      }
    }
  }
  return out;
}

/**
 * Runs `augment_views.wgsl`.
 *
 * @param device The device.
 * @param pipeline The pipeline from `loadShader(device, "augment_views", ...)`.
 * @param buffers `images` `[N, H, W, C]`, `params` `[V, 12]`, `stats` `[N, C, 3]`, all f32.
 * @param shape The shape.
 * @param seed The noise seed.
 * @returns A new buffer with the `[V, H, W, C]` views; the caller destroys it.
 * @throws {RangeError} If the shape is not valid.
 */
export function augmentViewsGpu(
  device: GPUDevice,
  pipeline: GPUComputePipeline,
  buffers: { readonly images: GPUBuffer; readonly params: GPUBuffer; readonly stats: GPUBuffer },
  shape: AugmentShape,
  seed: number,
): GPUBuffer {
  checkShape(shape);
  const { batch, views, height, width, channels } = shape;
  const count = views * height * width * channels;
  const out = createStorage(device, count * 4, "views");
  const uniforms = uniformBuffer(device, [
    ["u32", count],
    ["u32", batch],
    ["u32", height],
    ["u32", width],
    ["u32", channels],
    ["u32", seed >>> 0],
  ]);
  const groups = Math.ceil(count / AUGMENT_VIEWS.workgroupSize);
  const x = Math.min(groups, 32768);
  dispatch(
    device,
    pipeline,
    [uniforms, buffers.images, buffers.params, buffers.stats, out],
    [x, Math.ceil(groups / x)],
  );
  uniforms.destroy();
  return out;
}

/**
 * The blur taps of a view as `[dsx, dsy, w]` triples: the source offset of the
 * output offset (dx, dy) under the view's linear map, and the Gaussian weight;
 * one tap `[0, 0, 1]` without blur.
 */
function blurTaps(sigma: number, a00: number, a01: number, a10: number, a11: number): Float64Array {
  if (!(sigma > 0)) return Float64Array.of(0, 0, 1);
  const radius = Math.min(Math.ceil(2 * sigma), MAX_BLUR_RADIUS);
  const side = 2 * radius + 1;
  const taps = new Float64Array(side * side * 3);
  let at = 0;
  for (let dy = -radius; dy <= radius; dy++) {
    for (let dx = -radius; dx <= radius; dx++) {
      taps[at++] = a00 * dx + a01 * dy;
      taps[at++] = a10 * dx + a11 * dy;
      taps[at++] = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
    }
  }
  return taps;
}

/** A uniform value in [0, 1) from (seed, i), as the shader's `uniform01`. */
function uniform01(seed: number, i: number): number {
  return (pcgHash((seed ^ pcgHash(i)) >>> 0) >>> 8) / 16777216;
}

function mix(a: number, b: number, t: number): number {
  return a * (1 - t) + b * t;
}

function checkShape(
  shape: AugmentShape,
  images?: number,
  params?: number,
  stats?: number,
): void {
  const { batch, views, height, width, channels } = shape;
  for (const [key, value] of Object.entries(shape)) {
    if (!Number.isInteger(value) || value < 1) {
      throw new RangeError(`Cannot augment images: ${key} ${value} is not a positive integer`);
    }
  }
  if (views % batch !== 0) {
    throw new RangeError(`Cannot augment images: ${views} views are not a multiple of ${batch}`);
  }
  const expected = [
    ["images", images, batch * height * width * channels],
    ["params", params, views * VIEW_PARAMS],
    ["stats", stats, batch * channels * 3],
  ] as const;
  for (const [name, got, want] of expected) {
    if (got !== undefined && got !== want) {
      throw new RangeError(`Cannot augment images: ${name} has ${got} values, expected ${want}`);
    }
  }
}

/**
 * The views as a tfjs op: per-image statistics by tfjs (on the tensors'
 * device), then the kernel on the shared GPU device, or the TS twin when the
 * kernels run on the CPU. Not differentiable (views are inputs).
 *
 * @param ctx Where to run.
 * @param images `[N, H, W, C]` source images.
 * @param params `[V * 12]` parameter rows (`drawViewParams`), V a multiple of N.
 * @param seed The noise seed.
 * @returns `[V, H, W, C]` views.
 * @throws {RangeError} If the parameter rows do not fit the batch.
 */
export function augmentViewsOp(
  ctx: KernelContext,
  images: tf.Tensor4D,
  params: Float32Array,
  seed: number,
): tf.Tensor4D {
  const [batch, height, width, channels] = images.shape;
  const views = params.length / VIEW_PARAMS;
  const shape: AugmentShape = { batch, views, height, width, channels };
  checkShape(shape, undefined, params.length);
  return tf.tidy(() => {
    const stats = tf.stack([
      tf.min(images, [1, 2]),
      tf.max(images, [1, 2]),
      tf.mean(images, [1, 2]),
    ], 2); // [N, C, 3]
    if (ctx.mode === "cpu") {
      const out = augmentViewsCpu(
        images.dataSync() as Float32Array,
        params,
        stats.dataSync() as Float32Array,
        shape,
        seed,
      );
      return tf.tensor4d(out, [views, height, width, channels]);
    }
    const i = tensorToBuffer(images);
    const s = tensorToBuffer(stats);
    const p = uploadBuffer(ctx.device, params, "view_params");
    const out = augmentViewsGpu(
      ctx.device,
      ctx.kernels.augmentViews,
      { images: i.buffer, params: p, stats: s.buffer },
      shape,
      seed,
    );
    i.release();
    s.release();
    p.destroy();
    return bufferToTensor<tf.Rank.R4>(out, [views, height, width, channels]);
  });
}
