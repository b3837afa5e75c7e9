import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { loadCheckpoint, saveCheckpoint } from "../lib/io/checkpoint.ts";
import { ConfigError, WeightShapeError } from "../lib/errors.ts";
import { type FinetuneConfig, loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { tinyConfig } from "./_tiny_config.ts";
import { isTransferred, loadPretrainedWeights } from "../lib/model/load_pretrained.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { segmentationLoss } from "../lib/loss/seg_loss.ts";
import { createUNet, type UNet } from "../lib/model/unet.ts";
import { loadSplits } from "../lib/data/splits.ts";

await setupWasmBackend({ threads: 1 });

async function saveNet(net: UNet, dir: string): Promise<string> {
  const path = `${dir}/pre.ckpt`;
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, p] of net.params) tensors.set(`params/${name}`, p);
  await saveCheckpoint(path, tensors, { epoch: 1 });
  return path;
}

Deno.test("loadPretrainedWeights() refuses a mismatched shape, naming the layer and both shapes", async () => {
  const dir = await Deno.makeTempDir();
  const pre = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 4 }, 1);
  const path = await saveNet(pre, dir);
  const net = createUNet({ inChannels: 2, outChannels: 1, baseWidth: 4 }, 2);
  const before = await net.params.get("down1.conv0.w")!.data();
  const ckpt = await loadCheckpoint(path);
  assert.throws(
    () => loadPretrainedWeights(net, ckpt, { mode: "encoder", path }),
    (e: unknown) =>
      e instanceof WeightShapeError && e.layer === "down0.conv0.w" &&
      e.message.includes("[3, 3, 1, 4]") && e.message.includes("[3, 3, 2, 4]"),
  );
  // nothing was assigned before the refusal
  assert.deepEqual(await net.params.get("down1.conv0.w")!.data(), before);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadPretrainedWeights() encoder mode loads exactly the down*/bottom* tensors", async () => {
  const dir = await Deno.makeTempDir();
  const pre = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 4 }, 1);
  const path = await saveNet(pre, dir);
  const net = createUNet({ inChannels: 1, outChannels: 3, baseWidth: 4 }, 2);
  const fresh = new Map<string, Float32Array>();
  for (const [name, p] of net.params) fresh.set(name, (await p.data()) as Float32Array);
  const report = loadPretrainedWeights(net, await loadCheckpoint(path), { mode: "encoder", path });
  const encoder = [...net.params.keys()].filter((n) =>
    n.startsWith("down") || n.startsWith("bottom.")
  );
  assert.deepEqual(report.loaded, encoder);
  assert.equal(encoder.length, 20); // 4 down + bottom, 2 convs each, w + b
  // every checkpoint tensor not loaded is listed: the decoder and the reconstruction head
  assert.deepEqual(
    report.skipped,
    [...pre.params.keys()].filter((n) => n.startsWith("up") || n.startsWith("head")),
  );
  assert.equal(report.skipped.length + report.loaded.length, pre.params.size);
  for (const [name, p] of net.params) {
    const expected = encoder.includes(name) ? await pre.params.get(name)!.data() : fresh.get(name);
    assert.deepEqual(await p.data(), expected, name);
  }
  assert.ok(
    isTransferred("up0.tconv.w", "encoder_decoder") && !isTransferred("up0.tconv.w", "encoder"),
  );
  assert.ok(!isTransferred("head.w", "encoder_decoder"));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("loadFinetuneConfig() names the key of a bad value or inconsistent pair", async () => {
  await assert.rejects(
    () => loadFinetuneConfig(undefined, ["data.labelFraction=0.2"]),
    (e: unknown) => e instanceof ConfigError && e.key === "data.labelFraction",
  );
  await assert.rejects(
    () => loadFinetuneConfig(undefined, ["model.numClasses=3"]),
    (e: unknown) => e instanceof ConfigError && e.key === "model.numClasses",
  );
  await assert.rejects(
    () => loadFinetuneConfig(undefined, ["model.init=encoder"]),
    (e: unknown) => e instanceof ConfigError && e.key === "model.checkpoint",
  );
  await assert.rejects(
    () => loadFinetuneConfig(undefined, ["train.bogus=1"]),
    (e: unknown) => e instanceof ConfigError && e.key === "train.bogus",
  );
  const c = await loadFinetuneConfig(undefined, ["loss.kind=dice_ce", "model.numClasses=3"]);
  assert.equal(c.model.numClasses, 3);
});

