/**
 * Command-line parsing shared by the tasks: the task's own flags (from its
 * spec in `_task_specs.ts`) and, for tasks with a config schema, every
 * `--section.key=value` (or bare `section.key=value`) as a config override.
 * Anything else is refused with the known flags listed.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { UsageError } from "../lib/errors.ts";
import type { TaskSpec } from "./_task_specs.ts";

/** Parsed arguments: the known flags' values and the config overrides. */
export interface TaskArgs {
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  /** `section.key=value` strings, in order. */
  readonly overrides: readonly string[];
}

/**
 * Parses a task's arguments.
 *
 * @param args `Deno.args`.
 * @param spec The task's spec.
 * @returns Known flags' values and overrides.
 * @throws {UsageError} On an unknown flag, a string flag without a value, a
 *   boolean flag with one, or a stray argument; the message lists the flags.
 * @example
 * ```ts
 * import { parseTaskArgs } from "./_cli.ts";
 * import { TASK_SPECS } from "./_task_specs.ts";
 * const { values, overrides } = parseTaskArgs(["--force", "--train.epochs=2"], TASK_SPECS.pretrain);
 * if (values.force !== true || overrides[0] !== "train.epochs=2") throw new Error();
 * ```
 */
export function parseTaskArgs(args: readonly string[], spec: TaskSpec): TaskArgs {
  const options = Object.fromEntries(
    Object.entries(spec.flags).map(([name, flag]) => [name, { type: flag.type }]),
  );
  const { tokens } = parseArgs({
    args: [...args],
    options,
    strict: false,
    tokens: true,
    allowPositionals: true,
  });
  const values: Record<string, string | boolean | undefined> = {};
  const overrides: string[] = [];
  const refuse = (what: string) =>
    new UsageError(`${what}; deno task ${spec.name} takes ${knownFlags(spec)}`);
  for (const t of tokens) {
    if (t.kind === "option-terminator") continue;
    if (t.kind === "positional") {
      if (spec.overrides && /^[A-Za-z][\w.]*=/.test(t.value)) overrides.push(t.value);
      else throw refuse(`Unexpected argument "${t.value}"`);
      continue;
    }
    const flag = spec.flags[t.name];
    if (flag === undefined) {
      if (spec.overrides && (t.name.includes(".") || spec.overrideKeys?.includes(t.name))) {
        if (t.value === undefined) throw refuse(`"${t.rawName}" needs a value (${t.rawName}=...)`);
        overrides.push(`${t.name}=${t.value}`);
        continue;
      }
      throw refuse(`Unknown flag "${t.rawName}"`);
    }
    if (flag.type === "string" && typeof t.value !== "string") {
      throw refuse(`"${t.rawName}" needs a value (${t.rawName} ${flag.value ?? "VALUE"})`);
    }
    if (flag.type === "boolean" && t.value !== undefined) {
      throw refuse(`"${t.rawName}" takes no value`);
    }
    values[t.name] = flag.type === "boolean" ? true : t.value;
  }
  return { values, overrides };
}

/** "--config FILE, --resume, ..., --help, and --section.key=value settings". */
function knownFlags(spec: TaskSpec): string {
  const flags = Object.entries(spec.flags).map(([name, f]) =>
    f.type === "string" ? `--${name} ${f.value ?? "VALUE"}` : `--${name}`
  );
  return flags.join(", ") + (spec.overrides ? " and --section.key=value settings" : "");
}
