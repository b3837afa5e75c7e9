import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { saveCheckpoint } from "../lib/io/checkpoint.ts";
import { runExport } from "../lib/export/run_export.ts";
import { decodeSafetensors, encodeSafetensors } from "../lib/export/safetensors.ts";
import { torchName, toTorchLayout } from "../lib/export/torch_layout.ts";
import { createUNet, type UNet, unetForward } from "../lib/model/unet.ts";
import { makeRng, normal } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });

const PYTHON = "/usr/bin/python3";
const SHAPE = [2, 32, 32, 2] as const;

/** A U-Net with 2 inputs, 3 outputs and random (non-zero) biases, saved as a fine-tuning run. */
async function makeRun(dir: string): Promise<UNet> {
  const net = createUNet({ inChannels: 2, outChannels: 3, baseWidth: 4 }, 3);
  const rng = makeRng(11);
  for (const [name, p] of net.params) {
    if (name.endsWith(".b")) {
      p.assign(tf.tensor(Float32Array.from({ length: p.size }, () => 0.1 * normal(rng)), p.shape));
    }
  }
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, p] of net.params) tensors.set(`params/${name}`, p);
  tensors.set("adam_m/head.w", net.params.get("head.w")!); // not a parameter: not exported
  await saveCheckpoint(`${dir}/checkpoint_best.ckpt`, tensors, { kind: "finetune", epoch: 7 });
  return net;
}

