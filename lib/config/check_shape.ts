/**
 * The generic half of config validation: checks an untrusted parsed object
 * against a reference object (the defaults) key by key, so that unknown keys,
 * missing keys and wrong types are rejected with the dotted key named, and
 * then applies per-key value rules. Each config type (pretraining, fine-tuning)
 * supplies its defaults and rules.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";

/**
 * A value rule: returns a problem description, or undefined when the value is
 * fine. `type` says in words what it accepts (for `--help` and the README).
 */
export type ValueRule = ((value: unknown) => string | undefined) & { readonly type?: string };

/**
 * Gives a rule the words that describe what it accepts.
 *
 * @param type E.g. `integer in [16, 4096], a multiple of 16`.
 * @param rule The check.
 * @returns The same check, described.
 * @example
 * ```ts
 * import { describedRule } from "./check_shape.ts";
 * const even = describedRule("even integer", (v) => (v as number) % 2 ? "odd" : undefined);
 * if (even.type !== "even integer" || even(3) !== "odd") throw new Error();
 * ```
 */
export function describedRule(
  type: string,
  rule: (value: unknown) => string | undefined,
): ValueRule {
  return Object.assign((value: unknown) => rule(value), { type });
}

/**
 * Walks `value` alongside `reference`.
 *
 * @param value The merged, untrusted config.
 * @param reference The defaults (every key and its type).
 * @param rules Value rules by dotted key (`"train.epochs"`).
 * @throws {ConfigError} On an unknown key, a wrong type or a rule's complaint.
 * @example
 * ```ts
 * import { checkShape } from "./check_shape.ts";
 * checkShape({ a: { b: 2 } }, { a: { b: 1 } }, {});
 * ```
 */
export function checkShape(
  value: unknown,
  reference: unknown,
  rules: Readonly<Record<string, ValueRule>>,
): void {
  walk(value, reference, "", rules);
}

function walk(
  value: unknown,
  reference: unknown,
  path: string,
  rules: Readonly<Record<string, ValueRule>>,
): void {
  if (isRecord(reference)) {
    if (!isRecord(value)) {
      throw new ConfigError(path || "(root)", `expected a mapping, got ${describe(value)}`);
    }
    for (const key of Object.keys(value)) {
      if (!(key in reference)) {
        const known = Object.keys(reference).join(", ");
        throw new ConfigError(join(path, key), `unknown key (known here: ${known})`);
      }
    }
    for (const [key, ref] of Object.entries(reference)) {
      walk(value[key], ref, join(path, key), rules);
    }
    return;
  }
  if (typeof value !== typeof reference) {
    throw new ConfigError(path, `expected a ${typeof reference}, got ${describe(value)}`);
  }
  const problem = rules[path]?.(value);
  if (problem) throw new ConfigError(path, problem);
}

/** Integer in `[min, max]`. */
export const intRule = (min: number, max = Number.MAX_SAFE_INTEGER): ValueRule =>
  describedRule(
    max === Number.MAX_SAFE_INTEGER ? `integer >= ${min}` : `integer in [${min}, ${max}]`,
    (v) =>
      Number.isInteger(v) && (v as number) >= min && (v as number) <= max
        ? undefined
        : `${JSON.stringify(v)} is not an integer in [${min}, ${max}]`,
  );

/** Finite number in `[min, max]` (or `[min, max)`). */
export const realRule = (min: number, max: number, openMax = false): ValueRule =>
  describedRule(
    `number in [${min}, ${max}${openMax ? ")" : "]"}`,
    (v) =>
      typeof v === "number" && Number.isFinite(v) && v >= min && (openMax ? v < max : v <= max)
        ? undefined
        : `${JSON.stringify(v)} is not a number in [${min}, ${max}${openMax ? ")" : "]"}`,
  );

/** One of a list of strings (or numbers). */
export const oneOfRule = (values: readonly (string | number)[]): ValueRule =>
  describedRule(
    values.join(" | "),
    (v) =>
      values.includes(v as string | number)
        ? undefined
        : `${JSON.stringify(v)} is not one of ${values.join(", ")}`,
  );

/** A run name usable as a folder name. */
export const runNameRule: ValueRule = describedRule(
  "name (letters, digits, . _ -)",
  (v) =>
    /^[A-Za-z0-9._-]{1,100}$/.test(String(v)) && v !== "." && v !== ".."
      ? undefined
      : `${JSON.stringify(v)} is not a run name (letters, digits, . _ -)`,
);

/**
 * Deep-merges `patch` onto `base` (mappings merge, everything else replaces).
 *
 * @param base The base object (not modified).
 * @param patch The values to apply.
 * @returns A new object.
 * @throws {ConfigError} If a key is set inside a non-mapping value.
 */
export function mergeConfig(base: unknown, patch: unknown): unknown {
  return merge(base, patch, "");
}

function merge(base: unknown, patch: unknown, path: string): unknown {
  if (!isRecord(patch)) return patch;
  if (!isRecord(base)) {
    throw new ConfigError(path || "(root)", "cannot set keys inside a value that is not a mapping");
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = key in base ? merge(base[key], value, join(path, key)) : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return `${typeof value} ${JSON.stringify(value)}`;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}
