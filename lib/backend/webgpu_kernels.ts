/**
 * Registers medmim's kernels for tfjs's webgpu backend in place of tfjs's own,
 * and puts tfjs's back.
 *
 * The one kernel replaced is `Conv2DBackpropFilter` (`conv2d_filter_grad.ts`):
 * tfjs-webgpu's took 70% of a U-Net pretraining step, medmim's is 3.6-5.9x
 * faster on the U-Net's 3x3 layers with the same values to 1e-5 (see the
 * README's "tfjs-webgpu kernels"). Cases it does not handle (not float32, not
 * NHWC, a launch too large for one dispatch, a backend without the internals
 * of `tfjs_webgpu_internals.ts`, a device its shaders were not compiled on)
 * go to tfjs's kernel.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { conv2dGeometry } from "../kernels/conv2d_geometry.ts";
import { filterGradLaunch, MAX_WORKGROUPS } from "../kernels/conv2d_filter_grad_launch.ts";
import {
  conv2dFilterGradWebGpu,
  type FilterGradPipelines,
  loadFilterGradPipelines,
} from "../kernels/conv2d_filter_grad.ts";
import { tfjsWebGpuInternals } from "../gpu/tfjs_webgpu_internals.ts";
import { ShaderValidationError } from "../errors.ts";

/** The tfjs webgpu kernels medmim replaces. */
export const MEDMIM_WEBGPU_KERNELS: readonly string[] = ["Conv2DBackpropFilter"];

/** What {@linkcode registerWebGpuKernels} put in place. */
export interface WebGpuKernels {
  /** tfjs kernel names now served by medmim's (empty when they did not load). */
  readonly medmim: readonly string[];
  /** One line for logs, e.g. `medmim's Conv2DBackpropFilter`, or why tfjs's stays. */
  readonly description: string;
}

interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: tf.KernelBackend;
  attrs?: tf.NamedAttrMap;
}

/** Pipelines by the device they were compiled on (tfjs's backend may move to another). */
const ready = new WeakMap<GPUDevice, FilterGradPipelines>();
/** tfjs's own kernel, while medmim's is registered. */
let tfjsFilterGrad: tf.KernelConfig | undefined;

/**
 * Compiles medmim's webgpu kernels on `device` and registers them for tfjs's
 * `webgpu` backend (once; later calls only compile for a new device). Their
 * shaders need `--allow-read=shaders`: when they cannot be read, tfjs's
 * kernels stay and the description says why (a shader that does not compile
 * throws: that is medmim's bug). Call after tfjs's webgpu
 * backend is set up on `device`.
 *
 * @param device The device of tfjs's webgpu backend.
 * @returns What is registered, and a description for logs.
 * @example
 * ```ts ignore
 * import { getGpu } from "../gpu/device.ts";
 * import { registerWebGpuKernels } from "./webgpu_kernels.ts";
 * const kernels = await registerWebGpuKernels((await getGpu()).device);
 * console.log(kernels.description); // "medmim's Conv2DBackpropFilter"
 * ```
 */
export async function registerWebGpuKernels(device: GPUDevice): Promise<WebGpuKernels> {
  try {
    ready.set(device, await loadFilterGradPipelines(device));
  } catch (error) {
    // a shader of ours that does not compile is a bug to surface, not a fallback
    if (error instanceof ShaderValidationError) throw error;
    const message = error instanceof Error ? error.message : String(error);
    return {
      medmim: [],
      description: `tfjs's Conv2DBackpropFilter: medmim's did not load: ${message}`,
    };
  }
  if (!tfjsFilterGrad) {
    const original = tf.getKernel("Conv2DBackpropFilter", "webgpu");
    if (!original) {
      return {
        medmim: [],
        description: "no Conv2DBackpropFilter: tfjs-backend-webgpu registered none to replace",
      };
    }
    tfjsFilterGrad = original;
    tf.unregisterKernel("Conv2DBackpropFilter", "webgpu");
    tf.registerKernel({
      kernelName: "Conv2DBackpropFilter",
      backendName: "webgpu",
      kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
    });
  }
  return {
    medmim: MEDMIM_WEBGPU_KERNELS,
    description: `medmim's ${MEDMIM_WEBGPU_KERNELS.join(", ")}`,
  };
}

/**
 * Puts tfjs's own webgpu kernels back (undoes {@linkcode registerWebGpuKernels};
 * the compiled pipelines stay cached).
 */
export function unregisterWebGpuKernels(): void {
  if (!tfjsFilterGrad) return;
  tf.unregisterKernel("Conv2DBackpropFilter", "webgpu");
  tf.registerKernel(tfjsFilterGrad);
  tfjsFilterGrad = undefined;
}

/** medmim's `Conv2DBackpropFilter`, or tfjs's for the cases it does not handle. */
function conv2dBackpropFilter(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs["x"]!;
  const dy = args.inputs["dy"]!;
  const attrs = (args.attrs ?? {}) as unknown as tf.Conv2DBackpropFilterAttrs;
  const backend = tfjsWebGpuInternals(args.backend);
  const pipelines = backend && ready.get(backend.device);
  const handled = x.dtype === "float32" && dy.dtype === "float32" &&
    (attrs.dataFormat === undefined || attrs.dataFormat === "NHWC");
  if (backend && pipelines && handled) {
    const s = x.shape;
    const g = conv2dGeometry(
      [s[0]!, s[1]!, s[2]!, s[3]!],
      attrs.filterShape,
      attrs.strides,
      attrs.pad,
      attrs.dimRoundingMode,
    );
    const launch = filterGradLaunch(g); // no rows (an empty batch): tfjs's kernel
    if (launch.rowsPerSplit > 0 && launch.workgroups.every((n) => n <= MAX_WORKGROUPS)) {
      return conv2dFilterGradWebGpu(backend, pipelines, x, dy, g);
    }
  }
  if (!tfjsFilterGrad) {
    throw new Error("Cannot run Conv2DBackpropFilter on webgpu: tfjs's kernel was not found");
  }
  return tfjsFilterGrad.kernelFunc(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo;
}
