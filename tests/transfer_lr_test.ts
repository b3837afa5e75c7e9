import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { HEAD_DEPTH, transferLrScales, unetDepth } from "../lib/finetune/transfer_lr.ts";
import { createUNet } from "../lib/model/unet.ts";
import { adamWStep, createAdamWState } from "../lib/optim/adamw.ts";

await setupWasmBackend({ threads: 1 });

Deno.test("unetDepth() orders the U-Net's modules along the forward path", () => {
  const order = [
    "down0.conv0.w",
    "down1.conv1.b",
    "down2.conv0.norm.gamma",
    "down3.conv1.w",
    "bottom.conv0.w",
    "up3.tconv.w",
    "up2.conv0.b",
    "up1.conv1.w",
    "up0.tconv.b",
    "head.w",
  ];
  assert.deepEqual(order.map(unetDepth), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.equal(unetDepth("losshead.b"), HEAD_DEPTH);
  assert.throws(() => unetDepth("encoder.w"), /not a U-Net parameter/);
});

Deno.test("transferLrScales(): transferred x transferLrScale, times layerDecay per depth", () => {
  const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 1);
  const names = [...net.params.keys()];
  const scratch = transferLrScales(names, {
    init: "scratch",
    transferLrScale: 0.1,
    layerDecay: 0.5,
  });
  assert.ok([...scratch.values()].every((s) => s === 1));
  const enc = transferLrScales(names, { init: "encoder", transferLrScale: 0.1, layerDecay: 1 });
  assert.equal(enc.get("down0.conv0.w"), 0.1);
  assert.equal(enc.get("bottom.conv1.b"), 0.1);
  assert.equal(enc.get("up0.conv0.w"), 1); // fresh under encoder
  assert.equal(enc.get("head.w"), 1);
  const decay = transferLrScales(names, {
    init: "encoder_decoder",
    transferLrScale: 0.5,
    layerDecay: 0.8,
  });
  assert.equal(decay.get("head.b"), 1);
  assert.ok(Math.abs(decay.get("up0.conv1.w")! - 0.5 * 0.8) < 1e-12);
  assert.ok(Math.abs(decay.get("down0.conv0.w")! - 0.5 * 0.8 ** 9) < 1e-12);
  tf.dispose([...net.params.values()]);
  // UNETR: its encoder.* transfers; without a layer decay its names need no U-Net depth
  const unetr = transferLrScales(["encoder.block0.qkv.w", "unetr.head.w"], {
    init: "encoder",
    transferLrScale: 0.1,
    layerDecay: 1,
  });
  assert.deepEqual([...unetr.values()], [0.1, 1]);
  assert.throws(
    () =>
      transferLrScales(["encoder.block0.qkv.w"], {
        init: "encoder",
        transferLrScale: 1,
        layerDecay: 0.5,
      }),
    /not a U-Net parameter/,
  );
});

Deno.test("adamWStep() multiplies each parameter's step by its lr factor", async () => {
  const params = new Map([
    ["a.w", tf.variable(tf.tensor1d([1, 1]), true, "lrscale_a")],
    ["b.w", tf.variable(tf.tensor1d([1, 1]), true, "lrscale_b")],
    ["c.b", tf.variable(tf.tensor1d([1, 1]), true, "lrscale_c")],
  ]);
  const state = createAdamWState(params);
  const grads = {
    lrscale_a: tf.tensor1d([1, -1]),
    lrscale_b: tf.tensor1d([1, -1]),
    lrscale_c: tf.tensor1d([1, -1]),
  };
  const options = { beta1: 0.9, beta2: 0.999, weightDecay: 0 };
  adamWStep(params, grads, state, 0.1, options, new Map([["a.w", 0.25], ["b.w", 0]]));
  // first Adam step moves by lr * factor * sign(g) (up to epsilon)
  const a = await params.get("a.w")!.data(), b = await params.get("b.w")!.data();
  const c = await params.get("c.b")!.data();
  assert.ok(Math.abs(a[0]! - (1 - 0.025)) < 1e-6 && Math.abs(a[1]! - (1 + 0.025)) < 1e-6);
  assert.deepEqual([...b], [1, 1]);
  assert.ok(Math.abs(c[0]! - 0.9) < 1e-6, "a name not in the map gets factor 1");
  tf.dispose([
    ...params.values(),
    ...state.m.values(),
    ...state.v.values(),
    ...Object.values(grads),
  ]);
});
