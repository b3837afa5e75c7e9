/**
 * Per-patch statistics for describing where a mask's removed patches lie
 * (`tasks/mask_overlap.ts --detail`): the pixel spread inside each patch, the
 * outer ring of the patch grid, and means over a selection of patches.
 *
 * @module
 */

import { type ImageShape, patchGrid, patchify } from "../patchify.ts";

/**
 * The standard deviation (population) of the values inside every patch:
 * 0 for a flat patch, large for a patch holding an edge or strong texture.
 *
 * @param images `[N, H, W, C]` values.
 * @param shape The image shape and patch size.
 * @returns `[N, L]` standard deviations.
 * @throws {RangeError} If H or W is not a multiple of the patch size.
 * @example
 * ```ts
 * import { patchStd } from "./patch_stats.ts";
 * const s = patchStd(new Float32Array([0, 2, 5, 5]),
 *   { batch: 1, height: 1, width: 4, channels: 1, patchSize: 1 });
 * if (s.some((v) => v !== 0)) throw new Error("one-pixel patches are flat");
 * ```
 */
export function patchStd(images: Float32Array, shape: ImageShape): Float64Array {
  const { patches } = patchGrid(shape);
  const x = patchify(images, shape);
  const dim = shape.patchSize * shape.patchSize * shape.channels;
  const out = new Float64Array(shape.batch * patches);
  for (let r = 0; r < out.length; r++) {
    let s = 0, ss = 0;
    for (let d = 0; d < dim; d++) {
      const v = x[r * dim + d] as number;
      s += v;
      ss += v * v;
    }
    const mean = s / dim;
    out[r] = Math.sqrt(Math.max(0, ss / dim - mean * mean));
  }
  return out;
}

/**
 * Marks the patches on the outer ring of a `gh x gw` grid (first and last row
 * and column), where image borders, skin lines and deep shadow lie.
 *
 * @param grid `gh` rows and `gw` columns.
 * @returns `[gh * gw]`, 1 on the ring.
 * @example
 * ```ts
 * import { outerRing } from "./patch_stats.ts";
 * if (outerRing({ gh: 3, gw: 3 }).join() !== "1,1,1,1,0,1,1,1,1") throw new Error("ring");
 * ```
 */
export function outerRing(grid: { readonly gh: number; readonly gw: number }): Uint8Array {
  const { gh, gw } = grid;
  return Uint8Array.from({ length: gh * gw }, (_, l) => {
    const row = Math.floor(l / gw), col = l % gw;
    return row === 0 || col === 0 || row === gh - 1 || col === gw - 1 ? 1 : 0;
  });
}

/**
 * The mean of a per-patch value over the selected patches of every sample.
 *
 * @param values `[N, L]` per-patch values.
 * @param select `[N, L]`, selected where > 0.5 (a mask, a 0/1 label map).
 * @param patches L.
 * @returns `[N]` means (NaN for a sample with nothing selected).
 * @throws {RangeError} If the lengths disagree.
 * @example
 * ```ts
 * import { meanWhere } from "./patch_stats.ts";
 * const m = meanWhere(new Float64Array([1, 2, 3, 4]), new Uint8Array([1, 0, 1, 1]), 2);
 * if (m[0] !== 1 || m[1] !== 3.5) throw new Error("per-sample means");
 * ```
 */
export function meanWhere(
  values: ArrayLike<number>,
  select: ArrayLike<number>,
  patches: number,
): Float64Array {
  const batch = values.length / patches;
  if (!Number.isInteger(batch) || select.length !== values.length) {
    throw new RangeError(
      `Cannot average patches: values has ${values.length} and select ${select.length} values for L ${patches}`,
    );
  }
  const out = new Float64Array(batch);
  for (let n = 0; n < batch; n++) {
    let s = 0, c = 0;
    for (let l = n * patches; l < (n + 1) * patches; l++) {
      if ((select[l] as number) > 0.5) {
        s += values[l] as number;
        c++;
      }
    }
    out[n] = s / c;
  }
  return out;
}
