import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { assertClose } from "./_assert.ts";
import { emaDecay, emaUpdate, runLengthDecay } from "../lib/model/ema.ts";

await tf.setBackend("cpu");

Deno.test("emaDecay() rises monotonically from 0.999 to 0.9999 (cosine and linear)", () => {
  for (const schedule of ["cosine", "linear"] as const) {
    assert.equal(emaDecay(0, 1000, { schedule }), 0.999);
    assert.equal(emaDecay(1000, 1000, { schedule }), 0.9999);
    assert.equal(emaDecay(5000, 1000, { schedule }), 0.9999);
    assertClose([emaDecay(500, 1000, { schedule })], [0.99945], 1e-12);
    let last = 0;
    for (let s = 0; s <= 1000; s += 10) {
      const d = emaDecay(s, 1000, { schedule });
      assert.ok(d >= last);
      last = d;
    }
  }
  assert.ok(
    emaDecay(100, 1000) < emaDecay(100, 1000, { schedule: "linear" }),
    "cosine starts slower",
  );
  assert.throws(() => emaDecay(1, 0), RangeError);
  assert.throws(() => emaDecay(1, 10, { end: 1.1 }), RangeError);
});

Deno.test("emaUpdate() moves every teacher variable towards the student", () => {
  const teacher = [tf.variable(tf.tensor1d([0, 1])), tf.variable(tf.tensor2d([[2]]))];
  const student = [tf.tensor1d([1, 1]), tf.tensor2d([[4]])];
  emaUpdate(teacher, student, 0.9);
  assertClose(teacher[0]!.dataSync(), [0.1, 1]);
  assertClose(teacher[1]!.dataSync(), [2.2]);
  emaUpdate(teacher, student, 1);
  assertClose(teacher[1]!.dataSync(), [2.2]);
  assert.throws(() => emaUpdate(teacher, student.slice(0, 1), 0.9), RangeError);
  assert.throws(() => emaUpdate(teacher, [tf.tensor1d([1]), student[1]!], 0.9), RangeError);
  assert.throws(() => emaUpdate(teacher, student, 1.5), RangeError);
});

Deno.test("runLengthDecay() lags the teacher by 1% -> 5% of the run, whatever its length", () => {
  for (const total of [320, 80000]) {
    assertClose([runLengthDecay(0, total)], [1 - 1 / (0.01 * total)], 1e-12);
    assertClose([runLengthDecay(total, total)], [1 - 1 / (0.05 * total)], 1e-12);
    // the teacher's initial weights fade by mid-run: product of decays over the first half
    let kept = 1;
    for (let s = 0; s < total / 2; s++) kept *= runLengthDecay(s, total);
    assert.ok(kept < 1e-6, `${total} steps: ${kept} of the initial weights left at mid-run`);
  }
  // the fixed papers' decay keeps most of them over a short run
  let fixed = 1;
  for (let s = 0; s < 160; s++) fixed *= emaDecay(s, 320);
  assert.ok(fixed > 0.8, `fixed: ${fixed}`);
  assert.equal(runLengthDecay(0, 50), 0, "a lag under one step copies the student");
  assert.throws(() => runLengthDecay(0, 100, { lagStart: 0 }), RangeError);
});
