/**
 * Images with known lesions, for checking and drawing what a masking strategy
 * removes (`tasks/mask_overlap.ts`, `tasks/draw_masks.ts`): the lesion images
 * of a BUSI folder (benign and malignant; every `normal` mask is empty) as
 * square gray images plus the lesion mask on the source grid, or the built-in
 * phantoms in the same form.
 *
 * Intensities, `intensity`:
 * - `pipeline` (default): exactly what pretraining on a BUSI slice cache sees,
 *   {@linkcode preprocessCase} with `configs/preprocess_busi.yaml`'s settings
 *   (clip to the [1, 99] percentiles and z-score over the nonzero region, zero
 *   border kept at 0, then bilinear resize to `size x size`).
 * - `unit`: the gray value / 255, bilinear resize only. Plain MPS does not care
 *   (k-means and its score are invariant to one affine map of all pixels), but
 *   MPS-AMS's softmax temperature does, and the z-score maps the zero border to
 *   the mean instead of the darkest value.
 *
 * @module
 */

import { listBusiCases } from "./layouts/busi.ts";
import type { CaseRef } from "./layouts/case_ref.ts";
import { generatePhantom } from "./phantoms.ts";
import { loadCase } from "./layouts/load_case.ts";
import { preprocessCase } from "./preprocess/preprocess_case.ts";
import { resizeBilinear, resizeNearest } from "./preprocess/resize_2d.ts";

/** How the gray values are scaled, see the module doc. */
export type LesionIntensity = "pipeline" | "unit";

/** One lesion image. */
export interface LesionImage {
  /** BUSI case id, e.g. `benign/benign (1)`, or `phantom_0000` for a phantom. */
  readonly caseId: string;
  /** `[size, size]` gray image. */
  readonly image: Float32Array;
  /** `[size, size]` lesion mask resized (nearest), 1 = lesion. */
  readonly lesion: Uint8Array;
  /** The lesion mask on the source grid, `[sourceHeight, sourceWidth]`. */
  readonly sourceLesion: Uint8Array;
  readonly sourceWidth: number;
  readonly sourceHeight: number;
}

/**
 * The case ids of the lesion images of a BUSI folder, in folder order.
 *
 * @param root The BUSI folder.
 * @returns Ids such as `benign/benign (1)`.
 */
export async function busiLesionCaseIds(root: string): Promise<string[]> {
  return (await busiLesionCases(root)).map((c) => c.caseId);
}

async function busiLesionCases(root: string): Promise<CaseRef[]> {
  return (await listBusiCases(root)).filter((c) =>
    c.labels.length > 0 && !c.caseId.startsWith("normal/")
  );
}

/** Options of {@linkcode loadBusiLesionImages}. */
export interface LesionImagesOptions {
  /** Output side in pixels. */
  readonly size: number;
  /** Intensity scaling (default `pipeline`). */
  readonly intensity?: LesionIntensity;
  /** Keep only these case ids (in this order); default all lesion images in folder order. */
  readonly caseIds?: readonly string[];
}

/**
 * Loads the benign and malignant images of a BUSI folder with their OR-ed
 * lesion masks.
 *
 * @param root The BUSI folder (`benign/`, `malignant/`, `normal/`).
 * @param options Size, intensity, selection.
 * @returns The images in folder order (or `caseIds` order).
 * @throws {RangeError} If a requested case id is not a lesion image of the folder.
 * @throws {InputFileError} If a file is unreadable (from `loadCase`).
 */
export async function loadBusiLesionImages(
  root: string,
  options: LesionImagesOptions,
): Promise<LesionImage[]> {
  const { size } = options;
  const all = await busiLesionCases(root);
  let refs = all;
  if (options.caseIds !== undefined) {
    refs = options.caseIds.map((id) => {
      const ref = all.find((c) => c.caseId === id);
      if (ref === undefined) {
        throw new RangeError(`Cannot load lesion image: "${id}" is not a lesion image in ${root}`);
      }
      return ref;
    });
  }
  const out: LesionImage[] = [];
  for (const ref of refs) {
    const source = await loadCase(ref);
    const [w, h] = source.dims;
    const sourceLesion = source.label ?? new Uint8Array(w * h);
    const resize = { w, h, outW: size, outH: size };
    const image = options.intensity === "unit"
      ? resizeBilinear(source.channels[0] as Float32Array, resize).map((v) => v / 255)
      : preprocessCase(source, {
        size,
        spacing: [1, 1, 1],
        mode: "pretrain",
        clipPercentiles: [1, 99],
        percentileRegion: "nonzero",
        imageInterpolation: "linear",
        intensityWindow: null,
      }).images;
    out.push({
      caseId: ref.caseId,
      image,
      lesion: resizeNearest(sourceLesion, resize),
      sourceLesion,
      sourceWidth: w,
      sourceHeight: h,
    });
  }
  return out;
}

/**
 * The built-in phantoms (`generatePhantom`) as lesion images: already z-scored
 * and square, so the source grid is the image grid.
 *
 * @param options `count` phantoms of `size` x `size` from stream `seed`.
 * @returns Images `phantom_0000`, `phantom_0001`, ...
 * @throws {RangeError} If `size` is below 16.
 * @example
 * ```ts
 * import { phantomLesionImages } from "./lesion_images.ts";
 * const [p] = phantomLesionImages({ count: 1, size: 32, seed: 0 });
 * if (p!.lesion.length !== 32 * 32 || p!.sourceWidth !== 32) throw new Error("shape");
 * ```
 */
export function phantomLesionImages(
  options: { readonly count: number; readonly size: number; readonly seed: number },
): LesionImage[] {
  const { count, size, seed } = options;
  return Array.from({ length: count }, (_, i) => {
    const { image, label } = generatePhantom(seed, i, size);
    return {
      caseId: `phantom_${String(i).padStart(4, "0")}`,
      image,
      lesion: label,
      sourceLesion: label,
      sourceWidth: size,
      sourceHeight: size,
    };
  });
}
