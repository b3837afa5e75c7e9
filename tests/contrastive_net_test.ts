import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { assertClose, assertNormClose } from "./_assert.ts";
import { assertGradMatchesFiniteDifference } from "./_grad_check.ts";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { createUNet } from "../lib/model/unet.ts";
import {
  type ContrastiveNetOptions,
  createContrastiveNet,
  createTargetNet,
  embedImages,
  predictProjection,
  projectImages,
  targetParamNames,
} from "../lib/model/contrastive_net.ts";
import { addMlpHead, mlpHead } from "../lib/model/mlp_head.ts";
import { normalizePrototypes, PROTOTYPES, prototypeScores } from "../lib/model/prototypes.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });
await tf.setBackend("cpu");

const OPTIONS: ContrastiveNetOptions = {
  method: "simclr",
  inChannels: 1,
  baseWidth: 2,
  hidden: 8,
  projection: 4,
  prototypes: 5,
};

function images(n: number, size: number, seed = 1): tf.Tensor4D {
  const rng = makeRng(seed);
  return tf.tensor4d(Float32Array.from({ length: n * size * size }, () => rng.next() - 0.5), [
    n,
    size,
    size,
    1,
  ]);
}

Deno.test("createContrastiveNet(): the MIM U-Net's encoder (same seed, same weights) and the method's heads", () => {
  const full = createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 7);
  const heads: Record<string, string[]> = {
    simclr: ["projector"],
    byol: ["projector", "predictor"],
    swav: ["projector", "prototypes"],
  };
  for (const method of ["simclr", "byol", "swav"] as const) {
    const net = createContrastiveNet({ ...OPTIONS, method }, 7);
    const encoder = [...net.params.keys()].filter((k) => /^(down|bottom)/.test(k));
    assert.deepEqual(encoder, [...full.params.keys()].filter((k) => /^(down|bottom)/.test(k)));
    for (const name of encoder) {
      assert.deepEqual(net.params.get(name)!.dataSync(), full.params.get(name)!.dataSync(), name);
    }
    const rest = new Set(
      [...net.params.keys()].filter((k) => !encoder.includes(k)).map((k) => k.split(".")[0]),
    );
    assert.deepEqual([...rest], heads[method], method);
  }
  const net = createContrastiveNet({ ...OPTIONS, method: "byol" }, 7);
  const x = images(3, 32);
  assert.deepEqual(embedImages(net, x).shape, [3, 32]); // 16 * baseWidth
  const z = projectImages(net, x);
  assert.deepEqual(z.shape, [3, 4]);
  assert.deepEqual(predictProjection(net, z).shape, [3, 4]);
  assert.throws(
    () => projectImages(createContrastiveNet(OPTIONS, 7), images(1, 24)),
    /not a multiple of 16/,
  );
});

Deno.test("createTargetNet(): a non-trainable copy of the encoder and projector", () => {
  const online = createContrastiveNet({ ...OPTIONS, method: "byol" }, 3);
  const target = createTargetNet(online);
  assert.deepEqual([...target.params.keys()], targetParamNames(online));
  assert.ok(![...target.params.keys()].some((k) => k.startsWith("predictor.")));
  for (const [name, v] of target.params) {
    assert.equal(v.trainable, false, name);
    assert.deepEqual(v.dataSync(), online.params.get(name)!.dataSync(), name);
  }
  // a copy, not a view: moving the online network leaves the target where it was
  const first = online.params.get("down0.conv0.w")!;
  first.assign(tf.add(first, 1));
  assert.notDeepEqual(first.dataSync(), target.params.get("down0.conv0.w")!.dataSync());
});

Deno.test("mlpHead(): Linear-BatchNorm-ReLU-Linear with batch statistics; finite-difference gradient", () => {
  const params = new Map<string, tf.Variable>();
  addMlpHead(params, "h", { inputs: 3, hidden: 4, outputs: 2 }, 5);
  const x = tf.tensor2d([[0.1, -0.4, 0.9], [0.5, 0.2, -0.3], [-0.7, 0.8, 0.05], [0.3, 0.3, 0.3]]);
  // reference with plain arrays
  const w0 = params.get("h.fc0.w")!.arraySync() as number[][];
  const w1 = params.get("h.fc1.w")!.arraySync() as number[][];
  const h = x.arraySync().map((r) =>
    [0, 1, 2, 3].map((j) => r.reduce((s, v, i) => s + v * w0[i]![j]!, 0))
  );
  const mean = [0, 1, 2, 3].map((j) => h.reduce((s, r) => s + r[j]!, 0) / 4);
  const variance = [0, 1, 2, 3].map((j) => h.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / 4);
  const a = h.map((r) =>
    r.map((v, j) => Math.max(0, (v - mean[j]!) / Math.sqrt(variance[j]! + 1e-5)))
  );
  const expected = a.map((r) => [0, 1].map((k) => r.reduce((s, v, j) => s + v * w1[j]![k]!, 0)));
  assertClose(mlpHead(params, "h", x).dataSync(), expected.flat(), 1e-4);
  assertGradMatchesFiniteDifference((v) => tf.sum(tf.square(mlpHead(params, "h", v))), x, {
    what: "d/dx",
  });
  assert.throws(() => addMlpHead(params, "h", { inputs: 3, hidden: 4, outputs: 2 }, 5), /already/);
  assert.throws(() => mlpHead(params, "g", x), /"g.fc0.w" is missing/);
});

Deno.test("prototypes: unit columns after normalizePrototypes(), scores are cosines", () => {
  const net = createContrastiveNet({ ...OPTIONS, method: "swav" }, 4);
  const c = net.params.get(PROTOTYPES)!;
  assert.deepEqual(c.shape, [4, 5]);
  c.assign(tf.mul(c, tf.tensor1d([1, 2, 3, 4, 5])));
  normalizePrototypes(net.params);
  assertClose(tf.norm(c, 2, 0).dataSync(), [1, 1, 1, 1, 1], 1e-6, "column norms");
  const z = tf.tensor2d([[1, 2, 3, 4], [-4, 0, 1, 0]]);
  const scores = prototypeScores(net.params, z).arraySync();
  const columns = tf.transpose(c).arraySync() as number[][];
  z.arraySync().forEach((row, n) => {
    const norm = Math.hypot(...row);
    columns.forEach((col, k) => {
      const cos = row.reduce((s, v, i) => s + v * col[i]!, 0) / norm;
      assertClose([scores[n]![k]!], [cos], 1e-5, `score ${n},${k}`);
    });
  });
});

Deno.test("the encoder + projector gradient on tfjs's wasm backend equals cpu's", async () => {
  const grads: Float32Array[][] = [];
  for (const backend of ["cpu", "wasm"]) {
    await tf.setBackend(backend);
    const net = createContrastiveNet({ ...OPTIONS, method: "swav" }, 9);
    const x = images(4, 32, 2);
    const vars = [...net.params.values()];
    const { grads: g } = tf.variableGrads(
      () => tf.sum(tf.square(prototypeScores(net.params, projectImages(net, x)))) as tf.Scalar,
      vars,
    );
    grads.push(vars.map((v) => g[v.name]!.dataSync() as Float32Array));
    tf.dispose([x, ...Object.values(g), ...vars]);
  }
  grads[0]!.forEach((g, i) => assertNormClose(grads[1]![i]!, g, 1e-4, `parameter ${i}`));
  await tf.setBackend("cpu");
});
