import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { assertClose } from "./_assert.ts";
import { assertGradMatchesFiniteDifference } from "./_grad_check.ts";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { ntXentLoss, ntXentPerView } from "../lib/loss/nt_xent.ts";
import { byolLoss, byolPerSample } from "../lib/loss/byol_loss.ts";
import { sinkhornKnopp } from "../lib/loss/sinkhorn.ts";
import { swappedPrediction, swavLoss } from "../lib/loss/swav_loss.ts";
import { makeRng } from "../lib/random.ts";

await setupWasmBackend({ threads: 1 });
await tf.setBackend("cpu");

function random(rows: number, cols: number, seed: number): tf.Tensor2D {
  const rng = makeRng(seed);
  return tf.tensor2d(Float32Array.from({ length: rows * cols }, () => 2 * rng.next() - 1), [
    rows,
    cols,
  ]);
}

Deno.test("ntXentLoss() equals hand-computed values on tiny batches", () => {
  // z1 = (a, b), z2 = (a, b), a and b orthogonal unit vectors, tau 0.5: every view has cosine 1
  // to its positive and 0 to its two negatives: -log(e^2 / (e^2 + 1 + 1)) = log(1 + 2 e^-2)
  const z = tf.tensor2d([[1, 0], [0, 1]]);
  const loss = ntXentLoss(z, z, 0.5).dataSync()[0]!;
  assertClose([loss], [Math.log(1 + 2 * Math.exp(-2))], 1e-6, "symmetric case");
  assertClose([loss], [0.2395447], 1e-6, "0.23954");
  // z1 = ((1, 0), (0, 3)), z2 = ((0.6, 0.8), (1.6, 1.2)), tau 1; cosines: a.b = 0, a.a' = 0.6,
  // a.b' = 0.8, b.a' = 0.8, b.b' = 0.6, a'.b' = 0.96 (norms do not matter)
  //   view a:  positive a' 0.6, negatives b 0, b' 0.8:    log(e^.6 + e^0 + e^.8) - .6
  //   view b:  positive b' 0.6, negatives a 0, a' 0.8:    the same
  //   view a': positive a 0.6, negatives b 0.8, b' 0.96:  log(e^.6 + e^.8 + e^.96) - .6
  //   view b': positive b 0.6, negatives a 0.8, a' 0.96:  the same
  const ab = Math.log(Math.exp(0.6) + 1 + Math.exp(0.8)) - 0.6;
  const primes = Math.log(Math.exp(0.6) + Math.exp(0.8) + Math.exp(0.96)) - 0.6;
  const per = ntXentPerView(
    tf.tensor2d([[1, 0], [0, 3]]),
    tf.tensor2d([[0.6, 0.8], [1.6, 1.2]]),
    1,
  ).dataSync();
  assertClose(per, [ab, ab, primes, primes], 1e-6, "per view");
  assertClose([ab, primes], [1.01892, 1.29602], 1e-5, "hand values");
  assert.throws(
    () => ntXentLoss(tf.tensor2d([[1, 0]]), tf.tensor2d([[1, 0]]), 0.1),
    /no negatives/,
  );
  assert.throws(() => ntXentLoss(z, z, 0), /temperature 0/);
});

Deno.test("ntXentLoss() matches a loop over pairs on a random batch, and its gradient", () => {
  const n = 4, d = 5, tau = 0.3;
  const z1 = random(n, d, 1), z2 = random(n, d, 2);
  const rows = [...tf.concat([z1, z2]).arraySync()].map((r) => {
    const norm = Math.hypot(...r);
    return r.map((v) => v / norm);
  });
  const dot = (i: number, k: number) => rows[i]!.reduce((s, v, j) => s + v * rows[k]![j]!, 0);
  let expected = 0;
  for (let i = 0; i < 2 * n; i++) {
    let denominator = 0;
    for (let k = 0; k < 2 * n; k++) if (k !== i) denominator += Math.exp(dot(i, k) / tau);
    expected += -(dot(i, (i + n) % (2 * n)) / tau - Math.log(denominator)) / (2 * n);
  }
  assertClose(ntXentLoss(z1, z2, tau).dataSync(), [expected], 1e-5);
  assertGradMatchesFiniteDifference((v) => ntXentLoss(v, z2, tau), z1, { what: "d/dz1" });
  assertGradMatchesFiniteDifference((v) => ntXentLoss(z1, v, tau), z2, { what: "d/dz2" });
});

