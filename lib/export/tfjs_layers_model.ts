/**
 * medmim's U-Net as a tfjs LayersModel (Keras-style functional model), and its
 * files: `model.json` (topology + weights manifest) and one weights shard, the
 * format `tf.loadLayersModel("<url>/model.json")` reads in a browser or Node.
 *
 * Layer names are medmim's parameter prefixes with `_` for `.`
 * (`down0_conv0`, `up3_tconv`, `head`); the input is `[batch, height, width,
 * channels]` (NHWC, height and width any multiple of 16), the output the
 * head's logits, as `unetForward`.
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { UNET_DEPTH } from "../model/unet.ts";

/** Weights by medmim name (`down0.conv0.w`, ...), with medmim's shapes. */
export type UNetWeights = ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>;

/** The architecture read from a set of U-Net weights. */
export interface UNetArchitecture {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly baseWidth: number;
}

/**
 * Reads the architecture from the weights' shapes.
 *
 * @param weights medmim parameters.
 * @returns Input and output channels and the base width.
 * @throws {RangeError} If `down0.conv0.w` or `head.w` is missing.
 */
export function unetArchitecture(weights: UNetWeights): UNetArchitecture {
  const first = weights.get("down0.conv0.w")?.shape;
  const head = weights.get("head.w")?.shape;
  if (!first || first.length !== 4 || !head || head.length !== 4) {
    throw new RangeError("Cannot read the U-Net architecture: down0.conv0.w or head.w is missing");
  }
  return { inChannels: first[2]!, outChannels: head[3]!, baseWidth: first[3]! };
}

/**
 * Builds the U-Net as a tfjs LayersModel holding `weights`.
 *
 * @param weights medmim parameters (`losshead.*` and anything else outside the U-Net are ignored).
 * @returns The model (call `dispose()` when done).
 * @throws {RangeError} If a parameter is missing or has another shape.
 */
export function unetLayersModel(weights: UNetWeights): tf.LayersModel {
  const arch = unetArchitecture(weights);
  const w = (level: number) => arch.baseWidth * 2 ** level;
  const assign: [tf.layers.Layer, string][] = [];
  const conv = (name: string, filters: number, kernelSize: number, relu: boolean) => {
    const layer = tf.layers.conv2d({
      name: name.replaceAll(".", "_"),
      filters,
      kernelSize,
      padding: "same",
      activation: relu ? "relu" : "linear",
    });
    assign.push([layer, name]);
    return layer;
  };
  const input = tf.input({ shape: [null, null, arch.inChannels], name: "image" });
  let h = input;
  const block = (x: tf.SymbolicTensor, name: string, filters: number) =>
    conv(`${name}.conv1`, filters, 3, true).apply(
      conv(`${name}.conv0`, filters, 3, true).apply(x),
    ) as tf.SymbolicTensor;
  const skips: tf.SymbolicTensor[] = [];
  for (let level = 0; level < UNET_DEPTH; level++) {
    h = block(h, `down${level}`, w(level));
    skips.push(h);
    h = tf.layers.maxPooling2d({ name: `down${level}_pool`, poolSize: 2, strides: 2 })
      .apply(h) as tf.SymbolicTensor;
  }
  h = block(h, "bottom", w(UNET_DEPTH));
  for (let level = UNET_DEPTH - 1; level >= 0; level--) {
    const tconv = tf.layers.conv2dTranspose({
      name: `up${level}_tconv`,
      filters: w(level),
      kernelSize: 2,
      strides: 2,
      padding: "valid",
      activation: "relu",
    });
    assign.push([tconv, `up${level}.tconv`]);
    const up = tconv.apply(h) as tf.SymbolicTensor;
    const joined = tf.layers.concatenate({ name: `up${level}_concat`, axis: -1 })
      .apply([skips[level]!, up]) as tf.SymbolicTensor;
    h = block(joined, `up${level}`, w(level));
  }
  const output = conv("head", arch.outChannels, 1, false).apply(h) as tf.SymbolicTensor;
  const model = tf.model({ inputs: input, outputs: output, name: "medmim_unet" });
  for (const [layer, name] of assign) {
    const values = [`${name}.w`, `${name}.b`].map((key, i) => {
      const entry = weights.get(key);
      const expected = layer.getWeights()[i]!.shape;
      if (!entry || entry.shape.join() !== expected.join()) {
        throw new RangeError(
          `Cannot build the tfjs model: "${key}" is ${
            entry ? `[${entry.shape}]` : "missing"
          }, the layer needs [${expected}]`,
        );
      }
      return tf.tensor(entry.data, [...entry.shape]);
    });
    layer.setWeights(values);
    tf.dispose(values);
  }
  return model;
}

/**
 * Writes a LayersModel to `dir` as `model.json` + `weights.bin`.
 *
 * @param model The model.
 * @param dir An existing folder.
 * @returns The files written (names relative to `dir`).
 */
export async function saveLayersModel(model: tf.LayersModel, dir: string): Promise<string[]> {
  const shard = "weights.bin";
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const data = artifacts.weightData;
    const buffer = data === undefined
      ? new ArrayBuffer(0)
      : Array.isArray(data)
      ? tf.io.concatenateArrayBuffers(data)
      : data;
    await Deno.writeFile(`${dir}/${shard}`, new Uint8Array(buffer));
    const json = {
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: "medmim",
      modelTopology: artifacts.modelTopology,
      weightsManifest: [{ paths: [shard], weights: artifacts.weightSpecs ?? [] }],
    };
    await Deno.writeTextFile(`${dir}/model.json`, JSON.stringify(json) + "\n");
    return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
  }));
  return ["model.json", shard];
}
