/**
 * Reads a YAML config, merges it and command-line overrides onto the
 * defaults, and validates the result. One loader serves every config type
 * (`pretrain_config.ts`, `finetune_config.ts`).
 *
 * @module
 */

import { parse, YAMLError } from "yaml";
import { ConfigError } from "../errors.ts";
import { mergeConfig, type ValueRule } from "./check_shape.ts";

/**
 * A config type: its defaults (every key and its type), the value rules by
 * dotted key, one line per key saying what it means (`--help` and the
 * README's tables, `settings_table.ts`), its validator, and its protocol
 * presets (`protocols.ts`).
 */
export interface ConfigSchema<T> {
  readonly defaults: T;
  readonly rules: Readonly<Record<string, ValueRule>>;
  readonly docs: Readonly<Record<string, string>>;
  readonly validate: (value: unknown) => T;
  /**
   * By the config's top-level `protocol` value, the settings that protocol
   * puts between the defaults and the user's own (`custom` has none).
   */
  readonly presets?: Readonly<Record<string, unknown>>;
}

/** The parts of a schema that building a config needs. */
export type SchemaCore<T> = Pick<ConfigSchema<T>, "defaults" | "validate" | "presets">;

/**
 * Merges the user's layers (a YAML file, a script's object, overrides) onto the
 * defaults, with the preset of the `protocol` they name in between, and validates.
 *
 * @param schema The config type.
 * @param layers Partial configs, later ones win.
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 */
export function buildConfig<T>(schema: SchemaCore<T>, layers: readonly unknown[]): T {
  const stack = (base: unknown) =>
    layers.reduce((merged, layer) => mergeConfig(merged, layer), base);
  let merged = stack(structuredClone(schema.defaults));
  const protocol = (merged as { protocol?: unknown }).protocol;
  const preset = typeof protocol === "string" ? schema.presets?.[protocol] : undefined;
  if (preset !== undefined) merged = stack(mergeConfig(structuredClone(schema.defaults), preset));
  return schema.validate(merged);
}

/**
 * Builds a config of any type: `defaults` <- the `protocol`'s preset <- YAML
 * file <- overrides, then `validate`.
 *
 * @param path A YAML file, or undefined for the defaults alone.
 * @param overrides `key.path=value` strings (values parsed as YAML scalars).
 * @param schema The defaults and the validator of the config type.
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse (file, line and column named).
 */
export async function loadYamlConfig<T>(
  path: string | undefined,
  overrides: readonly string[],
  schema: SchemaCore<T>,
): Promise<T> {
  const layers: unknown[] = [];
  if (path !== undefined) {
    const text = await Deno.readTextFile(path);
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (error) {
      throw new SyntaxError(`Cannot parse config "${path}": ${(error as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) layers.push(parsed);
  }
  for (const override of overrides) layers.push(overridePatch(override));
  return buildConfig(schema, layers);
}

/**
 * Applies one `a.b.c=value` override; the value is read as a YAML scalar
 * (`3` is a number, `true` a boolean, `abc` a string).
 *
 * @param config The config object (not modified).
 * @param override The override text.
 * @returns A new object.
 * @throws {ConfigError} If the override has no `=`.
 */
export function applyOverride(config: unknown, override: string): unknown {
  return mergeConfig(config, overridePatch(override));
}

/**
 * One `a.b.c=value` override as a nested object `{ a: { b: { c: value } } }`.
 *
 * @param override The override text.
 * @returns The patch.
 * @throws {ConfigError} If the override has no `=`.
 */
export function overridePatch(override: string): unknown {
  const at = override.indexOf("=");
  if (at <= 0) throw new ConfigError(override, "an override must look like key.path=value");
  const keys = override.slice(0, at).replace(/^--/, "").split(".");
  const raw = override.slice(at + 1);
  let value: unknown;
  try {
    value = parse(raw);
  } catch (error) {
    if (!(error instanceof YAMLError)) throw error; // e.g. a missing permission
    value = raw;
  }
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/** A config with every key optional, at any depth: what a script writes. */
export type ConfigInput<T> = T extends readonly unknown[] ? T
  : T extends object ? { readonly [K in keyof T]?: ConfigInput<T[K]> }
  : T;

/**
 * Builds a config of any type from an object holding only what differs from
 * the defaults (the object a script writes instead of a YAML file).
 *
 * @param schema The config type.
 * @param input The settings that differ.
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @example
 * ```ts
 * import { configFrom } from "./load_config.ts";
 * import { PRETRAIN_SCHEMA } from "./pretrain_config.ts";
 * const c = configFrom(PRETRAIN_SCHEMA, { train: { epochs: 2 } });
 * if (c.train.epochs !== 2 || c.train.batchSize !== 8) throw new Error();
 * ```
 */
export function configFrom<T>(
  schema: SchemaCore<T>,
  input: ConfigInput<NoInfer<T>>,
): T {
  return buildConfig(schema, [input]);
}
