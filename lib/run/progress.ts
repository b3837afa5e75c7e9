/**
 * A one-line progress display on stderr: rewritten in place on a terminal,
 * one line every few seconds otherwise (CI logs, files).
 *
 * @module
 */

/** Formats seconds as `1h02m`, `3m05s` or `42s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "?";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}

/** A progress line writer. */
export class Progress {
  readonly #tty = Deno.stderr.isTerminal();
  readonly #encoder = new TextEncoder();
  #lastPrint = 0;
  #width = 0;

  /**
   * Shows `text` (throttled to every 5 s when stderr is not a terminal).
   *
   * @param text The status line.
   * @param force Print even if throttled.
   */
  update(text: string, force = false): void {
    const now = performance.now();
    if (this.#tty) {
      const pad = " ".repeat(Math.max(0, this.#width - text.length));
      Deno.stderr.writeSync(this.#encoder.encode(`\r${text}${pad}`));
      this.#width = text.length;
    } else if (force || now - this.#lastPrint > 5000) {
      Deno.stderr.writeSync(this.#encoder.encode(`${text}\n`));
      this.#lastPrint = now;
    }
  }

  /** Ends the in-place line, so the next output starts on a new line. */
  done(): void {
    if (this.#tty && this.#width > 0) Deno.stderr.writeSync(this.#encoder.encode("\n"));
    this.#width = 0;
  }
}
