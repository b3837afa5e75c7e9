/**
 * The preprocess task's config from its arguments: the YAML file of
 * `--config`, then each flag over the key of the same name.
 *
 * @module
 */

import {
  parsePreprocessYaml,
  type PreprocessConfig,
  resolvePreprocessConfig,
} from "../lib/config/preprocess_config.ts";

/**
 * Resolves the preprocess config.
 *
 * @param values The parsed flags (`_cli.ts`).
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key or a bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse.
 */
export async function preprocessConfigFromArgs(
  values: Readonly<Record<string, string | boolean | undefined>>,
): Promise<PreprocessConfig> {
  const text = (name: string) => values[name] as string | undefined;
  const path = text("config");
  const fromYaml = path ? parsePreprocessYaml(await Deno.readTextFile(path), path) : {};
  const numberList = (t: string | undefined) => t?.split(/[,x ]+/).filter(Boolean).map(Number);
  const number = (t: string | undefined) => (t === undefined ? undefined : Number(t));
  const fromCli: Record<string, unknown> = {
    input: text("input"),
    output: text("output"),
    layout: text("layout"),
    size: number(text("size")),
    spacing: numberList(text("spacing")),
    modalities: text("modalities")?.split(",").filter(Boolean),
    label: text("label"),
    mode: text("mode"),
    limit: number(text("limit")),
    strict: values.strict,
  };
  return resolvePreprocessConfig(fromYaml, fromCli);
}
