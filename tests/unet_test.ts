import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { countParams, createUNet, unetForward, unetForwardFlops } from "../lib/model/unet.ts";

Deno.test("createUNet() builds AMLP's U-Net: 4 down, bottom, 4 up, head", async () => {
  await tf.setBackend("cpu");
  const net = createUNet({ inChannels: 1, outChannels: 2, baseWidth: 4 }, 1);
  const names = [...net.params.keys()];
  assert.equal(names.filter((n) => n.startsWith("down")).length, 4 * 2 * 2);
  assert.equal(names.filter((n) => n.startsWith("up")).length, 4 * (2 + 2 * 2));
  assert.deepEqual(net.params.get("up0.tconv.w")?.shape, [2, 2, 4, 8]);
  assert.deepEqual(net.params.get("bottom.conv1.w")?.shape, [3, 3, 64, 64]);
  // count by hand: sum over convs of k*k*cin*cout + cout
  const conv = (k: number, a: number, b: number) => k * k * a * b + b;
  const w = [4, 8, 16, 32, 64];
  let expected = conv(3, 1, 4) + conv(3, 4, 4);
  for (let l = 1; l < 5; l++) expected += conv(3, w[l - 1]!, w[l]!) + conv(3, w[l]!, w[l]!);
  for (let l = 0; l < 4; l++) {
    expected += conv(2, w[l + 1]!, w[l]!) + conv(3, 2 * w[l]!, w[l]!) + conv(3, w[l]!, w[l]!);
  }
  expected += conv(1, 4, 2);
  assert.equal(countParams(net), expected);
  const y = unetForward(net, tf.zeros([2, 32, 32, 1]) as tf.Tensor4D);
  assert.deepEqual(y.shape, [2, 32, 32, 2]);
  assert.throws(() => unetForward(net, tf.zeros([1, 24, 24, 1]) as tf.Tensor4D), RangeError);
  assert.throws(() => unetForward(net, tf.zeros([1, 32, 32, 3]) as tf.Tensor4D), RangeError);
  assert.ok(unetForwardFlops(net.options, 32, 32) > 0);
  tf.dispose([...net.params.values(), y]);
});

Deno.test("createUNet() is deterministic in its seed", async () => {
  await tf.setBackend("cpu");
  const a = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 5);
  const b = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 5);
  const c = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 6);
  const wa = await a.params.get("down1.conv0.w")!.data();
  assert.deepEqual(wa, await b.params.get("down1.conv0.w")!.data());
  assert.notDeepEqual(wa, await c.params.get("down1.conv0.w")!.data());
  tf.dispose([...a.params.values(), ...b.params.values(), ...c.params.values()]);
});
