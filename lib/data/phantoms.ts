/**
 * Synthetic 2D lesion phantoms: the embedded default data, so a fresh clone
 * trains with no download.
 *
 * Each image imitates a B-mode ultrasound: smooth tissue texture with a depth
 * gradient, multiplicative speckle (Rayleigh-distributed, as fully developed
 * speckle is), one or more irregular hypoechoic (dark) lesions whose borders
 * are star-shaped curves with a few random harmonics, and a few small bright
 * specular structures. The label marks the lesions. Images are z-scored.
 * Image `i` depends only on `(seed, i, size)`: same seed, same bytes.
 *
 * @module
 */

import { deriveSeed, makeRng, type Rng } from "../random.ts";
import type { Slice, SliceDataset } from "./dataset.ts";

/** Weight of the speckle in the multiplicative noise (0: none, 1: full Rayleigh). */
const SPECKLE = 0.5;

/** One phantom. */
export interface Phantom {
  /** `[size, size]` z-scored intensities. */
  readonly image: Float32Array;
  /** `[size, size]`, 1 inside a lesion. */
  readonly label: Uint8Array;
}

/**
 * Generates phantom `index` of the stream `seed`.
 *
 * @param seed The dataset seed.
 * @param index The image index.
 * @param size Side in pixels (at least 16).
 * @returns The image and its lesion mask.
 * @throws {RangeError} If `size` is below 16.
 * @example
 * ```ts
 * import { generatePhantom } from "./phantoms.ts";
 * const a = generatePhantom(1, 0, 32), b = generatePhantom(1, 0, 32);
 * if (a.image.join() !== b.image.join()) throw new Error("not deterministic");
 * ```
 */
export function generatePhantom(seed: number, index: number, size: number): Phantom {
  if (!Number.isInteger(size) || size < 16) {
    throw new RangeError(`Cannot generate phantom: size ${size} is not an integer >= 16`);
  }
  const rng = makeRng(deriveSeed(seed, `phantom:${index}`));
  const image = new Float32Array(size * size);
  const label = new Uint8Array(size * size);

  // 1) tissue: a few low-frequency waves and a depth (row) attenuation
  const waves = Array.from({ length: 4 }, () => ({
    fx: (rng.next() * 3 + 0.5) / size,
    fy: (rng.next() * 3 + 0.5) / size,
    phase: rng.next() * 2 * Math.PI,
    amp: 0.08 + rng.next() * 0.1,
  }));
  const gain = 0.6 + 0.3 * rng.next();
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      let t = gain * (1 - 0.35 * (y / size));
      for (const w of waves) t += w.amp * Math.sin(2 * Math.PI * (w.fx * x + w.fy * y) + w.phase);
      image[y * size + x] = t;
    }
  }

  // 2) lesions: star-shaped, dark, with a slightly brighter rim below (posterior enhancement)
  const lesions = 1 + (rng.next() < 0.35 ? 1 : 0);
  for (let k = 0; k < lesions; k++) drawLesion(image, label, size, rng);

  // 3) small bright specular structures
  const specks = 2 + Math.floor(rng.next() * 4);
  for (let k = 0; k < specks; k++) {
    const cx = rng.next() * size, cy = rng.next() * size;
    const rx = 0.6 + rng.next() * size * 0.03, ry = 0.4 + rng.next() * size * 0.015;
    for (let y = Math.max(0, Math.floor(cy - ry - 1)); y < Math.min(size, cy + ry + 1); y++) {
      for (let x = Math.max(0, Math.floor(cx - rx - 1)); x < Math.min(size, cx + rx + 1); x++) {
        if (((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1) image[y * size + x] = 1.6;
      }
    }
  }

  // 4) multiplicative Rayleigh speckle (unit mean), at half strength: enough
  //    texture to look like B-mode, little enough that structure dominates
  const rayleighMean = Math.sqrt(Math.PI / 2);
  for (let i = 0; i < image.length; i++) {
    const u = 1 - rng.next();
    const speckle = Math.sqrt(-2 * Math.log(u)) / rayleighMean;
    image[i] = (image[i] as number) * (1 - SPECKLE + SPECKLE * speckle);
  }
  zScore(image);
  return { image, label };
}

function drawLesion(image: Float32Array, label: Uint8Array, size: number, rng: Rng): void {
  const radius = size * (0.08 + rng.next() * 0.1);
  const cx = radius + rng.next() * (size - 2 * radius);
  const cy = radius + rng.next() * (size - 2 * radius);
  const harmonics = Array.from({ length: 3 }, (_, h) => ({
    order: h + 2,
    amp: (0.08 + rng.next() * 0.12) / (h + 1),
    phase: rng.next() * 2 * Math.PI,
  }));
  const darkness = 0.15 + rng.next() * 0.15;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = x + 0.5 - cx, dy = y + 0.5 - cy;
      const angle = Math.atan2(dy, dx);
      let r = radius;
      for (const h of harmonics) r *= 1 + h.amp * Math.sin(h.order * angle + h.phase);
      const d = Math.hypot(dx, dy);
      const i = y * size + x;
      if (d <= r) {
        image[i] = darkness * (image[i] as number);
        label[i] = 1;
      } else if (dy > 0 && Math.abs(dx) < r && d < 1.6 * r && label[i] === 0) {
        image[i] = (image[i] as number) * 1.15; // posterior acoustic enhancement
      }
    }
  }
}

function zScore(values: Float32Array): void {
  let sum = 0;
  for (const v of values) sum += v;
  const mean = sum / values.length;
  let sq = 0;
  for (const v of values) sq += (v - mean) ** 2;
  const std = Math.sqrt(sq / values.length) || 1;
  for (let i = 0; i < values.length; i++) values[i] = ((values[i] as number) - mean) / std;
}

/**
 * The phantoms as a {@linkcode SliceDataset} (one channel, every image its own case).
 *
 * @param options `seed`, `count` images of `size` x `size`.
 * @returns The dataset; images are generated once, on first access.
 */
export function phantomDataset(
  options: { readonly seed: number; readonly count: number; readonly size: number },
): SliceDataset {
  const cache = new Map<number, Slice>();
  return {
    size: options.size,
    channels: 1,
    length: options.count,
    get(index: number): Slice {
      if (!Number.isInteger(index) || index < 0 || index >= options.count) {
        throw new RangeError(`Cannot get phantom ${index}: the dataset has ${options.count}`);
      }
      let slice = cache.get(index);
      if (!slice) {
        const { image, label } = generatePhantom(options.seed, index, options.size);
        slice = {
          image,
          label,
          caseId: `phantom_${String(index).padStart(4, "0")}`,
          sliceIndex: 0,
        };
        cache.set(index, slice);
      }
      return slice;
    },
  };
}
