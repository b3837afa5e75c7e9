/**
 * MAE's fixed 2D sine-cosine position embedding (Vaswani et al. 2017 per
 * axis, MAE's `get_2d_sincos_pos_embed`): the first D/2 values of a token
 * encode its column, the last D/2 its row, each as D/4 sines then D/4
 * cosines at frequencies `1 / 10000^(i / (D/4))`, i = 0..D/4-1. An optional
 * class token gets a row of zeros in front.
 *
 * References: https://github.com/facebookresearch/mae (util/pos_embed.py)
 *
 * @module
 */

/**
 * The position embedding of a `gh x gw` token grid (row-major, as the patches).
 *
 * @param dim D, a multiple of 4.
 * @param grid Rows and columns of the token grid.
 * @param classToken Prepend a zero row for a class token.
 * @returns `[(1 if classToken) + gh * gw, D]`, row-major.
 * @throws {RangeError} If D is not a positive multiple of 4.
 * @example
 * ```ts
 * import { sincosPosEmbed2d } from "./pos_embed.ts";
 * const e = sincosPosEmbed2d(4, { gh: 1, gw: 2 }, false);
 * // token 1: column 1 -> sin(1), cos(1); row 0 -> sin(0), cos(0)
 * if (Math.abs(e[4]! - Math.sin(1)) > 1e-6 || e[7] !== 1) throw new Error("embedding");
 * ```
 */
export function sincosPosEmbed2d(
  dim: number,
  grid: { readonly gh: number; readonly gw: number },
  classToken: boolean,
): Float32Array {
  if (!Number.isInteger(dim) || dim < 4 || dim % 4 !== 0) {
    throw new RangeError(`Cannot build position embedding: width ${dim} is not a multiple of 4`);
  }
  const quarter = dim / 4;
  const offset = classToken ? 1 : 0;
  const out = new Float32Array((offset + grid.gh * grid.gw) * dim);
  for (let y = 0; y < grid.gh; y++) {
    for (let x = 0; x < grid.gw; x++) {
      const row = (offset + y * grid.gw + x) * dim;
      for (let i = 0; i < quarter; i++) {
        const omega = 1 / 10000 ** (i / quarter);
        out[row + i] = Math.sin(x * omega);
        out[row + quarter + i] = Math.cos(x * omega);
        out[row + 2 * quarter + i] = Math.sin(y * omega);
        out[row + 3 * quarter + i] = Math.cos(y * omega);
      }
    }
  }
  return out;
}
