/**
 * The table of a config schema's settings (key, type, default, meaning),
 * generated from its defaults, value rules and doc strings, as text for
 * `--help` and as markdown for the README (one source for both).
 *
 * @module
 */

import { DEFAULT_CONFIG } from "./pretrain_config.ts";
import { DEFAULT_FINETUNE_CONFIG } from "./finetune_config.ts";

/** A config schema with settings. */
export type SettingsSchema = "pretrain" | "finetune";

/** One setting. */
export interface SettingRow {
  /** Dotted key, e.g. `train.epochs`. */
  readonly key: string;
  readonly type: string;
  /** The default as YAML would write it. */
  readonly default: string;
  /** One line. */
  readonly meaning: string;
}

const SCHEMAS: Record<SettingsSchema, { defaults: unknown; docs: Record<string, string> }> = {
  pretrain: { defaults: DEFAULT_CONFIG, docs: {} },
  finetune: { defaults: DEFAULT_FINETUNE_CONFIG, docs: {} },
};

/**
 * Every setting of a schema, in the defaults' order.
 *
 * @param schema Which config.
 * @returns The rows.
 */
export function settingRows(schema: SettingsSchema): SettingRow[] {
  const { defaults, docs } = SCHEMAS[schema];
  const rows: SettingRow[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
      return;
    }
    rows.push({
      key: path,
      type: typeof value,
      default: JSON.stringify(value),
      meaning: docs[path] ?? "",
    });
  };
  walk(defaults, "");
  return rows;
}

/**
 * The settings of a schema as a table.
 *
 * @param schema Which config.
 * @param format `text` (aligned columns, for `--help`) or `markdown` (for the README).
 * @returns The table.
 */
export function settingsTable(schema: SettingsSchema, format: "text" | "markdown"): string {
  const rows = settingRows(schema);
  const cells = rows.map((r) =>
    format === "markdown"
      ? [`\`${r.key}\``, r.type, `\`${r.default}\``, r.meaning]
      : [r.key, r.type, r.default, r.meaning]
  );
  const head = ["key", "type", "default", "meaning"];
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]) =>
    format === "markdown"
      ? `| ${c.map((x, i) => x.padEnd(widths[i]!)).join(" | ")} |`
      : `  ${c.map((x, i) => (i === 3 ? x : x.padEnd(widths[i]!))).join("  ")}`.trimEnd();
  const out = [line(head)];
  if (format === "markdown") out.push(`| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`);
  for (const c of cells) out.push(line(c));
  return out.join("\n") + "\n";
}
