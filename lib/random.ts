/**
 * Seeded pseudo-random numbers. Everything random in medmim (phantoms, masks,
 * splits, weight initialisation, batch order) draws from a `Rng` made from the
 * run's seed, so the same seed gives the same bytes.
 *
 * @module
 */

/** A seeded generator of uniform floats in [0, 1). */
export interface Rng {
  /** Next uniform float in [0, 1). */
  next(): number;
}

/**
 * Creates a mulberry32 generator (32-bit state, period 2^32).
 *
 * @param seed Any integer; only its low 32 bits are used.
 * @returns A generator.
 * @example
 * ```ts
 * import { makeRng } from "./random.ts";
 * const a = makeRng(7), b = makeRng(7);
 * if (a.next() !== b.next()) throw new Error("not deterministic");
 * ```
 */
export function makeRng(seed: number): Rng {
  let state = seed >>> 0;
  return {
    next(): number {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    },
  };
}

/**
 * Derives an independent seed from a parent seed and a stream name, so that
 * e.g. the phantom generator and the masking draw from unrelated sequences.
 *
 * @param seed The parent seed.
 * @param stream A name for the stream, or a number such as an image index.
 * @returns A 32-bit unsigned seed.
 */
export function deriveSeed(seed: number, stream: string | number): number {
  let h = (seed >>> 0) ^ 0x9e3779b9;
  const text = String(stream);
  for (let i = 0; i < text.length; i++) {
    h = Math.imul(h ^ text.charCodeAt(i), 0x85ebca6b);
    h ^= h >>> 13;
  }
  h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * Draws a standard normal value (Box-Muller).
 *
 * @param rng The generator.
 * @returns A sample of N(0, 1).
 */
export function normal(rng: Rng): number {
  const u = 1 - rng.next(); // (0, 1]: log is finite
  const v = rng.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * Shuffles `items` in place (Fisher-Yates).
 *
 * @param items The array to shuffle.
 * @param rng The generator.
 * @returns `items`, shuffled.
 */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}