Deno.test("segmentationLoss() is finite and lower for the right answer (binary and multi-class)", () => {
  const labels = tf.tensor3d([0, 1, 2, 1], [1, 2, 2], "int32");
  const good = tf.tensor4d([9, -9, -9, -9, 9, -9, -9, -9, 9, -9, 9, -9], [1, 2, 2, 3]);
  const bad = tf.neg(good) as tf.Tensor4D;
  const opts = { kind: "dice_ce", diceWeight: 1 } as const;
  const [g, b] = [segmentationLoss(good, labels, opts), segmentationLoss(bad, labels, opts)];
  assert.ok(g.dataSync()[0]! < 0.01 && b.dataSync()[0]! > 1);
  const bin = segmentationLoss(tf.tensor4d([-9, 9, 9, 9], [1, 2, 2, 1]), labels, {
    kind: "dice_bce",
    diceWeight: 1,
  });
  assert.ok(bin.dataSync()[0]! < 0.01);
});

Deno.test("runFinetune() lowers the loss on a tiny run, writes the run files and resumes", async () => {
  const dir = await Deno.makeTempDir();
  const config = tinyConfig(dir);
  const result = await runFinetune(config, { progress: null, log: () => {} });
  const first = result.epochs[0]!.loss, last = result.epochs.at(-1)!.loss;
  assert.ok(last < first, `loss ${first} -> ${last} did not go down`);
  for (
    const f of [
      "config.json",
      "splits.json",
      "log.jsonl",
      "checkpoint_best.ckpt",
      "checkpoint_last.ckpt",
    ]
  ) {
    await Deno.stat(`${dir}/tiny/${f}`);
  }
  const resumed = await runFinetune(
    { ...config, train: { ...config.train, epochs: 7 } } as FinetuneConfig,
    {
      resume: true,
      progress: null,
      log: () => {},
    },
  );
  assert.deepEqual(resumed.epochs.map((e) => e.epoch), [6]);
  const lines = (await Deno.readTextFile(`${dir}/tiny/log.jsonl`)).trim().split("\n");
  assert.equal(lines.length, 7);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runFinetune() trains and validates on the splits it is given (every slice with dropLast false), and saves them", async () => {
  const dir = await Deno.makeTempDir();
  // 3 labelled slices in batches of 2, the last partial batch kept: 2 steps an epoch
  const config = tinyConfig(dir, {
    train: { epochs: 1, valEvery: 1, batchSize: 2, dropLast: false },
    model: { norm: "group" },
  });
  const ids = Array.from({ length: 30 }, (_, i) => `phantom_${String(i).padStart(4, "0")}`);
  const splits = {
    seed: 99,
    ratios: [8, 1, 1] as const,
    train: ids.slice(0, 20),
    val: ids.slice(20, 27),
    test: ids.slice(27),
    labelFractions: { "100": ids.slice(0, 3) },
  };
  const lines: string[] = [];
  const result = await runFinetune(config, { progress: null, log: (l) => lines.push(l), splits });
  assert.ok(lines.some((l) => l.includes("3 training slices, 7 val slices")), lines.join("\n"));
  assert.equal(result.epochs[0]!.steps, 2);
  assert.deepEqual(await loadSplits(`${dir}/tiny/splits.json`), splits);
  await Deno.remove(dir, { recursive: true });
});
