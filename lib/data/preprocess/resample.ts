/**
 * Resampling of a 3D volume to a target voxel spacing (AMLP sec. 4.3 step i).
 *
 * Grid convention (as SimpleITK's default): the first voxel keeps its world
 * position, and output voxel `o` sits at source voxel coordinate `o * scale`
 * with `scale = target / source` spacing per axis. So the output affine is the
 * source affine times `diag(scale, 1)`, and a prediction on the output grid maps
 * back by the same factors.
 *
 * @module
 */

/** Interpolation: trilinear for images, nearest neighbour for labels. */
export type Interpolation = "linear" | "nearest";

/** Result of {@linkcode resampleVolume}. */
export interface Resampled<T extends Float32Array | Uint8Array> {
  readonly data: T;
  /** `[nx, ny, nz]` of the output: `max(1, round(n * source / target))`. */
  readonly dims: readonly [number, number, number];
  /** Source voxels per output voxel along x, y, z (`target / source`). */
  readonly scale: readonly [number, number, number];
}

/**
 * The output grid of {@linkcode resampleVolume}, without resampling: what a
 * memory check needs to know first.
 *
 * @param grid Source `dims`, `spacing` and `target` spacing (x, y, z).
 * @returns `dims` (`max(1, round(n * source / target))` per axis) and `scale` (`target / source`, or 1 within 1e-6).
 * @throws {RangeError} If a spacing is not positive.
 * @example
 * ```ts
 * import { resampledGrid } from "./resample.ts";
 * const g = resampledGrid({ dims: [10, 10, 4], spacing: [1, 1, 2.5], target: [1, 1, 1] });
 * if (g.dims[2] !== 10) throw new Error("bad grid");
 * ```
 */
export function resampledGrid(grid: {
  readonly dims: readonly number[];
  readonly spacing: readonly number[];
  readonly target: readonly number[];
}): { dims: [number, number, number]; scale: [number, number, number] } {
  const scale = [0, 1, 2].map((i) => {
    const s = grid.spacing[i] ?? 1, t = grid.target[i] ?? 1;
    if (!(s > 0) || !(t > 0)) {
      throw new RangeError(
        `Cannot resample: spacing ${s} or target ${t} on axis ${i} is not positive`,
      );
    }
    return Math.abs(t - s) <= 1e-6 * t ? 1 : t / s;
  }) as [number, number, number];
  const dims = [0, 1, 2].map((i) => Math.max(1, Math.round((grid.dims[i] ?? 1) / scale[i]!))) as [
    number,
    number,
    number,
  ];
  return { dims, scale };
}

/**
 * Resamples `data` (x fastest) from `spacing` to `target` spacing. When the
 * spacings already agree within 1e-6 relative, the input is returned as is.
 *
 * @param data Voxels, `nx * ny * nz`, x fastest.
 * @param grid Source `dims`, `spacing`, `target` spacing (all x, y, z) and
 *   `interpolation`.
 * @returns Output voxels (same type as input), dims and scale.
 * @throws {RangeError} If a spacing is not positive or `data.length` does not match `dims`.
 * @example
 * ```ts
 * import { resampleVolume } from "./resample.ts";
 * const r = resampleVolume(new Float32Array([0, 2]), {
 *   dims: [2, 1, 1], spacing: [2, 1, 1], target: [1, 1, 1], interpolation: "linear" });
 * if (r.dims[0] !== 4 || r.data[1] !== 1) throw new Error("bad resample");
 * ```
 */
export function resampleVolume<T extends Float32Array | Uint8Array>(
  data: T,
  grid: {
    readonly dims: readonly number[];
    readonly spacing: readonly number[];
    readonly target: readonly number[];
    readonly interpolation: Interpolation;
  },
): Resampled<T> {
  const [nx = 1, ny = 1, nz = 1] = grid.dims;
  if (data.length !== nx * ny * nz) {
    throw new RangeError(
      `Cannot resample: data has ${data.length} values, dims [${nx}, ${ny}, ${nz}] need ${
        nx * ny * nz
      }`,
    );
  }
  const { dims: [mx, my, mz], scale } = resampledGrid(grid);
  if (scale.every((s) => s === 1)) return { data, dims: [nx, ny, nz], scale };
  const [sx, sy, sz] = scale;
  const out =
    (data instanceof Uint8Array
      ? new Uint8Array(mx * my * mz)
      : new Float32Array(mx * my * mz)) as T;
  const sxy = nx * ny;
  if (grid.interpolation === "nearest") {
    const ix = Int32Array.from({ length: mx }, (_, o) => Math.min(nx - 1, Math.round(o * sx)));
    const iy = Int32Array.from({ length: my }, (_, o) => Math.min(ny - 1, Math.round(o * sy)));
    let p = 0;
    for (let z = 0; z < mz; z++) {
      const zOff = Math.min(nz - 1, Math.round(z * sz)) * sxy;
      for (let y = 0; y < my; y++) {
        const yOff = zOff + (iy[y] as number) * nx;
        for (let x = 0; x < mx; x++) out[p++] = data[yOff + (ix[x] as number)] as number;
      }
    }
    return { data: out, dims: [mx, my, mz], scale };
  }
  // Linear: per axis, the lower index, the upper index (clamped) and the weight of the upper.
  const axis = (m: number, n: number, s: number) => {
    const lo = new Int32Array(m), hi = new Int32Array(m), w = new Float64Array(m);
    for (let o = 0; o < m; o++) {
      const c = Math.min(n - 1, o * s);
      const l = Math.floor(c);
      lo[o] = l;
      hi[o] = Math.min(n - 1, l + 1);
      w[o] = c - l;
    }
    return { lo, hi, w };
  };
  const ax = axis(mx, nx, sx), ay = axis(my, ny, sy), az = axis(mz, nz, sz);
  let p = 0;
  for (let z = 0; z < mz; z++) {
    const z0 = (az.lo[z] as number) * sxy, z1 = (az.hi[z] as number) * sxy, wz = az.w[z] as number;
    for (let y = 0; y < my; y++) {
      const y0 = (ay.lo[y] as number) * nx, y1 = (ay.hi[y] as number) * nx, wy = ay.w[y] as number;
      for (let x = 0; x < mx; x++) {
        const x0 = ax.lo[x] as number, x1 = ax.hi[x] as number, wx = ax.w[x] as number;
        const at = (zz: number, yy: number) =>
          (data[zz + yy + x0] as number) * (1 - wx) + (data[zz + yy + x1] as number) * wx;
        const lo = at(z0, y0) * (1 - wy) + at(z0, y1) * wy;
        const hi = at(z1, y0) * (1 - wy) + at(z1, y1) * wy;
        out[p++] = lo * (1 - wz) + hi * wz;
      }
    }
  }
  return { data: out, dims: [mx, my, mz], scale };
}
