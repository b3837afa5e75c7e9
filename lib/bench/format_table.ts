/**
 * A markdown table from rows of cells, columns padded to their widest cell,
 * numbers right-aligned.
 *
 * @module
 */

/**
 * Formats a table.
 *
 * @param header Column titles.
 * @param rows Cells (strings as they are; numbers already formatted by the caller).
 * @returns The table, one line per row, with a separator after the header.
 * @example
 * ```ts
 * import { formatTable } from "./format_table.ts";
 * const t = formatTable(["a", "b"], [["x", "1.0"]]);
 * if (!t.includes("| x | 1.0 |")) throw new Error(t);
 * ```
 */
export function formatTable(
  header: readonly string[],
  rows: readonly (readonly string[])[],
): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const numeric = header.map((_, i) => rows.every((r) => /^[-+0-9.,x%e ]*$/.test(r[i] ?? "")));
  const line = (cells: readonly string[]) =>
    "| " +
    cells.map((c, i) => numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)).join(" | ") +
    " |";
  const rule = "|" +
    widths.map((w, i) => (numeric[i] ? "-".repeat(w + 1) + ":" : "-".repeat(w + 2)))
      .join("|") +
    "|";
  return [line(header), rule, ...rows.map(line)].join("\n");
}
