/**
 * Command-line parsing shared by the training tasks: known flags, and every
 * other `--key.path=value` (or bare `key.path=value`) as a config override.
 */

import { parseArgs } from "node:util";

/**
 * @param args `Deno.args`.
 * @param flags Known flags: name -> "string" | "boolean".
 * @returns The known flags' values and the overrides.
 */
export function parseTaskArgs(
  args: readonly string[],
  flags: Readonly<Record<string, "string" | "boolean">>,
): { values: Record<string, string | boolean | undefined>; overrides: string[] } {
  const options = Object.fromEntries(Object.entries(flags).map(([k, type]) => [k, { type }]));
  const { values, tokens } = parseArgs({ args: [...args], options, strict: false, tokens: true });
  const overrides: string[] = [];
  for (const t of tokens) {
    if (t.kind === "option" && !(t.name in flags)) overrides.push(`${t.name}=${t.value ?? "true"}`);
    if (t.kind === "positional") overrides.push(t.value);
  }
  return { values: values as Record<string, string | boolean | undefined>, overrides };
}
