/**
 * `--help` of every task, from its spec (`_task_specs.ts`) and, for tasks
 * that take config overrides, the config schema's keys (`settingsTable`).
 *
 * @module
 */

import { settingsTable } from "../lib/config/settings_table.ts";
import { UsageError } from "../lib/errors.ts";
import { parseTaskArgs, type TaskArgs } from "./_cli.ts";
import type { TaskSpec } from "./_task_specs.ts";

/**
 * The help text of a task.
 *
 * @param spec The task.
 * @returns Usage, summary, flags and (for tasks with a config) every setting.
 */
export function taskHelp(spec: TaskSpec): string {
  const lines = [`usage: deno task ${spec.name} ${spec.usage}`, "", wrap(spec.summary, 100), ""];
  lines.push("flags:");
  const flags = Object.entries(spec.flags).map(([name, f]) => {
    const left = `--${name}${f.type === "string" ? ` ${f.value ?? "VALUE"}` : ""}`;
    const dflt = f.default !== undefined && f.default !== "" ? ` (default: ${f.default})` : "";
    return [left, `${f.help}${dflt}`] as const;
  });
  const width = Math.max(...flags.map(([left]) => left.length));
  for (const [left, right] of flags) lines.push(`  ${left.padEnd(width)}  ${right}`);
  const settings = spec.settings ?? spec.overrides;
  if (settings) {
    lines.push(
      "",
      spec.overrides
        ? "settings (in the --config YAML file, or --section.key=value on the command line):"
        : "settings (in the --config YAML file; the flags above set the key of the same name):",
      "",
      settingsTable(settings, "text"),
    );
  }
  return lines.join("\n").trimEnd() + "\n";
}

/**
 * Parses `Deno.args` for a task; on `--help` prints the help and exits 0, on
 * a usage error prints one line and exits 2.
 *
 * @param spec The task.
 * @param args The arguments (default `Deno.args`).
 * @returns The parsed arguments (never with `help` set).
 */
export function taskArgs(spec: TaskSpec, args: readonly string[] = Deno.args): TaskArgs {
  let parsed: TaskArgs;
  try {
    parsed = parseTaskArgs(args, spec);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`medmim ${spec.name}: ${error.message}`);
    Deno.exit(2);
  }
  if (parsed.values.help) {
    console.log(taskHelp(spec));
    Deno.exit(0);
  }
  return parsed;
}

function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width) (out.push(line), line = word);
    else line = line ? `${line} ${word}` : word;
  }
  if (line) out.push(line);
  return out.join("\n");
}
