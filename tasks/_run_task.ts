/**
 * Runs a task's body and turns every expected failure into one line on
 * stderr and exit code 1, instead of a stack trace. `MEDMIM_DEBUG=1` shows
 * the stack.
 *
 * @module
 */

import { readEnv } from "../lib/env.ts";

/**
 * @param name The task's name, for the message.
 * @param body The work.
 */
export async function runTask(name: string, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    console.error(`medmim ${name}: ${describeError(error)}`);
    if (readEnv("MEDMIM_DEBUG") && error instanceof Error) console.error(error.stack);
    Deno.exit(1);
  }
}

/**
 * One line for a task's failure. A permission refusal (the task touched a
 * path its config does not name, see `launch.ts`) says so in medmim's terms
 * instead of suggesting a Deno flag.
 *
 * @param error What was thrown.
 * @returns The line, without the task's name.
 * @example
 * ```ts
 * import { describeError } from "./_run_task.ts";
 * const e = new Deno.errors.NotCapable('Requires write access to "/x", run again with the --allow-write flag');
 * if (!describeError(e).startsWith('Cannot write "/x"')) throw new Error(describeError(e));
 * ```
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const refused = /Requires (\w+) access to "?([^",]+)"?/.exec(error.message);
  if (error instanceof Deno.errors.NotCapable && refused) {
    const [, kind, target] = refused;
    const verb = kind === "read" ? "read" : kind === "write" ? "write" : `use ${kind} on`;
    return `Cannot ${verb} "${target}": outside the paths this task was given (a task reads ` +
      `the config, data, cache and checkpoint its settings name and writes only its run folder)`;
  }
  if (error.name === "UsageError") return error.message;
  return `${error.name}: ${error.message}`;
}
