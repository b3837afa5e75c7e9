/**
 * The command a scheduler runs for one cell: `deno task experiment` (the
 * launcher gives it exactly the grid's folders, caches and config files) with
 * the same config file and overrides as the command that emitted the job
 * files, so that every array task plans the same grid.
 *
 * @module
 */

/**
 * The arguments after `deno` for the experiment task on this grid.
 *
 * @param args The grid config file and the overrides given to the emitting command.
 * @returns `["task", "experiment", "--config", FILE, ...overrides]`.
 * @example
 * ```ts
 * import { experimentArgs } from "./job_command.ts";
 * const a = experimentArgs({ config: "configs/experiment_smoke.yaml", overrides: ["seeds=[0]"] });
 * if (a.join(" ") !== "task experiment --config configs/experiment_smoke.yaml --seeds=[0]") throw new Error();
 * ```
 */
export function experimentArgs(
  args: { readonly config: string; readonly overrides: readonly string[] },
): string[] {
  return [
    "task",
    "experiment",
    "--config",
    args.config,
    ...args.overrides.map((o) => (o.startsWith("--") ? o : `--${o}`)),
  ];
}

/**
 * Quotes a word for bash (single quotes unless it is plainly safe).
 *
 * @param word Any text.
 * @returns The word, quoted where needed.
 * @example
 * ```ts
 * import { shellQuote } from "./job_command.ts";
 * if (shellQuote("a b") !== "'a b'" || shellQuote("x.yaml") !== "x.yaml") throw new Error();
 * ```
 */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./=:,@%+-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}
