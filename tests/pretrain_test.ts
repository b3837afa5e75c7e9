import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { initTf } from "../lib/backend/init_tf.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { createUNet, type UNet, unetForward } from "../lib/model/unet.ts";
import { generatePhantom } from "../lib/data/phantoms.ts";

const TINY = [
  "data.count=64",
  "data.size=64",
  "model.baseWidth=4",
  "mask.patchSize=8",
  "train.batchSize=8",
  "train.previewCount=2",
  "optim.warmupEpochs=1",
  "optim.lr=0.003",
];

Deno.test("runPretraining() on tiny phantoms: loss goes down, files written, checkpoint round trip, resume", async () => {
  await initTf("auto");
  const outDir = await Deno.makeTempDir();
  try {
    const config = await loadConfig(undefined, [
      ...TINY,
      `run.outDir=${outDir}`,
      "run.name=tiny",
      "train.epochs=10",
      "train.ckptEvery=5",
    ]);
    const result = await runPretraining(config, { progress: null });
    const losses = result.epochs.map((e) => e.loss);
    assert.equal(losses.length, 10);
    assert.ok(
      losses.at(-1)! < 0.85 * losses[0]!,
      `loss should fall: ${losses.map((l) => l.toFixed(3))}`,
    );
    for (
      const file of [
        "config.json",
        "log.jsonl",
        "checkpoint_last.ckpt",
        "checkpoint_epoch_0005.ckpt",
        "checkpoint_epoch_0010.ckpt",
        "preview.png",
      ]
    ) {
      await Deno.stat(`${result.runDir}/${file}`);
    }
    const log = (await Deno.readTextFile(`${result.runDir}/log.jsonl`)).trim().split("\n").map((
      l,
    ) => JSON.parse(l));
    assert.deepEqual(log.map((l) => l.epoch), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(
      JSON.parse(await Deno.readTextFile(`${result.runDir}/config.json`)),
      JSON.parse(JSON.stringify(config)),
    );

    // checkpoint round trip: a fresh net loaded from the file gives the same outputs
    const ckpt = await loadCheckpoint(`${result.runDir}/checkpoint_last.ckpt`);
    assert.deepEqual(ckpt.meta.config, JSON.parse(JSON.stringify(config)));
    assert.equal(ckpt.meta.epoch, 10);
    const fresh = createUNet((result.net as UNet).options, 999);
    for (const [name, v] of fresh.params) {
      v.assign(tf.tensor(ckpt.tensors.get(`params/${name}`)!.data, v.shape));
    }
    const x = tf.tensor4d(generatePhantom(3, 0, 64).image, [1, 64, 64, 1]);
    const net = result.net;
    if (net.arch !== "unet") throw new Error("the default network is the U-Net");
    const a = await unetForward(net, x).data();
    const b = await unetForward(fresh, x).data();
    assert.deepEqual(b, a);

    // resume: a run stopped after 5 epochs and resumed ends where the straight run ended
    const partial = await loadConfig(undefined, [
      ...TINY,
      `run.outDir=${outDir}`,
      "run.name=resumed",
      "train.epochs=10",
      "train.ckptEvery=5",
    ]);
    await Deno.mkdir(`${outDir}/resumed`);
    await Deno.copyFile(
      `${result.runDir}/checkpoint_epoch_0005.ckpt`,
      `${outDir}/resumed/checkpoint_last.ckpt`,
    );
    const resumed = await runPretraining(partial, { resume: true, progress: null });
    assert.deepEqual(resumed.epochs.map((e) => e.epoch), [5, 6, 7, 8, 9]);
    assert.ok(
      Math.abs(resumed.epochs.at(-1)!.loss - losses.at(-1)!) < 1e-4,
      `resumed ${resumed.epochs.at(-1)!.loss} vs ${losses.at(-1)}`,
    );

    // an existing run is never overwritten silently
    await assert.rejects(runPretraining(config, { progress: null }), Deno.errors.AlreadyExists);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
