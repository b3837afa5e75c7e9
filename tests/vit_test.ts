import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { tokenIdsOp } from "../lib/kernels/token_ids.ts";
import { tokenLossOp } from "../lib/loss/token_loss_op.ts";
import {
  createViTMae,
  disposeViTMae,
  maeDecoderInput,
  maeEncode,
  maePredictLoss,
  maeReconstruct,
  type ViTMaeOptions,
  vitMaeParamCount,
  vitMaeSpecs,
} from "../lib/model/vit_mae.ts";
import { vitEncoderSpecs } from "../lib/model/vit.ts";
import { countSpecs } from "../lib/model/param_spec.ts";
import { sincosPosEmbed2d } from "../lib/model/pos_embed.ts";
import { rankMaskCpu } from "../lib/kernels/rank_mask.ts";
import { randomScoresCpu } from "../lib/kernels/random_scores.ts";
import { makeRng } from "../lib/random.ts";

const PYTHON = "/usr/bin/python3";

const TINY: ViTMaeOptions = {
  imageSize: 32,
  patchSize: 8,
  inChannels: 1,
  width: 32,
  depth: 2,
  heads: 4,
  mlpRatio: 4,
  classToken: true,
  decoderWidth: 16,
  decoderDepth: 1,
  decoderHeads: 2,
  lossPredictor: true,
};

/** ViT-B/16 as MAE pretrains it (mae_vit_base_patch16_dec512d8b). */
const VIT_B16: ViTMaeOptions = {
  imageSize: 224,
  patchSize: 16,
  inChannels: 3,
  width: 768,
  depth: 12,
  heads: 12,
  mlpRatio: 4,
  classToken: true,
  decoderWidth: 512,
  decoderDepth: 8,
  decoderHeads: 16,
  lossPredictor: false,
};