function fixedInput(): Float32Array {
  const rng = makeRng(5);
  return Float32Array.from({ length: SHAPE.reduce((a, b) => a * b, 1) }, () => normal(rng));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

async function medmimOutput(net: UNet, x: Float32Array): Promise<Float32Array> {
  const y = tf.tidy(() => unetForward(net, tf.tensor4d(x, [...SHAPE])));
  const data = (await y.data()) as Float32Array;
  y.dispose();
  return data;
}

async function hasTorch(): Promise<boolean> {
  try {
    const probe = await new Deno.Command(PYTHON, { args: ["-c", "import numpy, torch"] }).output();
    return probe.success;
  } catch {
    return false;
  }
}

Deno.test("safetensors: the standard header, 8-byte aligned data, a round trip", () => {
  const bytes = encodeSafetensors([
    { name: "a", shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
    { name: "b", shape: [1], data: Float32Array.of(-0.5) },
  ], { format: "pt" });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.equal(n % 8, 0);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
  assert.deepEqual(header.a, { dtype: "F32", shape: [2, 3], data_offsets: [0, 24] });
  assert.deepEqual(header.b, { dtype: "F32", shape: [1], data_offsets: [24, 28] });
  assert.deepEqual(header.__metadata__, { format: "pt" });
  assert.equal(bytes.length, 8 + n + 28);
  const back = decodeSafetensors(bytes);
  assert.deepEqual([...back.tensors.get("a")!.data], [1, 2, 3, 4, 5, 6]);
  assert.equal(back.tensors.get("b")!.data[0], -0.5);
  // a hole in the data is refused
  const holed = new Uint8Array(bytes.length + 4);
  holed.set(bytes);
  assert.throws(() => decodeSafetensors(holed, "x.safetensors"), /x.safetensors.*4 bytes/);
});

Deno.test("torch layout: names of bench_torch_unet.py's UNet, kernels moved to [out, in, kh, kw]", () => {
  assert.equal(torchName("down2.conv1.b"), "down.2.2.bias");
  assert.equal(torchName("bottom.conv0.w"), "bottom.0.weight");
  assert.equal(torchName("up0.tconv.w"), "tconv.3.weight");
  assert.equal(torchName("up3.conv0.w"), "up.0.0.weight");
  assert.equal(torchName("head.b"), "head.bias");
  assert.throws(() => torchName("losshead.w"), RangeError);
  // [kh=1, kw=2, in=2, out=3]: value = 100 y + 10 x ... encodes the source index
  const data = Float32Array.from({ length: 12 }, (_, i) => i);
  const t = toTorchLayout([1, 2, 2, 3], data);
  assert.deepEqual(t.shape, [3, 2, 1, 2]);
  // torch [o, i, y, x] = medmim [y, x, i, o] = ((y * 2 + x) * 2 + i) * 3 + o
  for (let o = 0; o < 3; o++) {
    for (let i = 0; i < 2; i++) {
      for (let x = 0; x < 2; x++) assert.equal(t.data[(o * 2 + i) * 2 + x], (x * 2 + i) * 3 + o);
    }
  }
});

Deno.test("export: model.safetensors loads into the PyTorch U-Net and gives medmim's output", async (t) => {
  if (!(await hasTorch())) {
    t.step("skipped: /usr/bin/python3 with numpy and torch is not available", () => {});
    console.log("skipped: /usr/bin/python3 with numpy and torch is not available");
    return;
  }
  const dir = await Deno.makeTempDir();
  const net = await makeRun(dir);
  const result = await runExport(dir);
  assert.equal(result.checkpoint, `${dir}/checkpoint_best.ckpt`);
  assert.deepEqual(result.architecture, { inChannels: 2, outChannels: 3, baseWidth: 4 });
  assert.equal(result.tensors, net.params.size);
  const x = fixedInput();
  await Deno.writeFile(`${dir}/x.f32`, new Uint8Array(x.buffer));
  const script = new URL("./vectors/torch_forward_safetensors.py", import.meta.url).pathname;
  const run = await new Deno.Command(PYTHON, {
    args: [script, `${dir}/export/model.safetensors`, `${dir}/x.f32`, SHAPE.join(), `${dir}/y.f32`],
  }).output();
  assert.ok(run.success, new TextDecoder().decode(run.stderr));
  const info = JSON.parse(new TextDecoder().decode(run.stdout));
  assert.equal(info.tensors, net.params.size);
  assert.match(info.metadata.layout, /Conv2d.weight \[out, in, kh, kw\]/);
  const torchY = new Float32Array((await Deno.readFile(`${dir}/y.f32`)).buffer);
  const ours = await medmimOutput(net, x);
  const diff = maxAbsDiff(ours, torchY);
  console.log(`PyTorch vs medmim: max |difference| ${diff.toExponential(2)}`);
  assert.ok(diff < 1e-4, `max difference ${diff}`);
  tf.dispose([...net.params.values()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("export: the tfjs LayersModel loads over HTTP with tf.loadLayersModel and gives medmim's output", async () => {
  const dir = await Deno.makeTempDir();
  const net = await makeRun(dir);
  await runExport(dir, { checkpoint: "best", out: `${dir}/out` });
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen: () => {} }, async (req) => {
    const path = `${dir}/out${new URL(req.url).pathname}`;
    try {
      return new Response(await Deno.readFile(path));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  try {
    const url = `http://127.0.0.1:${server.addr.port}/tfjs/model.json`;
    const model = await tf.loadLayersModel(url);
    const x = fixedInput();
    const y = model.predict(tf.tensor4d(x, [...SHAPE])) as tf.Tensor;
    assert.deepEqual(y.shape, [2, 32, 32, 3]);
    const diff = maxAbsDiff(await medmimOutput(net, x), (await y.data()) as Float32Array);
    console.log(`tfjs LayersModel vs medmim: max |difference| ${diff.toExponential(2)}`);
    assert.ok(diff < 1e-4, `max difference ${diff}`);
    tf.dispose(y);
    model.dispose();
  } finally {
    await server.shutdown();
  }
  tf.dispose([...net.params.values()]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("export: a GroupNorm U-Net (model.norm group) is refused in one line naming a norm tensor", async () => {
  const dir = await Deno.makeTempDir();
  const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2, norm: "group" }, 1);
  const tensors = new Map<string, tf.Tensor>();
  for (const [name, p] of net.params) tensors.set(`params/${name}`, p);
  await saveCheckpoint(`${dir}/checkpoint_best.ckpt`, tensors, { kind: "finetune", epoch: 1 });
  await assert.rejects(
    () => runExport(dir),
    (e: unknown) =>
      e instanceof RangeError && /GroupNorm \("down0\.conv0\.norm\.gamma"/.test(e.message),
  );
  tf.dispose([...net.params.values()]);
  await Deno.remove(dir, { recursive: true });
});
