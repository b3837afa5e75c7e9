/**
 * How well a masking strategy hits the lesion: the share of removed patches
 * that touch the lesion, per image. Used by `tasks/mask_overlap.ts` to check
 * that MPS removes more lesion patches than random masking does.
 *
 * @module
 */

/**
 * Marks the patches of a `gh x gw` grid laid over a label image that contain at
 * least one lesion pixel. The grid covers the whole image (the image is resized,
 * not cropped, to the model's input), so source pixel (y, x) falls in patch
 * `(floor(y * gh / height), floor(x * gw / width))`.
 *
 * @param label `[height, width]` row-major, nonzero = lesion.
 * @param shape `width` and `height` of the label, `gh` and `gw` of the grid.
 * @returns `[gh * gw]`, 1 where the patch touches the lesion.
 * @throws {RangeError} If the label size disagrees with the shape.
 * @example
 * ```ts
 * import { lesionPatches } from "./mask_overlap.ts";
 * const t = lesionPatches(new Uint8Array([0, 0, 0, 1]), { width: 2, height: 2, gh: 1, gw: 2 });
 * if (t.join() !== "0,1") throw new Error("right patch");
 * ```
 */
export function lesionPatches(
  label: Uint8Array,
  shape: {
    readonly width: number;
    readonly height: number;
    readonly gh: number;
    readonly gw: number;
  },
): Uint8Array {
  const { width, height, gh, gw } = shape;
  if (label.length !== width * height) {
    throw new RangeError(
      `Cannot find lesion patches: label has ${label.length} values, expected ${width} * ${height}`,
    );
  }
  const touch = new Uint8Array(gh * gw);
  for (let y = 0; y < height; y++) {
    const row = Math.floor((y * gh) / height) * gw;
    for (let x = 0; x < width; x++) {
      if (label[y * width + x]) touch[row + Math.floor((x * gw) / width)] = 1;
    }
  }
  return touch;
}

/**
 * The share of removed patches that touch the lesion, per sample.
 *
 * @param mask `[N, L]`, 1 = removed.
 * @param touch `[N, L]`, 1 = the patch touches the lesion.
 * @param patches L.
 * @returns `[N]` shares in [0, 1] (NaN for a sample with nothing removed).
 * @example
 * ```ts
 * import { maskedLesionShare } from "./mask_overlap.ts";
 * const s = maskedLesionShare(new Float32Array([1, 1, 0]), new Uint8Array([1, 0, 1]), 3);
 * if (s[0] !== 0.5) throw new Error("one of two removed patches is lesion");
 * ```
 */
export function maskedLesionShare(
  mask: Float32Array,
  touch: Uint8Array,
  patches: number,
): Float64Array {
  const batch = mask.length / patches;
  if (!Number.isInteger(batch) || touch.length !== mask.length) {
    throw new RangeError(
      `Cannot measure lesion share: mask has ${mask.length} and touch ${touch.length} values for L ${patches}`,
    );
  }
  const share = new Float64Array(batch);
  for (let n = 0; n < batch; n++) {
    let removed = 0, hit = 0;
    for (let l = n * patches; l < (n + 1) * patches; l++) {
      if ((mask[l] as number) > 0.5) {
        removed++;
        hit += touch[l] as number;
      }
    }
    share[n] = hit / removed;
  }
  return share;
}
