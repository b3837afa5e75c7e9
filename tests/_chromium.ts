/**
 * Opens a local HTML file in headless Debian chromium and reports what the
 * page logged and what a probe expression found, through the DevTools
 * protocol (a WebSocket to the page target). Tests skip with a message where
 * no chromium is installed (`.ci/run` installs it).
 */

/** The chromium binary, or null when none is installed. */
export const CHROMIUM: string | null = await findChromium();

async function findChromium(): Promise<string | null> {
  for (const path of ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]) {
    if (await Deno.stat(path).then((s) => s.isFile, () => false)) return path;
  }
  return null;
}

/** What a page did. */
export interface PageReport {
  /** Console errors and warnings, uncaught exceptions, and browser log errors (CSP, failed loads). */
  readonly errors: string[];
  /** The probe expression's value (JSON-serialisable). */
  readonly probe: unknown;
}

/**
 * Loads `file` and evaluates `probe` (a JS expression) once the load event fired.
 *
 * @param file An absolute path to an HTML file.
 * @param probe A JS expression returning plain data.
 * @returns Errors seen and the probe's value.
 */
export async function openInChromium(file: string, probe: string): Promise<PageReport> {
  if (!CHROMIUM) throw new Error("no chromium");
  const profile = await Deno.makeTempDir({ prefix: "medmim_chromium_" });
  const child = new Deno.Command(CHROMIUM, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-dev-shm-usage",
      `--user-data-dir=${profile}`,
      "--remote-debugging-port=0",
      "about:blank",
    ],
    stdout: "null",
    stderr: "null",
  }).spawn();
  try {
    const port = await waitForPort(`${profile}/DevToolsActivePort`);
    const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json() as {
      type: string;
      webSocketDebuggerUrl: string;
    }[];
    const page = targets.find((t) => t.type === "page");
    if (!page) throw new Error("chromium opened no page target");
    return await drive(page.webSocketDebuggerUrl, `file://${file}`, probe);
  } finally {
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
    await child.status;
    await Deno.remove(profile, { recursive: true }).catch(() => {});
  }
}

async function waitForPort(path: string): Promise<number> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const text = await Deno.readTextFile(path).catch(() => "");
    const port = Number(text.split("\n")[0]);
    if (port > 0) return port;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("chromium did not open its DevTools port within 30 s");
}

async function drive(url: string, page: string, probe: string): Promise<PageReport> {
  const ws = new WebSocket(url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error("cannot connect to chromium's DevTools"));
  });
  const errors: string[] = [];
  const pending = new Map<number, (v: Record<string, unknown>) => void>();
  let loaded: () => void = () => {};
  const load = new Promise<void>((r) => (loaded = r));
  ws.onmessage = (event) => {
    const msg = JSON.parse(String(event.data));
    if (msg.id !== undefined) {
      pending.get(msg.id)?.(msg);
      return;
    }
    const p = msg.params ?? {};
    if (msg.method === "Page.loadEventFired") loaded();
    if (msg.method === "Runtime.exceptionThrown") {
      errors.push(
        `exception: ${p.exceptionDetails?.exception?.description ?? p.exceptionDetails?.text}`,
      );
    }
    if (
      msg.method === "Runtime.consoleAPICalled" && ["error", "warning", "assert"].includes(p.type)
    ) {
      errors.push(
        `console.${p.type}: ${(p.args ?? []).map((a: { value?: unknown }) => a.value).join(" ")}`,
      );
    }
    if (msg.method === "Log.entryAdded" && ["error", "warning"].includes(p.entry?.level)) {
      errors.push(
        `log ${p.entry.level} (${p.entry.source}): ${p.entry.text} ${p.entry.url ?? ""}`.trim(),
      );
    }
  };
  let next = 1;
  const send = (method: string, params: Record<string, unknown> = {}) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      ws.send(JSON.stringify({ id, method, params }));
    });
  try {
    await send("Page.enable");
    await send("Runtime.enable");
    await send("Log.enable");
    await send("Page.navigate", { url: page });
    await Promise.race([
      load,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error("page did not load in 60 s")), 60_000)
      ),
    ]);
    await new Promise((r) => setTimeout(r, 300)); // late console messages
    const result = await send("Runtime.evaluate", {
      expression: `JSON.stringify(${probe})`,
      returnByValue: true,
    }) as { result?: { result?: { value?: string } } };
    const value = result.result?.result?.value;
    return { errors, probe: value === undefined ? undefined : JSON.parse(value) };
  } finally {
    ws.close();
  }
}
