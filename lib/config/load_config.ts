/**
 * Reads a YAML config, merges it and command-line overrides onto the
 * defaults, and validates the result.
 *
 * @module
 */

import { parse } from "yaml";
import { ConfigError } from "../errors.ts";
import { type Config, DEFAULT_CONFIG } from "./config.ts";
import { validateConfig } from "./validate_config.ts";

/**
 * Builds the run config: defaults <- YAML file <- overrides, then validation.
 *
 * @param path A YAML file, or undefined for the defaults alone.
 * @param overrides `key.path=value` strings (values parsed as YAML scalars).
 * @returns The validated config.
 * @throws {ConfigError} On an unknown key, wrong type or bad value (key named).
 * @throws {SyntaxError} If the YAML does not parse (file, line and column named).
 */
export async function loadConfig(
  path: string | undefined,
  overrides: readonly string[] = [],
): Promise<Config> {
  let merged: unknown = structuredClone(DEFAULT_CONFIG);
  if (path !== undefined) {
    const text = await Deno.readTextFile(path);
    let parsed: unknown;
    try {
      parsed = parse(text);
    } catch (error) {
      throw new SyntaxError(`Cannot parse config "${path}": ${(error as Error).message}`);
    }
    if (parsed !== null && parsed !== undefined) merged = deepMerge(merged, parsed, "");
  }
  for (const override of overrides) merged = applyOverride(merged, override);
  return validateConfig(merged);
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
  const at = override.indexOf("=");
  if (at <= 0) throw new ConfigError(override, "an override must look like key.path=value");
  const keys = override.slice(0, at).replace(/^--/, "").split(".");
  const raw = override.slice(at + 1);
  let value: unknown;
  try {
    value = parse(raw);
  } catch {
    value = raw;
  }
  const patch = keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
  return deepMerge(config, patch, "");
}

function deepMerge(base: unknown, patch: unknown, path: string): unknown {
  if (!isRecord(patch)) return patch;
  if (!isRecord(base)) {
    throw new ConfigError(path || "(root)", "cannot set keys inside a value that is not a mapping");
  }
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    out[key] = key in base ? deepMerge(base[key], value, path ? `${path}.${key}` : key) : value;
  }
  return out;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
