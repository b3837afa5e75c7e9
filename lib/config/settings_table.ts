/**
 * The table of a config's settings (key, type, default, meaning), generated
 * from the config room's own defaults, value rules and doc strings, as text
 * for `--help` and as markdown for the README (`deno task docs` writes the
 * README's tables and a test checks them): one source for both.
 *
 * @module
 */

import type { ConfigSchema } from "./load_config.ts";
import { EXPERIMENT_SETTINGS } from "./experiment_config.ts";
import { FINETUNE_SCHEMA } from "./finetune_config.ts";
import { PREPROCESS_SETTINGS } from "./preprocess_config.ts";
import { PRETRAIN_SCHEMA } from "./pretrain_config.ts";

/** The configs with a table of settings. */
export const SETTINGS_SCHEMAS = ["pretrain", "finetune", "preprocess", "experiment"] as const;
/** A config with a table of settings. */
export type SettingsSchema = (typeof SETTINGS_SCHEMAS)[number];

/** One setting. */
export interface SettingRow {
  /** Dotted key, e.g. `train.epochs`. */
  readonly key: string;
  /** What values it takes, in words (`integer >= 1`, `mae | simmim`). */
  readonly type: string;
  /** The default, as YAML would write it. */
  readonly default: string;
  /** One line. */
  readonly meaning: string;
}

/**
 * Every setting of a config, in the order of its defaults.
 *
 * @param schema Which config.
 * @returns The rows.
 * @throws {RangeError} If a key has no doc string or a doc string names no key
 *   (a schema and its docs must not drift apart).
 * @example
 * ```ts
 * import { settingRows } from "./settings_table.ts";
 * const epochs = settingRows("pretrain").find((r) => r.key === "train.epochs");
 * if (epochs?.type !== "integer >= 1" || epochs.default !== "20") throw new Error();
 * ```
 */
export function settingRows(schema: SettingsSchema): SettingRow[] {
  if (schema === "preprocess") return PREPROCESS_SETTINGS.map((s) => ({ ...s }));
  if (schema === "experiment") return EXPERIMENT_SETTINGS.map((s) => ({ ...s }));
  return rowsOf(schema === "pretrain" ? PRETRAIN_SCHEMA : FINETUNE_SCHEMA, schema);
}

function rowsOf(schema: ConfigSchema<unknown>, name: string): SettingRow[] {
  const rows: SettingRow[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    const meaning = schema.docs[path];
    if (meaning === undefined) {
      throw new RangeError(`Cannot document the ${name} config: key "${path}" has no doc string`);
    }
    rows.push({
      key: path,
      type: schema.rules[path]?.type ?? typeof value,
      default: typeof value === "string" ? value || '""' : JSON.stringify(value),
      meaning,
    });
  };
  walk(schema.defaults, "");
  const stale = Object.keys(schema.docs).filter((key) => !rows.some((r) => r.key === key));
  if (stale.length > 0) {
    throw new RangeError(`Cannot document the ${name} config: no key "${stale[0]}" to document`);
  }
  return rows;
}

/**
 * The settings of a config as a table.
 *
 * @param schema Which config.
 * @param format `text` (for `--help`: per key a line with its type and
 *   default, and its meaning indented below) or `markdown` (for the README).
 * @returns The table, ending with a newline.
 */
export function settingsTable(schema: SettingsSchema, format: "text" | "markdown"): string {
  const rows = settingRows(schema);
  if (format === "text") {
    return rows.map((r) => `  ${r.key}: ${r.type}, default ${r.default}\n      ${r.meaning}\n`)
      .join("");
  }
  const head = ["key", "type", "default", "meaning"];
  const escape = (text: string) => text.replaceAll("|", "\\|");
  const cells = rows.map((r) => [code(r.key), escape(r.type), code(r.default), escape(r.meaning)]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) => `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`;
  return [line(head), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...cells.map(line)]
    .join("\n") + "\n";
}

function code(text: string): string {
  return `\`${text}\``;
}
