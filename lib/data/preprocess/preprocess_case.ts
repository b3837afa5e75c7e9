/**
 * AMLP sec. 4.3 preprocessing of one case, start to end:
 *
 * 3D volumes: 1) resample to `spacing` (trilinear images, nearest labels),
 * 2) clip each channel to its [1, 99] percentiles over the nonzero region,
 * 3) z-score over the nonzero region (background stays 0), 4) cut 2D slices
 * along z, 5) centre crop/pad each to `size x size`, 6) keep slices by `mode`.
 *
 * 2D images: steps 2) and 3), then resize to `size x size` (bilinear image,
 * nearest mask), then 6).
 *
 * Slice pixel `(row r, column c)` of slice `k` is resampled voxel
 * `(x = c + ox, y = r + oy, z = k)`: rows run along y, columns along x.
 *
 * Note: AMLP's text says all volumes are resampled "using nearest-neighbour
 * interpolation"; medmim uses trilinear for images by default (the usual
 * practice, fewer staircase edges) and `imageInterpolation: "nearest"`
 * reproduces the paper. An `intensityWindow` (CT in HU) clamps the raw values
 * before step 1.
 *
 * @module
 */

import type { SourceCase } from "../layouts/case_ref.ts";
import { centerCropPad, centerOffset } from "./crop_pad.ts";
import { clipToPercentiles } from "./percentile_clip.ts";
import { type Interpolation, resampleVolume } from "./resample.ts";
import { resizeBilinear, resizeNearest } from "./resize_2d.ts";
import { keepSlice, type SliceMode } from "./select_slices.ts";
import { nonzeroMask, zscoreInMask } from "./zscore.ts";

/** The settings that change the output (hashed to detect stale caches). */
export interface PreprocessSettings {
  /** Output slice side `d` in pixels (AMLP: 144 CT/PET, 160 MRI). */
  readonly size: number;
  /** Target voxel spacing in mm, x y z (AMLP: 1 1 1). */
  readonly spacing: readonly [number, number, number];
  /** Which slices to keep. */
  readonly mode: SliceMode;
  /** Clip percentiles (AMLP: [1, 99]). */
  readonly clipPercentiles: readonly [number, number];
  /** Voxels the percentiles are taken over: the nonzero region or all. */
  readonly percentileRegion: "nonzero" | "all";
  /** Image resampling (labels are always nearest). */
  readonly imageInterpolation: Interpolation;
  /** Raw intensities are clamped to `[lo, hi]` first (a CT window in HU), or not at all. */
  readonly intensityWindow: readonly [number, number] | null;
}

/** How to put a 2D prediction back onto the source grid. */
export type CaseGrid =
  & {
    /** Source `[nx, ny, nz]` (2D: `[width, height, 1]`). */
    readonly sourceDims: readonly number[];
    /** Source spacing, mm. */
    readonly sourceSpacing: readonly number[];
    /** Source voxel-to-world affine. */
    readonly affine: readonly (readonly number[])[];
  }
  & (
    | {
      readonly kind: "volume";
      /** Grid after resampling, `[mx, my, mz]`. */
      readonly resampledDims: readonly number[];
      /** Source voxels per resampled voxel: resampled `(x, y, z)` is source `(x*sx, y*sy, z*sz)`. */
      readonly scale: readonly number[];
      /** `[ox, oy]`: slice pixel `(r, c)` is resampled `(x = c + ox, y = r + oy)`; negative means padding. */
      readonly offset: readonly number[];
    }
    | {
      readonly kind: "image";
      /** Slice pixel `(r, c)` samples source `((c + 0.5) * w / d - 0.5, (r + 0.5) * h / d - 0.5)`. */
      readonly resizedFrom: readonly number[];
    }
  );

/** One preprocessed case. */
export interface PreprocessedCase {
  readonly caseId: string;
  /** Kept slices, `[n, size, size, channels]` HWC. */
  readonly images: Float32Array;
  /** Their labels `[n, size, size]`, or `null` for an unlabeled case. */
  readonly labels: Uint8Array | null;
  /** z index (in the resampled grid) of each kept slice; 0 for 2D. */
  readonly sliceIndices: readonly number[];
  /**
   * Per kept slice: whether `mode` selects it (training slices). False only for
   * slices of a labelled volume kept for evaluation (every z of it is kept).
   */
  readonly selected: readonly boolean[];
  /** Slices before selection (resampled nz, or 1). */
  readonly totalSlices: number;
  readonly grid: CaseGrid;
  /** Per channel: clip bounds and z-score parameters. */
  readonly intensity: readonly { clip: [number, number]; mean: number; std: number }[];
}

