/**
 * The README's tables of settings, generated from the config room
 * (`lib/config/settings_table.ts`): each lies between
 * `<!-- settings:<schema> -->` and `<!-- /settings:<schema> -->`.
 *
 * @module
 */

import {
  SETTINGS_SCHEMAS,
  type SettingsSchema,
  settingsTable,
} from "../lib/config/settings_table.ts";

/**
 * The README with every marked table regenerated.
 *
 * @param readme The README's text.
 * @returns The text with the tables between the markers replaced.
 * @throws {RangeError} If a schema's markers are missing or out of order.
 * @example
 * ```ts
 * import { withSettingsTables } from "./_readme_settings.ts";
 * const text = ["pretrain", "finetune", "preprocess"]
 *   .map((s) => `<!-- settings:${s} -->\nold\n<!-- /settings:${s} -->`).join("\n");
 * if (!withSettingsTables(text).includes("| `train.epochs`")) throw new Error();
 * ```
 */
export function withSettingsTables(readme: string): string {
  let text = readme;
  for (const schema of SETTINGS_SCHEMAS) text = replaceSection(text, schema);
  return text;
}

function replaceSection(text: string, schema: SettingsSchema): string {
  const open = `<!-- settings:${schema} -->`;
  const close = `<!-- /settings:${schema} -->`;
  const start = text.indexOf(open);
  const end = text.indexOf(close);
  if (start < 0 || end < start) {
    throw new RangeError(
      `Cannot update README.md: the markers "${open}" ... "${close}" are missing`,
    );
  }
  const table = settingsTable(schema, "markdown");
  return `${text.slice(0, start)}${open}\n\n${table}\n${text.slice(end)}`;
}
