import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { createUnetr, unetrForward, unetrLevels, unetrSpecs } from "../lib/model/unetr.ts";
import { vitEncoderSpecs, type ViTOptions } from "../lib/model/vit.ts";
import { vitMaeSpecs } from "../lib/model/vit_mae.ts";

const VIT: ViTOptions = {
  imageSize: 32,
  patchSize: 8,
  inChannels: 1,
  width: 32,
  depth: 3,
  heads: 2,
  mlpRatio: 2,
  classToken: true,
};

Deno.test("unetrLevels() takes blocks 3, 6, 9 of 12 for P = 16 (the paper's z3, z6, z9) and spreads shallower ViTs", () => {
  const o = (patchSize: number, depth: number) => ({
    vit: { ...VIT, imageSize: 64, patchSize, depth },
    outChannels: 1,
    featureSize: 4,
  });
  assert.deepEqual(unetrLevels(o(16, 12)), { levels: 4, skipBlocks: [2, 5, 8] });
  assert.deepEqual(unetrLevels(o(8, 4)), { levels: 3, skipBlocks: [0, 2] });
  assert.deepEqual(unetrLevels(o(2, 1)), { levels: 1, skipBlocks: [] });
  // a ViT shallower than the skip levels feeds one block to several
  assert.deepEqual(unetrLevels(o(8, 2)), { levels: 3, skipBlocks: [0, 0] });
  assert.throws(() => unetrLevels(o(12, 4)), /power of two/);
});

Deno.test("unetrSpecs() share the masked autoencoder's encoder names and shapes", () => {
  const unetr = unetrSpecs({ vit: VIT, outChannels: 2, featureSize: 4 });
  const encoder = vitEncoderSpecs(VIT);
  assert.deepEqual(unetr.slice(0, encoder.length), encoder);
  const mae = new Map(
    vitMaeSpecs({
      ...VIT,
      decoderWidth: 16,
      decoderDepth: 1,
      decoderHeads: 2,
      lossPredictor: true,
    }).map((s) => [s.name, s.shape]),
  );
  for (const s of encoder) assert.deepEqual(mae.get(s.name), s.shape, s.name);
  assert.ok(unetr.slice(encoder.length).every((s) => s.name.startsWith("unetr.")));
});

Deno.test("unetrForward() gives per-pixel logits and trains on the wasm backend", async () => {
  await setupWasmBackend({ threads: 1 });
  const net = createUnetr({ vit: VIT, outChannels: 2, featureSize: 4 }, 1);
  const x = tf.randomUniform([2, 32, 32, 1], 0, 1, "float32", 3) as tf.Tensor4D;
  // a target the network can fit: class 1 where the image is bright
  const y = tf.oneHot(tf.cast(tf.greater(tf.reshape(x, [2, 32, 32]), 0.5), "int32"), 2);
  assert.deepEqual(unetrForward(net, x).shape, [2, 32, 32, 2]);
  const variables = [...net.params.values()];
  const losses: number[] = [];
  const optimizer = tf.train.adam(3e-3);
  for (let i = 0; i < 8; i++) {
    const loss = optimizer.minimize(
      () => tf.losses.softmaxCrossEntropy(y, unetrForward(net, x)) as tf.Scalar,
      true,
      variables,
    )!;
    losses.push(loss.dataSync()[0]!);
    loss.dispose();
  }
  assert.ok(
    losses.at(-1)! < 0.8 * losses[0]!,
    `loss should fall: ${losses.map((l) => l.toFixed(3))}`,
  );
  // every parameter gets a gradient (the skips reach the decoder)
  const { grads } = tf.variableGrads(
    () => tf.sum(tf.square(unetrForward(net, x))) as tf.Scalar,
    variables,
  );
  for (const v of variables) {
    assert.ok(grads[v.name], `gradient of ${v.name}`);
    assert.ok(
      tf.any(tf.notEqual(grads[v.name]!, 0)).dataSync()[0],
      `nonzero gradient of ${v.name}`,
    );
  }
  optimizer.dispose();
});