/**
 * Preprocesses one case.
 *
 * @param source The case on its source grid (from `loadCase`).
 * @param settings See {@linkcode PreprocessSettings}.
 * @returns The kept slices and the grid information to map them back.
 * @throws {RangeError} If `size` is not a positive integer.
 */
export function preprocessCase(source: SourceCase, settings: PreprocessSettings): PreprocessedCase {
  const d = settings.size;
  if (!Number.isInteger(d) || d < 1) {
    throw new RangeError(`Cannot preprocess: size ${d} is not a positive integer`);
  }
  const [low, high] = settings.clipPercentiles;
  const normalise = (data: Float32Array) => {
    const region = nonzeroMask(data);
    const clip = clipToPercentiles(data, {
      low,
      high,
      mask: settings.percentileRegion === "nonzero" ? region : null,
    });
    const { mean, std } = zscoreInMask(data, region);
    return { clip, mean, std };
  };
  const C = source.channels.length;
  const raw = (ch: ArrayLike<number>) => {
    const out = Float32Array.from(ch);
    if (settings.intensityWindow) {
      const [lo, hi] = settings.intensityWindow;
      for (let i = 0; i < out.length; i++) out[i] = Math.min(hi, Math.max(lo, out[i] as number));
    }
    return out;
  };

  if (source.is2d) {
    const [w, h] = source.dims;
    const size = { w, h, outW: d, outH: d };
    const image = new Float32Array(d * d * C);
    const intensity = source.channels.map((ch, c) => {
      const work = raw(ch);
      const stats = normalise(work);
      const resized = resizeBilinear(work, size);
      for (let i = 0; i < d * d; i++) image[i * C + c] = resized[i] as number;
      return stats;
    });
    const label = source.label ? resizeNearest(source.label, size) : null;
    const keep = keepSlice(settings.mode, image, label);
    return {
      caseId: source.caseId,
      images: keep ? image : new Float32Array(0),
      labels: label === null ? null : keep ? label : new Uint8Array(0),
      sliceIndices: keep ? [0] : [],
      selected: keep ? [true] : [],
      totalSlices: 1,
      grid: {
        kind: "image",
        sourceDims: source.dims,
        sourceSpacing: source.spacing,
        affine: source.affine,
        resizedFrom: [w, h],
      },
      intensity,
    };
  }

  const grid = { dims: source.dims, spacing: source.spacing, target: settings.spacing };
  let dims: readonly number[] = source.dims;
  let scale: readonly number[] = [1, 1, 1];
  const intensity: { clip: [number, number]; mean: number; std: number }[] = [];
  const channels = source.channels.map((ch) => {
    const r = resampleVolume(raw(ch), {
      ...grid,
      interpolation: settings.imageInterpolation,
    });
    dims = r.dims;
    scale = r.scale;
    intensity.push(normalise(r.data));
    return r.data;
  });
  const label = source.label
    ? resampleVolume(source.label, { ...grid, interpolation: "nearest" }).data
    : null;
  const [mx = 1, my = 1, mz = 1] = dims;
  const plane = mx * my;
  const kept: Float32Array[] = [];
  const keptLabels: Uint8Array[] = [];
  const sliceIndices: number[] = [];
  const selected: boolean[] = [];
  for (let z = 0; z < mz; z++) {
    const image = new Float32Array(d * d * C);
    channels.forEach((ch, c) => {
      const cut = centerCropPad(ch.subarray(z * plane, (z + 1) * plane), { w: mx, h: my, d });
      for (let i = 0; i < d * d; i++) image[i * C + c] = cut.data[i] as number;
    });
    const lab = label
      ? centerCropPad(label.subarray(z * plane, (z + 1) * plane), { w: mx, h: my, d }).data
      : null;
    const select = keepSlice(settings.mode, image, lab);
    if (!select && !lab) continue; // unlabelled: nothing to evaluate
    kept.push(image);
    if (lab) keptLabels.push(lab);
    sliceIndices.push(z);
    selected.push(select);
  }
  return {
    caseId: source.caseId,
    images: concat(kept, new Float32Array(kept.length * d * d * C)),
    labels: label ? concat(keptLabels, new Uint8Array(keptLabels.length * d * d)) : null,
    sliceIndices,
    selected,
    totalSlices: mz,
    grid: {
      kind: "volume",
      sourceDims: source.dims,
      sourceSpacing: source.spacing,
      affine: source.affine,
      resampledDims: [mx, my, mz],
      scale,
      offset: [centerOffset(mx, d), centerOffset(my, d)],
    },
    intensity,
  };
}

function concat<T extends Float32Array | Uint8Array>(parts: readonly T[], out: T): T {
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
