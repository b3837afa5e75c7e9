/**
 * The filter gradient of an NHWC conv2d on tfjs's webgpu backend, as a
 * register-tiled implicit GEMM with split-K (`shaders/conv2d_filter_grad.wgsl`,
 * its vec4 form `shaders/conv2d_filter_grad_vec4.wgsl` for Cin and Cout
 * multiples of 4, and `shaders/conv2d_sum_splits.wgsl`), and its TS twin.
 *
 * tfjs-webgpu's own `Conv2DBackpropFilter` runs one invocation per filter
 * weight, each looping over every pixel; this kernel gives every workgroup a
 * tile of dW and a part of the pixels, staging both operands in workgroup
 * memory. The launch (shader, tile, splits) is chosen in
 * `conv2d_filter_grad_launch.ts`; the kernel runs on tfjs's own buffers
 * through `tfjs_webgpu_internals.ts`.
 *
 * References:
 * - implicit GEMM convolution: https://docs.nvidia.com/deeplearning/performance/dl-performance-convolutional/
 * - register tiling (each invocation a block of outputs, operands staged in
 *   workgroup memory): Volkov and Demmel, "Benchmarking GPUs to tune dense
 *   linear algebra", SC 2008
 *
 * @module
 */

import type * as tf from "@tensorflow/tfjs";
import { loadShader } from "../gpu/shader.ts";
import type { Conv2dGeometry } from "./conv2d_geometry.ts";
import {
  filterGradLaunch,
  SCALAR_TILES,
  type Tile,
  usesVec4,
  VEC4_TILES,
} from "./conv2d_filter_grad_launch.ts";
import { CONV2D_SUM_SPLITS, sumSplitsWorkgroups } from "./conv2d_sum_splits.ts";
import {
  encodeInTfjsQueue,
  tensorBuffer,
  type TfjsDispatch,
  type TfjsWebGpuInternals,
} from "../gpu/tfjs_webgpu_internals.ts";

/** Shader names and workgroup sizes. */
export const CONV2D_FILTER_GRAD = { name: "conv2d_filter_grad", workgroupSize: 64 } as const;
export const CONV2D_FILTER_GRAD_VEC4 = {
  name: "conv2d_filter_grad_vec4",
  workgroupSize: 64,
} as const;

/**
 * TS twin of `conv2d_filter_grad.wgsl` (+ `conv2d_sum_splits.wgsl`): the
 * gradient of `sum(conv2d(x, w) * dy)` with respect to `w`.
 *
 * @param x `[N, H, W, Cin]` values.
 * @param dy `[N, Ho, Wo, Cout]` values.
 * @param g The geometry.
 * @returns `[kh, kw, Cin, Cout]` values.
 * @throws {RangeError} If an array's length does not match the geometry.
 * @example
 * ```ts
 * import { conv2dGeometry } from "./conv2d_geometry.ts";
 * import { conv2dFilterGradCpu } from "./conv2d_filter_grad.ts";
 * const g = conv2dGeometry([1, 1, 3, 1], [1, 3, 1, 1], 1, "same");
 * const dw = conv2dFilterGradCpu(new Float32Array([1, 2, 3]), new Float32Array([1, 1, 1]), g);
 * if (dw.join() !== "3,6,5") throw new Error("wrong filter gradient");
 * ```
 */
export function conv2dFilterGradCpu(
  x: Float32Array,
  dy: Float32Array,
  g: Conv2dGeometry,
): Float32Array {
  const { inHeight: h, inWidth: wd, inChannels: cin, outChannels: cout } = g;
  checkLength(x, g.batch * h * wd * cin, "x");
  checkLength(dy, g.batch * g.outHeight * g.outWidth * cout, "dy");
  const dw = new Float32Array(g.filterHeight * g.filterWidth * cin * cout);
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.outHeight; oy++) {
      for (let ox = 0; ox < g.outWidth; ox++) {
        const di = ((b * g.outHeight + oy) * g.outWidth + ox) * cout;
        for (let ky = 0; ky < g.filterHeight; ky++) {
          const iy = oy * g.strideHeight + ky - g.padTop;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < g.filterWidth; kx++) {
            const ix = ox * g.strideWidth + kx - g.padLeft;
            if (ix < 0 || ix >= wd) continue;
            const xi = ((b * h + iy) * wd + ix) * cin;
            const wi = (ky * g.filterWidth + kx) * cin * cout;
            for (let ci = 0; ci < cin; ci++) {
              const v = x[xi + ci]!;
              for (let co = 0; co < cout; co++) dw[wi + ci * cout + co]! += v * dy[di + co]!;
            }
          }
        }
      }
    }
  }
  return dw;
}

function checkLength(values: Float32Array, expected: number, what: string): void {
  if (values.length !== expected) {
    throw new RangeError(
      `Cannot compute the filter gradient: ${what} has ${values.length} values, expected ${expected}`,
    );
  }
}

/** The compiled pipelines on one device. */
export interface FilterGradPipelines {
  readonly device: GPUDevice;
  /** `conv2d_filter_grad` by {@linkcode tileKey}. */
  readonly scalar: ReadonlyMap<string, GPUComputePipeline>;
  /** `conv2d_filter_grad_vec4` by {@linkcode tileKey}. */
  readonly vec4: ReadonlyMap<string, GPUComputePipeline>;
  readonly sumSplits: GPUComputePipeline;
}

/** The key of a tile's pipeline in {@linkcode FilterGradPipelines}. */
export function tileKey(tile: Tile): string {
  return `${tile.wx}/${tile.tm}/${tile.tn}`;
}

