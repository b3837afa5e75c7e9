/**
 * Reads an environment variable, treating "not permitted" like "not set", so
 * permission-scoped tasks need no `--allow-env` for optional knobs.
 *
 * @param name The variable.
 * @returns Its value, or undefined.
 */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}
