/**
 * How `shaders/conv2d_filter_grad*.wgsl` is launched for a conv geometry:
 * which shader (scalar or vec4), which tile of dW each workgroup computes, and
 * into how many parts the reduction over output pixels is cut (split-K).
 * Pure functions: they run, and are tested, without a GPU.
 *
 * @module
 */

import type { Conv2dGeometry } from "./conv2d_geometry.ts";

/**
 * A workgroup's shape: 64 invocations as (64 / wx) x wx, each computing a
 * tm x tn block of outputs, so the tile is (tm * 64 / wx) rows by (tn * wx)
 * columns. These are the `override` constants of the shaders.
 */
export interface Tile {
  readonly wx: number;
  readonly tm: number;
  readonly tn: number;
}

/** Tiles of the vec4 shader (4 x 4 blocks; 64 x 16, 32 x 32, 16 x 64). */
export const VEC4_TILES: readonly Tile[] = [
  { wx: 4, tm: 4, tn: 4 },
  { wx: 8, tm: 4, tn: 4 },
  { wx: 16, tm: 4, tn: 4 },
];
/** Tiles of the scalar shader: those, and smaller ones for 1-channel or 3x3x1 filters. */
export const SCALAR_TILES: readonly Tile[] = [
  ...VEC4_TILES,
  { wx: 4, tm: 4, tn: 1 }, // 64 x 4
  { wx: 16, tm: 1, tn: 1 }, // 4 x 16
  { wx: 4, tm: 1, tn: 1 }, // 16 x 4
  { wx: 1, tm: 1, tn: 1 }, // 64 x 1
];

/** Workgroups per dispatch dimension (WebGPU's default limit). */
export const MAX_WORKGROUPS = 65535;
/** Output pixels per step of the shaders (`BR`): rows per split are a multiple of it. */
export const FILTER_GRAD_STEP_ROWS = 16;
/** Aim for this many workgroups in all, through split-K. */
const TARGET_WORKGROUPS = 256;
/** At least this many output pixels per split. */
const MIN_ROWS_PER_SPLIT = 256;

/** A launch of the filter-gradient shader. */
export interface FilterGradLaunch {
  readonly tile: Tile;
  /** `[dW row tiles, dW column tiles, splits]`. */
  readonly workgroups: readonly [number, number, number];
  /** Output pixels per split, a multiple of {@linkcode FILTER_GRAD_STEP_ROWS}. */
  readonly rowsPerSplit: number;
}

/**
 * The tile for a rows x cols output (kh*kw*Cin x Cout): the least padded
 * work, weighted by the workgroup-memory reads per multiply-add of the block,
 * (tm + tn) / (tm * tn): a 4 x 4 block reads 0.5, a 1 x 1 block 2. So a
 * 16-channel layer gets 64 x 16 tiles, not 16 x 64 with 48 empty columns, and
 * a 1-channel head 64 x 1.
 *
 * @param rows Output rows.
 * @param cols Output columns.
 * @param vec4 Choose among the vec4 shader's tiles only.
 * @returns The tile.
 * @example
 * ```ts
 * import { chooseTile } from "./conv2d_filter_grad_launch.ts";
 * if (chooseTile(16384, 16, false).wx !== 4) throw new Error("expected a 64 x 16 tile");
 * ```
 */
export function chooseTile(rows: number, cols: number, vec4: boolean): Tile {
  let best: Tile | undefined;
  let bestCost = Infinity;
  for (const tile of vec4 ? VEC4_TILES : SCALAR_TILES) {
    const bm = tile.tm * (64 / tile.wx);
    const bn = tile.tn * tile.wx;
    const padded = Math.ceil(rows / bm) * bm * Math.ceil(cols / bn) * bn;
    const cost = padded * (tile.tm + tile.tn) / (tile.tm * tile.tn);
    if (cost < bestCost) [best, bestCost] = [tile, cost];
  }
  return best!;
}

/**
 * Whether the vec4 shader applies: Cin and Cout multiples of 4 (every conv of
 * medmim's U-Net except the first and the head).
 *
 * @param g The geometry.
 * @returns true for `conv2d_filter_grad_vec4`, false for `conv2d_filter_grad`.
 * @example
 * ```ts
 * import { conv2dGeometry } from "./conv2d_geometry.ts";
 * import { usesVec4 } from "./conv2d_filter_grad_launch.ts";
 * if (usesVec4(conv2dGeometry([1, 8, 8, 1], [3, 3, 1, 16], 1, "same"))) {
 *   throw new Error("Cin 1 needs the scalar shader");
 * }
 * ```
 */
export function usesVec4(g: Conv2dGeometry): boolean {
  return g.inChannels % 4 === 0 && g.outChannels % 4 === 0;
}

/**
 * The launch for a geometry: tiles of dW, and how many parts the reduction
 * over output pixels is cut into (split-K) so that small filters still give
 * the GPU enough workgroups.
 *
 * @param g The geometry.
 * @param tile A tile to use instead of {@linkcode chooseTile}'s (tests).
 * @returns The tile, the workgroup counts (z = splits) and rows per split.
 * @example
 * ```ts
 * import { conv2dGeometry } from "./conv2d_geometry.ts";
 * import { filterGradLaunch } from "./conv2d_filter_grad_launch.ts";
 * const { workgroups, rowsPerSplit } = filterGradLaunch(
 *   conv2dGeometry([4, 64, 64, 16], [3, 3, 16, 16], 1, "same"),
 * );
 * if (workgroups[2] * rowsPerSplit < 4 * 64 * 64) throw new Error("pixels left out");
 * ```
 */
export function filterGradLaunch(g: Conv2dGeometry, tile?: Tile): FilterGradLaunch {
  const inner = g.filterHeight * g.filterWidth * g.inChannels;
  tile ??= chooseTile(inner, g.outChannels, usesVec4(g));
  const bk = tile.tm * (64 / tile.wx);
  const bn = tile.tn * tile.wx;
  const tiles = [Math.ceil(inner / bk), Math.ceil(g.outChannels / bn)] as const;
  const rows = g.batch * g.outHeight * g.outWidth;
  if (rows === 0) return { tile, workgroups: [0, 0, 0], rowsPerSplit: 0 }; // nothing to sum
  const wanted = Math.ceil(TARGET_WORKGROUPS / (tiles[0] * tiles[1]));
  const most = Math.max(1, Math.floor(rows / MIN_ROWS_PER_SPLIT));
  let splits = Math.min(wanted, most, MAX_WORKGROUPS);
  const rowsPerSplit = Math.ceil(rows / splits / FILTER_GRAD_STEP_ROWS) * FILTER_GRAD_STEP_ROWS;
  splits = Math.ceil(rows / rowsPerSplit);
  return { tile, workgroups: [tiles[0], tiles[1], splits], rowsPerSplit };
}
