/**
 * medmim's U-Net parameters as a PyTorch U-Net of the same layout names and
 * stores them: the `UNet` class of `tasks/bench_torch_unet.py` (`nn.Module`
 * attributes `down`, `bottom`, `tconv`, `up`, `head`; each block an
 * `nn.Sequential(Conv2d, ReLU, Conv2d, ReLU)`, so its convolutions are `.0` and
 * `.2`; `tconv` and `up` run from the deepest level up, so PyTorch's index j
 * is medmim's level `3 - j`). Tensors are NCHW there:
 *
 * | medmim | shape (medmim, NHWC) | PyTorch | shape (PyTorch) |
 * |---|---|---|---|
 * | `down{k}.conv0.w` / `.b` | `[3, 3, in, out]` / `[out]` | `down.{k}.0.weight` / `.bias` | `[out, in, 3, 3]` / `[out]` |
 * | `down{k}.conv1.*` | | `down.{k}.2.*` | |
 * | `bottom.conv0.*`, `bottom.conv1.*` | | `bottom.0.*`, `bottom.2.*` | |
 * | `up{k}.tconv.w` / `.b` | `[2, 2, out, in]` / `[out]` | `tconv.{3-k}.weight` / `.bias` | `[in, out, 2, 2]` (`ConvTranspose2d`) |
 * | `up{k}.conv0.*`, `up{k}.conv1.*` | | `up.{3-k}.0.*`, `up.{3-k}.2.*` | |
 * | `head.w` / `.b` | `[1, 1, in, out]` | `head.weight` / `.bias` | `[out, in, 1, 1]` |
 *
 * Both kernel kinds move axes (0, 1, 2, 3) -> (3, 2, 0, 1). Neither framework
 * flips a kernel: both convolutions are cross-correlations, and both transposed
 * convolutions are their input gradients.
 *
 * @module
 */

import { UNET_DEPTH } from "../model/unet.ts";

/** The layout statement written into exported files. */
export const TORCH_LAYOUT =
  "PyTorch NCHW: Conv2d.weight [out, in, kh, kw], ConvTranspose2d.weight [in, out, kh, kw], " +
  "bias [out]; module names of the UNet class in medmim's tasks/bench_torch_unet.py " +
  "(down.K.0/down.K.2 = level K's two 3x3 convs, bottom.0/bottom.2, tconv.J and up.J = " +
  `level ${UNET_DEPTH - 1}-J's 2x2 stride-2 transposed conv and two 3x3 convs, head = 1x1); ` +
  "ReLU after every conv and transposed conv except the head; skip concatenation [skip, up] " +
  "on channels; 2x2 max pooling; the head outputs logits (no activation)";

/**
 * The PyTorch name of a medmim parameter.
 *
 * @param name A medmim name, e.g. `up3.conv1.w`.
 * @returns E.g. `up.0.2.weight`.
 * @throws {RangeError} For a name outside the U-Net (e.g. `losshead.w`).
 * @example
 * ```ts
 * import { torchName } from "./torch_layout.ts";
 * if (torchName("up3.tconv.w") !== "tconv.0.weight") throw new Error();
 * ```
 */
export function torchName(name: string): string {
  const m = /^(down|up)(\d)\.(conv0|conv1|tconv)\.([wb])$/.exec(name) ??
    /^(bottom)()\.(conv0|conv1)\.([wb])$/.exec(name) ?? /^(head)()()\.([wb])$/.exec(name);
  if (!m) throw new RangeError(`Cannot name "${name}" in PyTorch: not a U-Net parameter`);
  const [, part, levelText, conv, wb] = m as unknown as [string, string, string, string, string];
  const suffix = wb === "w" ? "weight" : "bias";
  const index = conv === "conv0" ? ".0" : conv === "conv1" ? ".2" : "";
  if (part === "head") return `head.${suffix}`;
  if (part === "bottom") return `bottom${index}.${suffix}`;
  const level = Number(levelText);
  if (part === "down") return `down.${level}${index}.${suffix}`;
  const j = UNET_DEPTH - 1 - level;
  return conv === "tconv" ? `tconv.${j}.${suffix}` : `up.${j}${index}.${suffix}`;
}

/**
 * A medmim parameter's values in PyTorch's layout: 4-D kernels get their axes
 * moved (0, 1, 2, 3) -> (3, 2, 0, 1); biases are unchanged.
 *
 * @param shape medmim's shape.
 * @param data medmim's values, row-major.
 * @returns PyTorch's shape and values.
 * @throws {RangeError} If the shape is neither 1-D nor 4-D or does not match the data.
 */
export function toTorchLayout(
  shape: readonly number[],
  data: Float32Array,
): { shape: number[]; data: Float32Array } {
  if (shape.reduce((a, b) => a * b, 1) !== data.length) {
    throw new RangeError(`Cannot convert a tensor: shape [${shape}] holds ${data.length} values`);
  }
  if (shape.length === 1) return { shape: [...shape], data: data.slice() };
  if (shape.length !== 4) {
    throw new RangeError(`Cannot convert a tensor of shape [${shape}]: not a kernel or a bias`);
  }
  const [kh, kw, a, b] = shape as [number, number, number, number];
  const out = new Float32Array(data.length);
  // medmim [kh, kw, a, b] -> PyTorch [b, a, kh, kw]
  for (let y = 0; y < kh; y++) {
    for (let x = 0; x < kw; x++) {
      for (let i = 0; i < a; i++) {
        for (let o = 0; o < b; o++) {
          out[((o * a + i) * kh + y) * kw + x] = data[((y * kw + x) * a + i) * b + o]!;
        }
      }
    }
  }
  return { shape: [b, a, kh, kw], data: out };
}
