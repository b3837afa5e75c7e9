/**
 * The patch grid of an image batch, and patchify/unpatchify as in MAE: patch
 * l of an H x W image covers rows `(l / gw) * P ..` and columns `(l % gw) * P ..`
 * with `gw = W / P`, so `L = (H / P) * (W / P)` patches in row-major order.
 *
 * @module
 */

/** The shape of an NHWC batch and the patch size used on it. */
export interface ImageShape {
  /** N */
  readonly batch: number;
  /** H */
  readonly height: number;
  /** W */
  readonly width: number;
  /** C */
  readonly channels: number;
  /** P, the side of a square patch. */
  readonly patchSize: number;
}

/** The patch grid: `gh` rows and `gw` columns, `patches` = L in all. */
export interface PatchGrid {
  readonly gh: number;
  readonly gw: number;
  readonly patches: number;
}

/**
 * Computes the patch grid of a shape.
 *
 * @param shape The batch shape and patch size.
 * @returns The grid.
 * @throws {RangeError} If H or W is not a positive multiple of P.
 * @example
 * ```ts
 * import { patchGrid } from "./patchify.ts";
 * const g = patchGrid({ batch: 1, height: 64, width: 48, channels: 1, patchSize: 16 });
 * if (g.patches !== 12) throw new Error("expected 4 x 3 patches");
 * ```
 */
export function patchGrid(shape: ImageShape): PatchGrid {
  const { height, width, patchSize } = shape;
  if (!Number.isInteger(patchSize) || patchSize < 1) {
    throw new RangeError(`Cannot patchify image: patchSize ${patchSize} is not a positive integer`);
  }
  for (const [side, value] of [["height", height], ["width", width]] as const) {
    if (!Number.isInteger(value) || value < patchSize || value % patchSize !== 0) {
      throw new RangeError(
        `Cannot patchify image: ${side} ${value} is not divisible by patchSize ${patchSize}`,
      );
    }
  }
  const gh = height / patchSize;
  const gw = width / patchSize;
  return { gh, gw, patches: gh * gw };
}

/**
 * Rearranges `[N, H, W, C]` images into `[N, L, P*P*C]` patch vectors (MAE's
 * `patchify`; within a patch the order is row, column, channel).
 *
 * @param images The images.
 * @param shape Their shape and the patch size.
 * @returns The patch vectors.
 */
export function patchify(images: Float32Array, shape: ImageShape): Float32Array {
  const { gw, patches } = patchGrid(shape);
  const { batch, height, width, channels, patchSize: p } = shape;
  if (images.length !== batch * height * width * channels) {
    throw new RangeError(
      `Cannot patchify image: ${images.length} values do not match shape [${batch}, ${height}, ${width}, ${channels}]`,
    );
  }
  const dim = p * p * channels;
  const out = new Float32Array(batch * patches * dim);
  for (let n = 0; n < batch; n++) {
    for (let l = 0; l < patches; l++) {
      const y0 = Math.floor(l / gw) * p;
      const x0 = (l % gw) * p;
      let o = (n * patches + l) * dim;
      for (let dy = 0; dy < p; dy++) {
        const row = ((n * height + y0 + dy) * width + x0) * channels;
        for (let k = 0; k < p * channels; k++) out[o++] = images[row + k] as number;
      }
    }
  }
  return out;
}

/**
 * Inverse of {@linkcode patchify}.
 *
 * @param patchVectors `[N, L, P*P*C]`.
 * @param shape The image shape and patch size.
 * @returns `[N, H, W, C]` images.
 */
export function unpatchify(patchVectors: Float32Array, shape: ImageShape): Float32Array {
  const { gw, patches } = patchGrid(shape);
  const { batch, height, width, channels, patchSize: p } = shape;
  const dim = p * p * channels;
  const out = new Float32Array(batch * height * width * channels);
  for (let n = 0; n < batch; n++) {
    for (let l = 0; l < patches; l++) {
      const y0 = Math.floor(l / gw) * p;
      const x0 = (l % gw) * p;
      let o = (n * patches + l) * dim;
      for (let dy = 0; dy < p; dy++) {
        const row = ((n * height + y0 + dy) * width + x0) * channels;
        for (let k = 0; k < p * channels; k++) out[row + k] = patchVectors[o++] as number;
      }
    }
  }
  return out;
}