Deno.test("byolLoss() is 2 - 2 cos, trains the prediction only", () => {
  const p = random(3, 4, 3), z = random(3, 4, 4);
  const cos = tf.tidy(() =>
    tf.div(tf.sum(tf.mul(p, z), 1), tf.mul(tf.norm(p, 2, 1), tf.norm(z, 2, 1))).arraySync()
  ) as number[];
  assertClose(byolPerSample(p, z).dataSync(), cos.map((c) => 2 - 2 * c), 1e-5);
  assertGradMatchesFiniteDifference((v) => byolLoss(v, z), p, { what: "d/dprediction" });
  const toTarget = tf.grad((t: tf.Tensor) => byolLoss(p, t as tf.Tensor2D))(z).dataSync();
  assert.ok(toTarget.every((v) => v === 0), "the target is a constant");
  assert.throws(() => byolLoss(p, random(3, 5, 1)), /must both be \[N, D\]/);
});

Deno.test("sinkhornKnopp(): each sample's codes sum to 1, each prototype gets about B/K", () => {
  const b = 6, k = 4;
  const scores = tf.tidy(() => tf.tanh(tf.mul(random(b, k, 5), 2))) as tf.Tensor2D;
  const columnError = (q: tf.Tensor2D) =>
    Math.max(...Array.from(q.sum(0).dataSync(), (v) => Math.abs(v - b / k)));
  const q = sinkhornKnopp(scores); // SwAV's 3 iterations, epsilon 0.05
  assertClose(q.sum(1).dataSync(), new Float32Array(b).fill(1), 1e-5, "rows");
  assert.ok(q.dataSync().every((v) => v >= 0));
  // more rounds, closer to the equipartition
  const once = columnError(sinkhornKnopp(scores, { iterations: 1 }));
  const three = columnError(q);
  const many = columnError(sinkhornKnopp(scores, { iterations: 200 }));
  assert.ok(three < once && many < 5e-3, `column error 1: ${once}, 3: ${three}, 200: ${many}`);
  // the raw softmax puts most mass on a few prototypes; the codes do not
  const raw = columnError(tf.softmax(tf.div(scores, 0.05)) as tf.Tensor2D);
  assert.ok(three < raw / 2, `codes ${three} vs softmax ${raw}`);
  // against SwAV's algorithm written out with plain arrays (K x B as in the paper's code)
  const s = scores.arraySync();
  let qq = Array.from({ length: k }, (_, j) => s.map((row) => Math.exp(row[j]! / 0.05)));
  const total = qq.flat().reduce((a, v) => a + v, 0);
  qq = qq.map((r) => r.map((v) => v / total));
  for (let it = 0; it < 3; it++) {
    qq = qq.map((r) => {
      const sum = r.reduce((a, v) => a + v, 0);
      return r.map((v) => v / sum / k);
    });
    const sums = Array.from({ length: b }, (_, i) => qq.reduce((a, r) => a + r[i]!, 0));
    qq = qq.map((r) => r.map((v, i) => v / sums[i]! / b));
  }
  const expected = Array.from({ length: b }, (_, i) => qq.map((r) => r[i]! * b)).flat();
  assertClose(q.dataSync(), expected, 1e-4, "codes");
  assert.throws(() => sinkhornKnopp(scores, { epsilon: 0 }), /epsilon 0/);
});

