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
