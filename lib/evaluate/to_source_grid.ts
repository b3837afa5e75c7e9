/**
 * Maps a label map from the cache grid back onto its case's source grid, with
 * the grid information the slice cache manifest keeps (nearest neighbour):
 *
 * - volume: cache voxel (c, r, z) is resampled `(x = c + ox, y = r + oy, z)`, and
 *   resampled `(x, y, z)` is source `(x * sx, y * sy, z * sz)`; so source voxel
 *   `(i, j, k)` takes resampled `round(i / sx, j / sy, k / sz)`, zero where the
 *   crop cut it away.
 * - image (2D): slice pixel (r, c) sampled source `((c + 0.5) w / d - 0.5, ...)`;
 *   so source `(x, y)` takes `c = round((x + 0.5) d / w - 0.5)`, likewise `r`.
 *
 * @module
 */

import type { CaseGrid } from "../data/preprocess/preprocess_case.ts";

/**
 * Resamples a cache-grid label map onto the source grid.
 *
 * @param labels `[d, d, Z]` (volume, Z = resampled nz) or `[d, d]` (image), x fastest.
 * @param options The case's `grid` and the cache side `size` (d).
 * @returns Labels on the source grid (`grid.sourceDims`, x fastest) and those dims.
 * @throws {RangeError} If `labels` does not have the cache grid's size.
 * @example
 * ```ts
 * import { toSourceGrid } from "./to_source_grid.ts";
 * const grid = { kind: "image", sourceDims: [4, 4, 1], sourceSpacing: [1, 1, 1],
 *   affine: [], resizedFrom: [4, 4] } as const;
 * const out = toSourceGrid(Uint8Array.of(1, 0, 0, 0), { grid, size: 2 });
 * if (out.data[0] !== 1 || out.data[1] !== 1 || out.data[2] !== 0) throw new Error("bad map");
 * ```
 */
export function toSourceGrid(
  labels: Uint8Array,
  options: { readonly grid: CaseGrid; readonly size: number },
): { data: Uint8Array; dims: number[] } {
  const { grid, size: d } = options;
  const [nx = 1, ny = 1, nz = 1] = grid.sourceDims;
  if (grid.kind === "image") {
    if (labels.length !== d * d) {
      throw new RangeError(
        `Cannot map to source grid: ${labels.length} labels, ${d}x${d} expected`,
      );
    }
    const [w = nx, h = ny] = grid.resizedFrom;
    const out = new Uint8Array(nx * ny);
    for (let y = 0; y < ny; y++) {
      const r = clamp(Math.round(((y + 0.5) * d) / h - 0.5), d);
      for (let x = 0; x < nx; x++) {
        const c = clamp(Math.round(((x + 0.5) * d) / w - 0.5), d);
        out[x + nx * y] = labels[c + d * r] as number;
      }
    }
    return { data: out, dims: [nx, ny] };
  }
  const [mx = 1, my = 1, mz = 1] = grid.resampledDims;
  if (labels.length !== d * d * mz) {
    throw new RangeError(
      `Cannot map to source grid: ${labels.length} labels, ${d}x${d}x${mz} expected`,
    );
  }
  const [sx = 1, sy = 1, sz = 1] = grid.scale;
  const [ox = 0, oy = 0] = grid.offset;
  const out = new Uint8Array(nx * ny * nz);
  for (let k = 0; k < nz; k++) {
    const z = clamp(Math.round(k / sz), mz);
    for (let j = 0; j < ny; j++) {
      const r = clamp(Math.round(j / sy), my) - oy;
      if (r < 0 || r >= d) continue;
      for (let i = 0; i < nx; i++) {
        const c = clamp(Math.round(i / sx), mx) - ox;
        if (c < 0 || c >= d) continue;
        out[i + nx * (j + ny * k)] = labels[c + d * (r + d * z)] as number;
      }
    }
  }
  return { data: out, dims: [nx, ny, nz] };
}

function clamp(v: number, n: number): number {
  return Math.min(n - 1, Math.max(0, v));
}
