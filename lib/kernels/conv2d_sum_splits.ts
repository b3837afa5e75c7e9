/**
 * The reduction step of the split-K filter gradient: `shaders/conv2d_sum_splits.wgsl`
 * adds the `splits` partial results that `conv2d_filter_grad` wrote side by
 * side, `out[i] = sum_s part[s * size + i]`, and its TS twin. The launch that
 * uses it is {@linkcode conv2dFilterGradWebGpu} in `conv2d_filter_grad.ts`.
 *
 * @module
 */

import { MAX_WORKGROUPS } from "./conv2d_filter_grad_launch.ts";

/** Shader name and workgroup size of the kernel. */
export const CONV2D_SUM_SPLITS = { name: "conv2d_sum_splits", workgroupSize: 64 } as const;

/**
 * TS twin of `conv2d_sum_splits.wgsl`.
 *
 * @param part `[splits * size]` partial sums, split-major.
 * @param size Values per split.
 * @param splits Number of splits.
 * @returns `[size]` the sums, in f32 and in the shader's order.
 * @throws {RangeError} If `part` does not hold `splits * size` values.
 * @example
 * ```ts
 * import { conv2dSumSplitsCpu } from "./conv2d_sum_splits.ts";
 * const out = conv2dSumSplitsCpu(new Float32Array([1, 2, 10, 20]), 2, 2);
 * if (out.join() !== "11,22") throw new Error("wrong sums");
 * ```
 */
export function conv2dSumSplitsCpu(part: Float32Array, size: number, splits: number): Float32Array {
  if (part.length !== size * splits) {
    throw new RangeError(
      `Cannot sum splits: part has ${part.length} values, expected splits * size = ${splits} * ${size}`,
    );
  }
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let total = 0;
    for (let s = 0; s < splits; s++) total = Math.fround(total + (part[s * size + i] as number));
    out[i] = total;
  }
  return out;
}

/**
 * The dispatch of `conv2d_sum_splits.wgsl` for `size` outputs: `ceil(size / 64)`
 * workgroups laid out as `(min(count, 65535), ceil(count / 65535))`.
 *
 * @param size Values per split.
 * @returns The workgroup counts in x, y, z.
 * @example
 * ```ts
 * import { sumSplitsWorkgroups } from "./conv2d_sum_splits.ts";
 * if (sumSplitsWorkgroups(128).join() !== "2,1,1") throw new Error("two workgroups");
 * ```
 */
export function sumSplitsWorkgroups(size: number): [number, number, number] {
  const groups = Math.ceil(size / CONV2D_SUM_SPLITS.workgroupSize);
  return [Math.min(groups, MAX_WORKGROUPS), Math.ceil(groups / MAX_WORKGROUPS), 1];
}
