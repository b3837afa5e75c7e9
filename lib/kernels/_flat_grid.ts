/**
 * Workgroup grids for kernels with one invocation per value of a large
 * tensor: WebGPU allows at most 65535 workgroups along each axis, so a flat
 * index space is laid out as (x, y) and the shader rebuilds the index as
 * `gid.x + gid.y * workgroupSize * num_workgroups.x`.
 *
 * @module
 */

/** WebGPU's default `maxComputeWorkgroupsPerDimension`. */
export const MAX_WORKGROUPS_PER_AXIS = 65535;

/**
 * The (x, y) workgroup counts that cover `count` invocations.
 *
 * @param count Invocations needed (>= 0).
 * @param workgroupSize Invocations per workgroup.
 * @returns `[x, y]` with x <= 65535 and x * y * workgroupSize >= count.
 * @example
 * ```ts
 * import { flatGrid } from "./_flat_grid.ts";
 * const [x, y] = flatGrid(64 * 70000, 64);
 * if (x !== 35000 || y !== 2) throw new Error("two rows of 35000");
 * ```
 */
export function flatGrid(count: number, workgroupSize: number): [number, number] {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= MAX_WORKGROUPS_PER_AXIS) return [groups, 1];
  const y = Math.ceil(groups / MAX_WORKGROUPS_PER_AXIS);
  return [Math.ceil(groups / y), y];
}