const compiled = new WeakMap<GPUDevice, Promise<FilterGradPipelines>>();

/**
 * Compiles the three shaders (every tile variant) on `device` (cached).
 *
 * @param device The device tfjs's webgpu backend runs on.
 * @returns The pipelines.
 * @throws {ShaderValidationError} If a shader does not compile.
 */
export function loadFilterGradPipelines(device: GPUDevice): Promise<FilterGradPipelines> {
  let pipelines = compiled.get(device);
  if (!pipelines) {
    pipelines = (async () => {
      const variants = (spec: { name: string; workgroupSize: number }, tiles: readonly Tile[]) =>
        Promise.all(tiles.map(async (tile) =>
          [
            tileKey(tile),
            await loadShader(device, spec.name, {
              workgroupSize: spec.workgroupSize,
              // the vec4 shader's blocks are always 4 x 4: TM and TN are not overrides there
              constants: tiles === VEC4_TILES
                ? { WX: tile.wx }
                : { WX: tile.wx, TM: tile.tm, TN: tile.tn },
            }),
          ] as const
        ));
      const [scalar, vec4, sumSplits] = await Promise.all([
        variants(CONV2D_FILTER_GRAD, SCALAR_TILES),
        variants(CONV2D_FILTER_GRAD_VEC4, VEC4_TILES),
        loadShader(device, CONV2D_SUM_SPLITS.name, {
          workgroupSize: CONV2D_SUM_SPLITS.workgroupSize,
        }),
      ]);
      return { device, scalar: new Map(scalar), vec4: new Map(vec4), sumSplits };
    })();
    compiled.set(device, pipelines);
    pipelines.catch(() => compiled.delete(device));
  }
  return pipelines;
}

/**
 * Runs `conv2d_filter_grad` or `conv2d_filter_grad_vec4` (and
 * `conv2d_sum_splits` when split) on tfjs tensors' buffers, in tfjs's queue.
 *
 * @param backend tfjs's webgpu backend.
 * @param pipelines From {@linkcode loadFilterGradPipelines} on the backend's device.
 * @param x `[N, H, W, Cin]` float32.
 * @param dy `[N, Ho, Wo, Cout]` float32.
 * @param g The geometry.
 * @param tile A tile to use instead of the launch's choice (tests).
 * @returns The new `[kh, kw, Cin, Cout]` tensor info (owned by the caller).
 */
export function conv2dFilterGradWebGpu(
  backend: TfjsWebGpuInternals,
  pipelines: FilterGradPipelines,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: Conv2dGeometry,
  tile?: Tile,
): tf.TensorInfo {
  const launch = filterGradLaunch(g, tile);
  const splits = launch.workgroups[2];
  const size = g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
  const dw = backend.makeTensorInfo(
    [g.filterHeight, g.filterWidth, g.inChannels, g.outChannels],
    "float32",
  );
  const part = splits > 1 ? backend.makeTensorInfo([splits * size], "float32") : dw;
  const vec4 = usesVec4(g);
  const dispatches: TfjsDispatch[] = [{
    pipeline: (vec4 ? pipelines.vec4 : pipelines.scalar).get(tileKey(launch.tile))!,
    buffers: [
      uniforms(backend.device, [...geometryWords(g), launch.rowsPerSplit]),
      tensorBuffer(backend, x),
      tensorBuffer(backend, dy),
      tensorBuffer(backend, part),
    ],
    workgroups: launch.workgroups,
  }];
  if (splits > 1) {
    dispatches.push({
      pipeline: pipelines.sumSplits,
      buffers: [
        uniforms(backend.device, [size, splits]),
        tensorBuffer(backend, part),
        tensorBuffer(backend, dw),
      ],
      workgroups: sumSplitsWorkgroups(size),
    });
  }
  const label = vec4 ? CONV2D_FILTER_GRAD_VEC4.name : CONV2D_FILTER_GRAD.name;
  encodeInTfjsQueue(backend, label, dispatches, [x, dy, part, dw]);
  if (part !== dw) backend.disposeData(part.dataId); // released when tfjs submits
  return dw;
}

/** The shaders' `Params` up to `rows_per_split`, in declaration order. */
function geometryWords(g: Conv2dGeometry): number[] {
  return [
    g.inHeight,
    g.inWidth,
    g.inChannels,
    g.outHeight,
    g.outWidth,
    g.outChannels,
    g.filterWidth,
    g.strideHeight,
    g.strideWidth,
    g.padTop,
    g.padLeft,
    g.batch * g.outHeight * g.outWidth,
    g.filterHeight * g.filterWidth * g.inChannels,
  ];
}

const uniformCache = new WeakMap<GPUDevice, Map<string, GPUBuffer>>();

/** A uniform buffer of u32/i32 words, cached per content (one per conv geometry). */
function uniforms(device: GPUDevice, words: readonly number[]): GPUBuffer {
  let cache = uniformCache.get(device);
  if (!cache) uniformCache.set(device, cache = new Map());
  const key = words.join(",");
  let buffer = cache.get(key);
  if (!buffer) {
    buffer = device.createBuffer({
      label: "conv2d_filter_grad_params",
      size: Math.ceil(words.length / 4) * 16,
      usage: GPUBufferUsage.UNIFORM,
      mappedAtCreation: true,
    });
    new Int32Array(buffer.getMappedRange()).set(words);
    buffer.unmap();
    cache.set(key, buffer);
  }
  return buffer;
}
