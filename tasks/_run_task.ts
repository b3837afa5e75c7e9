/**
 * Runs a task's body and turns every expected failure into one line on
 * stderr and exit code 1, instead of a stack trace. `MEDMIM_DEBUG=1` shows
 * the stack.
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
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    console.error(`medmim ${name}: ${message}`);
    if (readEnv("MEDMIM_DEBUG") && error instanceof Error) console.error(error.stack);
    Deno.exit(1);
  }
}
