import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initTf } from "../lib/backend/init_tf.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { openDataset } from "../lib/data/open_dataset.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { createUNet } from "../lib/model/unet.ts";
import { createAdamWState } from "../lib/optim/adamw.ts";
import { trainOneEpoch } from "../lib/pretrain/train_one_epoch.ts";

// Issue 6: no tensor may outlive its step. 1,000 steps of a tiny net (16 phantoms
// of 16 x 16, batch 2: 8 steps an epoch, 125 epochs), for plain random masking and
// for the method with the most moving parts (HPM: teacher, EMA, ranking loss).
for (const method of ["random", "hpm"]) {
  Deno.test(`trainOneEpoch() x 125 (${method}): tensor count and bytes stay flat over 1,000 steps`, async () => {
    await initTf("auto");
    const config = await loadConfig(undefined, [
      `mask.method=${method}`,
      "data.count=16",
      "data.size=16",
      "mask.patchSize=4",
      "model.baseWidth=1",
      "train.batchSize=2",
      "train.epochs=125",
      "train.lossEvery=3",
    ]);
    const dataset = await openDataset(config);
    const options = {
      inChannels: 1,
      outChannels: 1,
      baseWidth: 1,
      lossPredictor: method === "hpm",
    };
    const net = createUNet(options, 1);
    const state = {
      config,
      ctx: await createKernelContext(),
      net,
      optimizer: createAdamWState(net.params),
      teacher: method === "hpm" ? createUNet(options, 1) : null,
    };
    let steps = 0;
    let after: tf.MemoryInfo | undefined;
    for (let epoch = 0; epoch < config.train.epochs; epoch++) {
      await trainOneEpoch(state, dataset, epoch, () => steps++);
      // the first epoch creates the optimizer's moments and compiles kernels
      if (epoch === 0) after = tf.memory();
    }
    const end = tf.memory();
    assert.equal(steps, 1000);
    assert.equal(end.numTensors, after!.numTensors, "tensor count");
    assert.equal(end.numBytes, after!.numBytes, "bytes");
  });
}

Deno.test("createUNet() + createAdamWState(), disposed, leave no tensor behind", async () => {
  await initTf("auto");
  const before = tf.memory().numTensors;
  const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2, lossPredictor: true }, 3);
  const optimizer = createAdamWState(net.params);
  assert.equal(tf.memory().numTensors, before + 3 * net.params.size);
  tf.dispose([...net.params.values(), ...optimizer.m.values(), ...optimizer.v.values()]);
  assert.equal(tf.memory().numTensors, before);
});
