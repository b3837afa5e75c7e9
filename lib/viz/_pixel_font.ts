/**
 * A 3 x 5 pixel font for short labels in figures (upper case, digits and a few
 * signs; lower case is drawn as upper case, anything else as a blank).
 *
 * @module
 */

/** Glyph rows, top to bottom, "#" = ink. */
const GLYPHS: Readonly<Record<string, readonly string[]>> = {
  A: [".#.", "#.#", "###", "#.#", "#.#"],
  B: ["##.", "#.#", "##.", "#.#", "##."],
  C: [".##", "#..", "#..", "#..", ".##"],
  D: ["##.", "#.#", "#.#", "#.#", "##."],
  E: ["###", "#..", "##.", "#..", "###"],
  F: ["###", "#..", "##.", "#..", "#.."],
  G: [".##", "#..", "#.#", "#.#", ".##"],
  H: ["#.#", "#.#", "###", "#.#", "#.#"],
  I: ["###", ".#.", ".#.", ".#.", "###"],
  J: ["..#", "..#", "..#", "#.#", ".#."],
  K: ["#.#", "#.#", "##.", "#.#", "#.#"],
  L: ["#..", "#..", "#..", "#..", "###"],
  M: ["#.#", "###", "###", "#.#", "#.#"],
  N: ["##.", "#.#", "#.#", "#.#", "#.#"],
  O: [".#.", "#.#", "#.#", "#.#", ".#."],
  P: ["##.", "#.#", "##.", "#..", "#.."],
  Q: [".#.", "#.#", "#.#", "##.", ".##"],
  R: ["##.", "#.#", "##.", "#.#", "#.#"],
  S: [".##", "#..", ".#.", "..#", "##."],
  T: ["###", ".#.", ".#.", ".#.", ".#."],
  U: ["#.#", "#.#", "#.#", "#.#", "###"],
  V: ["#.#", "#.#", "#.#", "#.#", ".#."],
  W: ["#.#", "#.#", "###", "###", "#.#"],
  X: ["#.#", "#.#", ".#.", "#.#", "#.#"],
  Y: ["#.#", "#.#", ".#.", ".#.", ".#."],
  Z: ["###", "..#", ".#.", "#..", "###"],
  "0": ["###", "#.#", "#.#", "#.#", "###"],
  "1": [".#.", "##.", ".#.", ".#.", "###"],
  "2": ["##.", "..#", ".#.", "#..", "###"],
  "3": ["##.", "..#", ".#.", "..#", "##."],
  "4": ["#.#", "#.#", "###", "..#", "..#"],
  "5": ["###", "#..", "##.", "..#", "##."],
  "6": [".##", "#..", "###", "#.#", "###"],
  "7": ["###", "..#", ".#.", ".#.", ".#."],
  "8": ["###", "#.#", "###", "#.#", "###"],
  "9": ["###", "#.#", "###", "..#", "##."],
  "-": ["...", "...", "###", "...", "..."],
  ".": ["...", "...", "...", "...", ".#."],
  ":": ["...", ".#.", "...", ".#.", "..."],
  "=": ["...", "###", "...", "###", "..."],
  "/": ["..#", "..#", ".#.", "#..", "#.."],
};

/** Glyph height in font pixels; a glyph is 3 wide plus 1 of spacing. */
export const FONT_HEIGHT = 5;

/**
 * @param text A label.
 * @param scale Font pixel side in image pixels.
 * @returns The width in image pixels of `text` drawn at `scale`.
 */
export function textWidth(text: string, scale: number): number {
  return text.length * 4 * scale;
}

/**
 * Draws `text` into an RGB image, top-left corner at (x, y); pixels outside
 * the image are skipped.
 *
 * @param target `data` `[height, width, 3]` bytes (modified in place) and `width`.
 * @param text The label.
 * @param at `x`, `y`, `scale` (font pixel side in image pixels), `color`.
 */
export function drawText(
  target: { readonly data: Uint8Array; readonly width: number },
  text: string,
  at: {
    readonly x: number;
    readonly y: number;
    readonly scale: number;
    readonly color: readonly [number, number, number];
  },
): void {
  const { data: rgb, width } = target;
  const height = rgb.length / (3 * width);
  const { x, y, scale, color } = at;
  [...text.toUpperCase()].forEach((ch, k) => {
    const glyph = GLYPHS[ch];
    if (glyph === undefined) return;
    for (let gy = 0; gy < FONT_HEIGHT; gy++) {
      for (let gx = 0; gx < 3; gx++) {
        if (glyph[gy]?.[gx] !== "#") continue;
        for (let sy = 0; sy < scale; sy++) {
          for (let sx = 0; sx < scale; sx++) {
            const px = x + (4 * k + gx) * scale + sx, py = y + gy * scale + sy;
            if (px >= 0 && px < width && py >= 0 && py < height) {
              rgb.set(color, 3 * (py * width + px));
            }
          }
        }
      }
    }
  });
}
