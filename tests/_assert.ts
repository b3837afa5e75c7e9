import assert from "node:assert/strict";

/** Asserts |a - b| <= tol * max(1, |b|) elementwise. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  tol = 1e-5,
  what = "value",
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i] as number;
    const b = expected[i] as number;
    if (!(Math.abs(a - b) <= tol * Math.max(1, Math.abs(b)))) {
      assert.fail(`${what}[${i}]: ${a} differs from ${b} by more than ${tol} (relative)`);
    }
  }
}

/**
 * Asserts max |actual - expected| <= rtol * max |expected|: a norm-wise bound,
 * for sums of many terms (convolutions, their gradients) where elementwise
 * relative error is meaningless near zero.
 */
export function assertNormClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rtol: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, `${what}: length`);
  let maxRef = 0;
  let maxErr = 0;
  for (let i = 0; i < expected.length; i++) {
    maxRef = Math.max(maxRef, Math.abs(expected[i] as number));
    maxErr = Math.max(maxErr, Math.abs((actual[i] as number) - (expected[i] as number)));
  }
  assert.ok(maxRef > 0, `${what}: reference is all zero`);
  assert.ok(maxErr <= rtol * maxRef, `${what}: max error ${maxErr} vs max |ref| ${maxRef}`);
}
