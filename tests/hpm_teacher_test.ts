// Does HPM's EMA teacher know which patches are hard by mid-run? Its predicted
// per-patch loss on the unmasked images is compared (Spearman) with the student's
// true reconstruction loss of the removed patches of a random mask.
import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { initTf } from "../lib/backend/init_tf.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { createUNet, type UNet, unetFeatures, unetHead } from "../lib/model/unet.ts";
import { predictPatchLoss } from "../lib/model/loss_predictor.ts";
import { phantomDataset } from "../lib/data/phantoms.ts";
import { gatherBatch } from "../lib/data/dataset.ts";
import { patchLossOp } from "../lib/loss/patch_loss_op.ts";
import { applyMaskOp } from "../lib/kernels/apply_mask.ts";
import { randomScoresOp } from "../lib/kernels/random_scores.ts";
import { rankMaskOp } from "../lib/kernels/rank_mask.ts";

const WIDTH = 8, SIZE = 32, P = 4, EPOCHS = 16;

/** Spearman's rank correlation (no ties expected in float losses). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  const ranks = (v: readonly number[]) => {
    const r = new Array<number>(v.length);
    v.map((x, i) => [x, i] as const).sort((p, q) => p[0] - q[0]).forEach(([, i], k) => r[i] = k);
    return r;
  };
  const ra = ranks(a), rb = ranks(b), mean = (a.length - 1) / 2;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < a.length; i++) {
    num += (ra[i]! - mean) * (rb[i]! - mean);
    da += (ra[i]! - mean) ** 2;
    db += (rb[i]! - mean) ** 2;
  }
  return num / Math.sqrt(da * db);
}

async function midRunCorrelation(schedule: "runLength" | "fixed"): Promise<number> {
  const out = await Deno.makeTempDir();
  try {
    const config = await loadConfig(undefined, [
      "mask.method=hpm",
      "data.count=64",
      `data.size=${SIZE}`,
      `mask.patchSize=${P}`,
      `model.baseWidth=${WIDTH}`,
      `train.epochs=${EPOCHS}`,
      `train.ckptEvery=${EPOCHS / 2}`,
      "train.previewCount=0",
      `mask.hpm.emaSchedule=${schedule}`,
      `run.outDir=${out}`,
      "run.name=hpm",
    ]);
    await runPretraining(config, { progress: null });
    const half = String(EPOCHS / 2).padStart(4, "0");
    const ckpt = await loadCheckpoint(`${out}/hpm/checkpoint_epoch_${half}.ckpt`);
    const net = (prefix: string): UNet => {
      const u = createUNet(
        { inChannels: 1, outChannels: 1, baseWidth: WIDTH, lossPredictor: true },
        0,
      );
      for (const [name, v] of u.params) {
        v.assign(tf.tensor(ckpt.tensors.get(`${prefix}/${name}`)!.data, v.shape));
      }
      return u;
    };
    const student = net("params"), teacher = net("teacher");
    const count = 32, patches = (SIZE / P) ** 2;
    const { images } = gatherBatch(phantomDataset({ seed: 99, count, size: SIZE }), [
      ...Array(count).keys(),
    ]);
    const ctx = { mode: "cpu" } as const;
    const [predicted, truth, mask] = tf.tidy(() => {
      const x = tf.tensor4d(images, [count, SIZE, SIZE, 1]);
      const p = predictPatchLoss(teacher, unetFeatures(teacher, x), P);
      const scores = randomScoresOp(ctx, { batch: count, patches }, 5);
      const m = rankMaskOp(ctx, scores, new Uint32Array(count).fill(patches / 2)).mask;
      const rec = unetHead(
        student,
        "head",
        unetFeatures(student, applyMaskOp(ctx, x, m, { patchSize: P, fill: 0 })),
      );
      const loss = patchLossOp(ctx, rec, x, { patchSize: P, power: 2, normPix: false });
      return [p.dataSync(), loss.dataSync(), m.dataSync()];
    });
    const a: number[] = [], b: number[] = [];
    mask.forEach((m, i) => {
      if (m > 0.5) {
        a.push(predicted[i]!);
        b.push(truth[i]!);
      }
    });
    return spearman(a, b);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

Deno.test("spearman() is 1 for the same order, -1 for the reverse", () => {
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 45]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
});

Deno.test("HPM's teacher ranks the patches' true loss by mid-run (the run-length EMA schedule)", async () => {
  await initTf("wasm");
  const ours = await midRunCorrelation("runLength");
  assert.ok(ours > 0.25, `run-length teacher: Spearman ${ours.toFixed(3)}`);
});
