/**
 * Z-score normalisation over the nonzero region (AMLP sec. 4.3 step i:
 * "normalize the image with mean and std for region nonzero").
 *
 * @module
 */

/**
 * Marks the voxels that are not zero, the "nonzero region" (the head, the
 * breast...) as opposed to the zero background.
 *
 * @param data Intensities.
 * @returns 1 where `data` is not 0, else 0.
 */
export function nonzeroMask(data: Float32Array): Uint8Array {
  const mask = new Uint8Array(data.length);
  for (let i = 0; i < data.length; i++) mask[i] = data[i] !== 0 ? 1 : 0;
  return mask;
}

/**
 * Replaces `data` in place by `(v - mean) / std` inside `mask` (mean and std
 * over the masked voxels, std population) and by 0 outside it, so the
 * background stays exactly zero. A std below 1e-8 is treated as 1.
 *
 * @param data Intensities, modified in place.
 * @param mask Region: 1 inside.
 * @returns The `mean` and `std` used (0 and 1 for an empty mask).
 * @example
 * ```ts
 * import { zscoreInMask } from "./zscore.ts";
 * const d = new Float32Array([0, 1, 3]);
 * zscoreInMask(d, new Uint8Array([0, 1, 1]));
 * if (d[0] !== 0 || d[1] !== -1 || d[2] !== 1) throw new Error("bad z-score");
 * ```
 */
export function zscoreInMask(data: Float32Array, mask: Uint8Array): { mean: number; std: number } {
  let n = 0, sum = 0;
  for (let i = 0; i < data.length; i++) {
    if (mask[i]) {
      n++;
      sum += data[i] as number;
    }
  }
  if (n === 0) {
    data.fill(0);
    return { mean: 0, std: 1 };
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < data.length; i++) if (mask[i]) ss += ((data[i] as number) - mean) ** 2;
  const raw = Math.sqrt(ss / n);
  const std = raw < 1e-8 ? 1 : raw;
  for (let i = 0; i < data.length; i++) data[i] = mask[i] ? ((data[i] as number) - mean) / std : 0;
  return { mean, std };
}