Deno.test("swavLoss(): swapped cross entropy with constant codes; finite-difference gradient", () => {
  const s1 = random(5, 3, 6), s2 = random(5, 3, 7), tau = 0.5;
  const q1 = sinkhornKnopp(s1), q2 = sinkhornKnopp(s2);
  const { loss, perSample } = swavLoss(s1, s2, { temperature: tau });
  const logP = (s: tf.Tensor2D) => tf.logSoftmax(tf.div(s, tau)).arraySync() as number[][];
  const [l1, l2, c1, c2] = [logP(s1), logP(s2), q1.arraySync(), q2.arraySync()];
  const expected = c1.map((row, n) =>
    -0.5 * row.reduce((a, q, k) => a + q * l2[n]![k]! + c2[n]![k]! * l1[n]![k]!, 0)
  );
  assertClose(perSample.dataSync(), expected, 1e-5, "per sample");
  assertClose(loss.dataSync(), [expected.reduce((a, v) => a + v) / 5], 1e-5, "mean");
  // with the codes held constant (as SwAV does), the analytic gradient is the true one
  assertGradMatchesFiniteDifference((v) => swappedPrediction(v, s2, q1, q2, tau), s1, {
    what: "d/dscores1",
  });
  // and the codes carry no gradient: the full loss's gradient equals the fixed-codes one
  const full = tf.grad((v: tf.Tensor) => swavLoss(v as tf.Tensor2D, s2, { temperature: tau }).loss);
  const fixed = tf.grad((v: tf.Tensor) => swappedPrediction(v as tf.Tensor2D, s2, q1, q2, tau));
  assertClose(full(s1).dataSync(), fixed(s1).dataSync(), 1e-6, "no gradient through codes");
});

Deno.test("swavLoss() with a queue: codes from Sinkhorn over queue + batch, no gradient to the queue", () => {
  const s1 = random(4, 3, 11), s2 = random(4, 3, 12), k1 = random(6, 3, 13), k2 = random(6, 3, 14);
  const tau = 0.5;
  const { loss } = swavLoss(s1, s2, { temperature: tau, queued: [k1, k2] });
  // the batch's codes: the last 4 rows of the codes of the 10 stacked rows
  const codes = (q: tf.Tensor2D, s: tf.Tensor2D) =>
    tf.slice(sinkhornKnopp(tf.concat([q, s]) as tf.Tensor2D), [6, 0], [4, 3]) as tf.Tensor2D;
  const expected = swappedPrediction(s1, s2, codes(k1, s1), codes(k2, s2), tau);
  assertClose(loss.dataSync(), expected.dataSync(), 1e-6);
  assert.notEqual(loss.dataSync()[0], swavLoss(s1, s2, { temperature: tau }).loss.dataSync()[0]);
  const toQueue = tf.grad((q: tf.Tensor) =>
    swavLoss(s1, s2, { temperature: tau, queued: [q as tf.Tensor2D, k2] }).loss
  )(k1).dataSync();
  assert.ok(toQueue.every((v) => v === 0), "queued scores are constants");
  assert.throws(
    () => swavLoss(s1, s2, { temperature: tau, queued: [random(6, 2, 1), k2] }),
    /differ in K/,
  );
});

Deno.test("every contrastive loss has the same gradient on tfjs's wasm backend as on cpu", async () => {
  const cases: [string, (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Scalar][] = [
    ["nt-xent", (a, b) => ntXentLoss(a, b, 0.2)],
    ["byol", (a, b) => tf.add(byolLoss(a, b), byolLoss(b, a))],
    ["swav", (a, b) => swavLoss(a, b, { temperature: 0.1 }).loss],
  ];
  for (const [name, f] of cases) {
    const grads: Float32Array[] = [];
    for (const backend of ["cpu", "wasm"]) {
      await tf.setBackend(backend);
      const a = random(6, 8, 8), b = random(6, 8, 9);
      grads.push(tf.grad((v: tf.Tensor) => f(v as tf.Tensor2D, b))(a).dataSync() as Float32Array);
      tf.dispose([a, b]);
    }
    assertClose(grads[1]!, grads[0]!, 1e-4, name);
    assert.ok(grads[0]!.some((v) => v !== 0), `${name}: gradient is not zero`);
  }
  await tf.setBackend("cpu");
});