/** Parameter counts of the PyTorch reference for ViT-B/16 with 3 and 1 channels (null without torch). */
async function torchCounts(
  o: ViTMaeOptions,
  variants: readonly ViTMaeOptions[],
): Promise<{ total: number; encoder: number }[] | null> {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
    .output().catch(() => undefined);
  if (!probe?.success) return null;
  const out = await new Deno.Command(PYTHON, {
    args: [
      new URL("../tasks/bench_torch_vit.py", import.meta.url).pathname,
      `--count=${variants.map((v) => `${v.inChannels}:${v.lossPredictor ? 1 : 0}`).join(",")}`,
      `--size=${o.imageSize}`,
      `--patch=${o.patchSize}`,
      `--width=${o.width}`,
      `--depth=${o.depth}`,
      `--heads=${o.heads}`,
      `--decoder=${o.decoderWidth}:${o.decoderDepth}:${o.decoderHeads}`,
    ],
  }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test("vitMaeParamCount() of ViT-B/16 equals the PyTorch reference's (MAE RGB encoder ~86M)", async () => {
  const cases = [VIT_B16, { ...VIT_B16, inChannels: 1, lossPredictor: true }];
  const refs = await torchCounts(VIT_B16, cases);
  if (!refs) {
    console.warn(`skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)`);
    return;
  }
  cases.forEach((o, i) => {
    const what = `C=${o.inChannels} lossPredictor=${o.lossPredictor}`;
    assert.equal(countSpecs(vitEncoderSpecs(o)), refs[i]!.encoder, `encoder ${what}`);
    assert.equal(vitMaeParamCount(o), refs[i]!.total, `total ${what}`);
  });
  // MAE's ViT-B/16 encoder without its fixed position embedding
  assert.equal(countSpecs(vitEncoderSpecs(VIT_B16)), 85_647_360);
});

Deno.test("createViTMae() creates exactly its specs' variables, with MAE's initialisation", () => {
  const net = createViTMae(TINY, 3);
  const specs = vitMaeSpecs(TINY);
  assert.deepEqual([...net.params.keys()], specs.map((s) => s.name));
  for (const s of specs) assert.deepEqual(net.params.get(s.name)!.shape, s.shape, s.name);
  assert.deepEqual([...net.params.get("encoder.norm.g")!.dataSync()], new Array(32).fill(1));
  const qkv = net.params.get("encoder.block0.attn.qkv.w")!.dataSync();
  const bound = Math.sqrt(6 / (32 + 96));
  assert.ok(qkv.every((v) => Math.abs(v) <= bound) && qkv.some((v) => Math.abs(v) > bound / 2));
  disposeViTMae(net);
});

Deno.test("sincosPosEmbed2d() encodes the column in the first half and the row in the second", () => {
  const dim = 8, e = sincosPosEmbed2d(dim, { gh: 3, gw: 4 }, true);
  assert.equal(e.length, (1 + 12) * dim);
  assert.deepEqual([...e.slice(0, dim)], new Array(dim).fill(0), "class token row");
  const token = (
    y: number,
    x: number,
  ) => [...e.slice((1 + y * 4 + x) * dim, (2 + y * 4 + x) * dim)];
  // frequencies 1 and 1/100 for D/4 = 2
  const expect = (y: number, x: number) => [
    Math.sin(x),
    Math.sin(x / 100),
    Math.cos(x),
    Math.cos(x / 100),
    Math.sin(y),
    Math.sin(y / 100),
    Math.cos(y),
    Math.cos(y / 100),
  ];
  for (const [y, x] of [[0, 0], [2, 3], [1, 2]] as const) {
    token(y, x).forEach((v, i) =>
      assert.ok(Math.abs(v - expect(y, x)[i]!) < 1e-6, `${y},${x}[${i}]`)
    );
  }
});

/** The kept tokens' pixels of a mask (patch 8 on 32 x 32: 4 x 4 patches). */
function changeRemovedPixels(images: Float32Array, mask: Float32Array, n: number): Float32Array {
  const out = images.slice();
  for (let i = 0; i < n * 32 * 32; i++) {
    const s = Math.floor(i / 1024), y = Math.floor((i % 1024) / 32), x = i % 32;
    const l = Math.floor(y / 8) * 4 + Math.floor(x / 8);
    if (mask[s * 16 + l] === 1) out[i] = (out[i] as number) + 10 * Math.sin(i);
  }
  return out;
}

Deno.test("maeEncode() never sees removed tokens: changing only removed pixels leaves the encoding unchanged", async () => {
  await tf.setBackend("cpu");
  const ctx = await createKernelContext("cpu");
  const net = createViTMae(TINY, 1);
  const n = 2, keep = 4;
  const rng = makeRng(2);
  const images = Float32Array.from({ length: n * 1024 }, () => rng.next());
  const mask = rankMaskCpu(randomScoresCpu(n * 16, 9), new Uint32Array(n).fill(16 - keep), 16).mask;
  const encode = (values: Float32Array) =>
    tf.tidy(() => {
      const m = tf.tensor2d(mask, [n, 16]);
      const x = tf.tensor4d(values, [n, 32, 32, 1]);
      return maeEncode(net, x, ctx, tokenIdsOp(ctx, m, keep)).dataSync();
    });
  const base = encode(images);
  assert.equal(base.length, n * (1 + keep) * 32);
  assert.deepEqual(encode(changeRemovedPixels(images, mask, n)), base, "removed pixels changed");
  // control: one pixel of a kept token changes the encoding
  const kept = mask.indexOf(0);
  const y = Math.floor(kept / 4) * 8, x = (kept % 4) * 8;
  const touched = images.slice();
  touched[y * 32 + x] = 5;
  assert.notDeepEqual(encode(touched), base, "kept pixel changed");
  disposeViTMae(net);
});

Deno.test("ViT-MAE forward: reconstruction [N, L, P*P*C] and predicted loss [N, L], masked and unmasked", async () => {
  await tf.setBackend("cpu");
  const ctx = await createKernelContext("cpu");
  const net = createViTMae(TINY, 1);
  tf.tidy(() => {
    const x = tf.randomUniform([2, 32, 32, 1], 0, 1, "float32", 1) as tf.Tensor4D;
    const mask = tf.tensor2d(
      rankMaskCpu(randomScoresCpu(32, 1), new Uint32Array(2).fill(12), 16).mask,
      [2, 16],
    );
    const ids = tokenIdsOp(ctx, mask, 4);
    const input = maeDecoderInput(net, maeEncode(net, x, ctx, ids), ctx, { ids, mask });
    assert.deepEqual(input.shape, [2, 17, 16]);
    assert.deepEqual(maeReconstruct(net, input).shape, [2, 16, 64]);
    assert.deepEqual(maePredictLoss(net, input).shape, [2, 16]);
    // the teacher's view: every token, no mask token
    const full = maeDecoderInput(net, maeEncode(net, x, ctx, null), ctx, null);
    assert.deepEqual(maePredictLoss(net, full).shape, [2, 16]);
  });
  disposeViTMae(net);
});

Deno.test("ViT-MAE's per-token loss equals the PyTorch reference's for the same weights, images and mask", async () => {
  const probe = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
    .output().catch(() => undefined);
  if (!probe?.success) {
    console.warn(`skipped: ${PYTHON} cannot import torch (Debian: apt-get install python3-torch)`);
    return;
  }
  await tf.setBackend("cpu");
  const ctx = await createKernelContext("cpu");
  // two channels, so that the patch vector order (row, column, channel) is checked too
  const o: ViTMaeOptions = { ...TINY, inChannels: 2, lossPredictor: false };
  const net = createViTMae(o, 5);
  const n = 2, keep = 4;
  const rng = makeRng(6);
  const images = Float32Array.from({ length: n * 32 * 32 * 2 }, () => rng.next() - 0.5);
  const mask = rankMaskCpu(randomScoresCpu(n * 16, 4), new Uint32Array(n).fill(16 - keep), 16).mask;
  const ours = tf.tidy(() => {
    const x = tf.tensor4d(images, [n, 32, 32, 2]);
    const m = tf.tensor2d(mask, [n, 16]);
    const ids = tokenIdsOp(ctx, m, keep);
    const input = maeDecoderInput(net, maeEncode(net, x, ctx, ids), ctx, { ids, mask: m });
    return tokenLossOp(ctx, maeReconstruct(net, input), x, {
      patchSize: 8,
      power: 2,
      normPix: false,
    }).dataSync();
  });
  const dir = await Deno.makeTempDir();
  try {
    const entries = [...net.params].map(([name, v]) => ({ name, shape: v.shape }));
    const values = new Float32Array(
      entries.reduce((s, e) => s + e.shape.reduce((a, b) => a * b, 1), 0),
    );
    let at = 0;
    for (const v of net.params.values()) {
      values.set(v.dataSync() as Float32Array, at);
      at += v.size;
    }
    await Deno.writeTextFile(`${dir}/weights.json`, JSON.stringify(entries));
    await Deno.writeFile(`${dir}/weights.f32`, new Uint8Array(values.buffer));
    await Deno.writeFile(`${dir}/images.f32`, new Uint8Array(images.buffer));
    await Deno.writeFile(`${dir}/mask.f32`, new Uint8Array(mask.buffer));
    const out = await new Deno.Command(PYTHON, {
      args: [
        new URL("../tasks/bench_torch_vit.py", import.meta.url).pathname,
        `--check=${dir}`,
        `--batch=${n}`,
        "--size=32",
        "--patch=8",
        `--width=${o.width}`,
        `--depth=${o.depth}`,
        `--heads=${o.heads}`,
        `--decoder=${o.decoderWidth}:${o.decoderDepth}:${o.decoderHeads}`,
        "--threads=1",
      ],
    }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    const ref = JSON.parse(new TextDecoder().decode(out.stdout)).perToken as number[];
    ours.forEach((v, i) =>
      assert.ok(
        Math.abs(v - ref[i]!) <= 1e-4 * Math.max(1, Math.abs(ref[i]!)),
        `token ${i}: ${v} vs ${ref[i]}`,
      )
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
    disposeViTMae(net);
  }
});
