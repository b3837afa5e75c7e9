import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { CHROMIUM, openInChromium } from "./_chromium.ts";
import { TEST_MACHINE, tinyGrid } from "./_tiny_grid.ts";

if (!CHROMIUM) {
  console.warn(
    "experiment_report_test: no chromium (apt-get install chromium); the browser tests are skipped",
  );
}

const PROBE = `({
  rows: [...document.querySelectorAll("#results tbody tr")].map((tr) =>
    [...tr.querySelectorAll("td")].map((td) => td.textContent)),
  bold: document.querySelectorAll("#results b").length,
  images: [...document.images].map((i) => ({ ok: i.complete && i.naturalWidth > 0, w: i.naturalWidth, alt: i.alt })),
  svgs: document.querySelectorAll("svg").length,
  polylines: document.querySelectorAll("svg polyline").length,
  text: document.body.innerText,
})`;

Deno.test({
  name: "openInChromium() sees a page's console errors and failed loads (the harness can fail)",
  ignore: !CHROMIUM,
  async fn() {
    const dir = await Deno.makeTempDir();
    await Deno.writeTextFile(
      `${dir}/bad.html`,
      `<!DOCTYPE html><html><body><img src="missing.png"><script>console.error("boom")</script></body></html>`,
    );
    const page = await openInChromium(`${dir}/bad.html`, "document.images[0].naturalWidth");
    assert.equal(page.probe, 0);
    assert.ok(page.errors.some((e) => e.includes("boom")), page.errors.join("\n"));
    assert.ok(
      page.errors.some((e) => /missing\.png|ERR_FILE_NOT_FOUND/.test(e)),
      page.errors.join("\n"),
    );
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name:
    "report.html of a tiny grid loads in headless chromium with no console error and shows the table, charts and images",
  ignore: !CHROMIUM,
  async fn() {
    await setupWasmBackend({ threads: 1 });
    const dir = await Deno.makeTempDir();
    const plan = await tinyGrid(dir, ["fractions=[0.1]", "rows.SimMIM=null"]);
    await runGrid(plan, { machine: TEST_MACHINE, progress: null, log: () => {} });
    const collected = await collectGrid(plan);
    const html = await Deno.readTextFile(`${collected.dir}/report.html`);
    assert.ok(!/(src|href)="(https?:)?\/\//.test(html), "nothing is fetched from the network");
    const page = await openInChromium(`${collected.dir}/report.html`, PROBE);
    assert.deepEqual(page.errors, []);
    const probe = page.probe as {
      rows: string[][];
      bold: number;
      images: { ok: boolean; w: number; alt: string }[];
      svgs: number;
      polylines: number;
      text: string;
    };
    assert.deepEqual(probe.rows.map((r) => r[0]), ["scratch", "MAE (BASE)"]);
    for (const r of probe.rows) {
      assert.equal(r[1], "2", "n = 2 seeds");
      for (const v of r.slice(2)) assert.match(v ?? "", /^\d+\.\d\d ± \d+\.\d\d$/);
    }
    // the page shows the numbers of table.md
    const md = await Deno.readTextFile(`${collected.dir}/table.md`);
    for (const r of probe.rows) assert.ok(md.includes(r[2]!), `${r[2]} is in table.md`);
    assert.ok(probe.bold >= 5, "a best entry per column");
    const previews = probe.images.filter((i) => i.alt.startsWith("input"));
    const overlays = probe.images.filter((i) => i.alt.startsWith("overlay"));
    assert.equal(previews.length, 1, "one pretraining row");
    assert.equal(overlays.length, 4 * 2, "two overlays per fine-tuning cell");
    assert.ok(probe.images.every((i) => i.ok && i.w >= 200), JSON.stringify(probe.images));
    // curves: one per cell, plus the DSC-by-fraction chart
    assert.ok(probe.svgs >= plan.cells.length + 1, `${probe.svgs} charts`);
    assert.ok(probe.polylines > plan.cells.length);
    assert.match(probe.text, /Does pretraining help\?/);
    assert.match(probe.text, /inductive/);
    assert.match(probe.text, /Machines and versions/);
    await Deno.remove(dir, { recursive: true });
  },
});
