/**
 * The grid's `report.html`: one self-contained page (no script, no network:
 * a Content-Security-Policy forbids every fetch; images are inlined as data
 * URLs, charts as inline SVG) with the verdict "does pretraining help", the
 * results table, a DSC-by-label-fraction chart, per pretraining row its
 * curves, reconstructions and masked patches, per cell its curves, overlays,
 * metrics, wall time, machine, backend and versions.
 *
 * @module
 */

import { encodeBase64 } from "../io/base64.ts";
import { escapeXml as esc, lineChartSvg } from "../viz/line_chart_svg.ts";
import type { CellStateName } from "./cell_state.ts";
import type { MachineInfo } from "./machine_info.ts";
import type { CellRecord } from "./run_cell.ts";
import {
  formatEntry,
  percentKey,
  type ResultsTable,
  TABLE_METRICS,
  type Verdict,
} from "./results_table.ts";

/** One cell as the report shows it. */
export interface ReportCell {
  readonly index: number;
  readonly stage: "pretrain" | "finetune";
  readonly id: string;
  readonly row: string;
  readonly fraction: number | null;
  readonly seed: number;
  readonly state: CellStateName;
  /** The state's detail (an error for failed cells). */
  readonly detail: string;
  readonly record: CellRecord | null;
  /** Pretraining: one line on the method. */
  readonly description?: string;
  /** SVG of the run's curves ("" when it has no log). */
  readonly curvesSvg: string;
  /** PNG files to show (preview for pretraining, overlays for fine-tuning). */
  readonly images: readonly { readonly caption: string; readonly png: Uint8Array }[];
}

/** Everything the page shows. */
export interface ReportModel {
  readonly title: string;
  readonly notes: string;
  /** Lines describing the grid (data, protocol, split, command). */
  readonly facts: readonly string[];
  readonly table: ResultsTable;
  readonly verdicts: readonly Verdict[];
  readonly scratchRow: string | null;
  readonly cells: readonly ReportCell[];
  readonly generatedAt: string;
}

const STYLE = `
body{font-family:sans-serif;margin:24px;color:#222;max-width:1400px}
table{border-collapse:collapse;margin:8px 0 16px}
th,td{border:1px solid #ccc;padding:3px 7px;font-size:13px}
th{background:#f2f2f2}td.num{text-align:right;white-space:nowrap}
.helps{color:#05662d}.hurts{color:#a11}.note{color:#555}
.figs{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-start}
figure{margin:0}figcaption{font-size:12px;color:#444}
img{image-rendering:pixelated;border:1px solid #ddd}
details{margin:6px 0}summary{cursor:pointer}
code{background:#f4f4f4;padding:0 3px}
`;

/**
 * Renders the report.
 *
 * @param model What to show.
 * @returns The HTML document.
 * @example
 * ```ts
 * import { reportHtml } from "./report_html.ts";
 * import { buildResultsTable } from "./results_table.ts";
 * const html = reportHtml({ title: "t", notes: "", facts: [], table: buildResultsTable(["a"], [0.1], []),
 *   verdicts: [], scratchRow: null, cells: [], generatedAt: "now" });
 * if (!html.includes("<table") || !html.includes("Content-Security-Policy")) throw new Error();
 * ```
 */
export function reportHtml(model: ReportModel): string {
  const out: string[] = [];
  out.push(
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">`,
    `<title>${esc(model.title)}</title><style>${STYLE}</style></head><body>`,
    `<h1>${esc(model.title)}</h1>`,
  );
  if (model.notes) out.push(`<p class="note">${esc(model.notes)}</p>`);
  out.push(`<ul>${model.facts.map((f) => `<li>${esc(f)}</li>`).join("")}</ul>`);
  out.push(`<p class="note">Generated ${esc(model.generatedAt)}.</p>`);

  out.push("<h2>Does pretraining help?</h2>", verdictsHtml(model));
  out.push("<h2>Results</h2>", tableHtml(model.table));
  out.push(
    `<p class="note">Test split; metrics per case, then the mean over cases; each entry is the mean ± ` +
      `sample standard deviation of those test means over seeds; n = seeds finished; best per column ` +
      `in bold (HD95: lowest). Also as <a href="table.md">table.md</a>, <a href="table.csv">table.csv</a>, ` +
      `<a href="table.json">table.json</a>.</p>`,
  );
  out.push(fractionChart(model.table));

  const pre = model.cells.filter((c) => c.stage === "pretrain");
  if (pre.length > 0) {
    out.push("<h2>Pretraining</h2>");
    for (const c of pre) {
      out.push(`<h3>${esc(c.row)} <small>(cell ${c.index}, ${esc(c.id)}: ${c.state})</small></h3>`);
      if (c.description) out.push(`<p>${esc(c.description)}</p>`);
      const d = c.record?.pretrainData;
      if (d) {
        out.push(
          `<p>${d.slices} slices of ${d.patients} patients, ${d.protocol}` +
            (d.protocol === "inductive"
              ? ` (the ${d.excluded.length} validation and test patients left out)`
              : " (validation and test images included)") +
            `; ${wall(c.record)}</p>`,
        );
      }
      if (c.state === "failed") out.push(`<p class="hurts">${esc(c.detail)}</p>`);
      out.push(`<div class="figs">${c.curvesSvg}${imagesHtml(c.images)}</div>`);
    }
  }

  out.push("<h2>Cells</h2>", cellsTable(model.cells));
  const fine = model.cells.filter((c) => c.stage === "finetune" && (c.record || c.curvesSvg));
  for (const c of fine) {
    const s = c.record?.finetune;
    out.push(
      `<details><summary>cell ${c.index}: ${esc(c.row)}, ${percentKey(c.fraction ?? 0)}% labels, ` +
        `seed ${c.seed} (${c.state})</summary>`,
    );
    if (s) {
      out.push(
        `<p>init: ${esc(s.init)}; best validation Dice ${s.bestValDice.toFixed(4)} at epoch ` +
          `${s.bestEpoch}; test: ${s.summary.n} cases, DSC ${pct(s.summary.dsc.mean)}, PPV ` +
          `${pct(s.summary.ppv.mean)}, Sen ${pct(s.summary.sen.mean)}, bIoU ${
            pct(s.summary.biou.mean)
          }, ` +
          `HD95 ${s.summary.hd95.mean.toFixed(2)} mm; split ${s.split.train}/${s.split.val}/` +
          `${s.split.test}; ${wall(c.record)}</p>`,
      );
    }
    out.push(`<div class="figs">${c.curvesSvg}${imagesHtml(c.images)}</div></details>`);
  }
  out.push("<h2>Machines and versions</h2>", machinesHtml(model.cells));
  out.push("</body></html>");
  return out.join("\n") + "\n";
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

function wall(record: CellRecord | null): string {
  if (!record) return "";
  return `wall time ${record.wallSeconds.toFixed(1)} s` +
    (record.resumedAtEpoch > 0 ? ` (resumed after ${record.resumedAtEpoch} epochs)` : "") +
    ` on ${record.machine.hostname}, ${record.machine.backend}`;
}

function verdictsHtml(model: ReportModel): string {
  if (model.scratchRow === null) {
    return '<p class="note">The grid has no scratch row to compare against.</p>';
  }
  if (model.verdicts.length === 0) return '<p class="note">No pretrained row.</p>';
  const items = model.verdicts.map((v) => {
    const diff = v.diff === null
      ? ""
      : ` ${v.diff >= 0 ? "+" : ""}${(100 * v.diff).toFixed(2)} DSC points`;
    const se = v.se === null ? "" : ` (± ${(100 * v.se).toFixed(2)} standard error)`;
    const cls = v.verdict === "helps" ? "helps" : v.verdict === "hurts" ? "hurts" : "note";
    return `<li>${percentKey(v.fraction)}% labels, ${esc(v.row)} vs ${esc(model.scratchRow!)}:` +
      `${diff}${se}: <b class="${cls}">${v.verdict}</b></li>`;
  });
  return `<ul>${
    items.join("")
  }</ul><p class="note">"helps": the DSC difference of the means over ` +
    `seeds exceeds twice its standard error; "hurts": below minus twice; otherwise no clear difference.</p>`;
}

function tableHtml(table: ResultsTable): string {
  const top = ['<th rowspan="2">method</th>'];
  const sub: string[] = [];
  for (const f of table.fractions) {
    top.push(`<th colspan="${TABLE_METRICS.length + 1}">${percentKey(f)}% labels</th>`);
    sub.push("<th>n</th>", ...TABLE_METRICS.map((m) => `<th>${m.label} (${m.unit})</th>`));
  }
  const body = table.rows.map((row) => {
    const cells = [`<td>${esc(row)}</td>`];
    for (const f of table.fractions) {
      const byMetric = table.entries[row]![percentKey(f)]!;
      cells.push(`<td class="num">${byMetric.dsc.n}</td>`);
      for (const m of TABLE_METRICS) {
        const e = byMetric[m.key];
        const text = esc(formatEntry(e, m.key));
        cells.push(`<td class="num">${e.best ? `<b>${text}</b>` : text}</td>`);
      }
    }
    return `<tr>${cells.join("")}</tr>`;
  });
  return `<table id="results"><thead><tr>${top.join("")}</tr><tr>${sub.join("")}</tr></thead>` +
    `<tbody>${body.join("")}</tbody></table>`;
}

/** DSC (mean, error bar = std) by label fraction, one line per row. */
function fractionChart(table: ResultsTable): string {
  const series = table.rows.map((row) => {
    const pts = table.fractions.map((f) => table.entries[row]![percentKey(f)]!.dsc);
    return {
      name: row,
      points: table.fractions.map((f, i) => [100 * f, 100 * (pts[i]!.mean ?? NaN)] as const),
      errors: pts.map((e) => 100 * (e.std ?? 0)),
    };
  });
  return lineChartSvg([{ title: "test DSC (%) by label fraction", series }], {
    xLabel: "labelled training patients (%)",
    xTicks: table.fractions.map((f) => 100 * f),
    panelHeight: 200,
  });
}

function imagesHtml(images: ReportCell["images"]): string {
  return images.map((im) =>
    `<figure><img alt="${esc(im.caption)}" src="data:image/png;base64,${encodeBase64(im.png)}">` +
    `<figcaption>${esc(im.caption)}</figcaption></figure>`
  ).join("");
}

function cellsTable(cells: readonly ReportCell[]): string {
  const head = [
    "cell",
    "stage",
    "row",
    "labels",
    "seed",
    "state",
    "wall s",
    "test DSC (%)",
    "host",
    "backend",
    "detail",
  ];
  const rows = cells.map((c) => {
    const r = c.record;
    const dsc = r?.finetune ? (100 * r.finetune.summary.dsc.mean).toFixed(2) : "";
    const detail = c.state === "done" ? "" : c.detail;
    return `<tr><td class="num">${c.index}</td><td>${c.stage}</td><td>${esc(c.row)}</td>` +
      `<td class="num">${c.fraction === null ? "" : `${percentKey(c.fraction)}%`}</td>` +
      `<td class="num">${c.seed}</td><td class="${
        c.state === "failed" ? "hurts" : ""
      }">${c.state}</td>` +
      `<td class="num">${r ? r.wallSeconds.toFixed(1) : ""}</td><td class="num">${dsc}</td>` +
      `<td>${esc(r?.machine.hostname ?? "")}</td><td>${esc(r?.machine.backend ?? "")}</td>` +
      `<td>${esc(detail)}</td></tr>`;
  });
  return `<table id="cells"><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>${
    rows.join("")
  }</table>`;
}

function machinesHtml(cells: readonly ReportCell[]): string {
  const seen = new Map<string, { m: MachineInfo; cells: number[] }>();
  for (const c of cells) {
    const m = c.record?.machine;
    if (!m) continue;
    const key = JSON.stringify(m);
    const entry = seen.get(key) ?? { m, cells: [] };
    entry.cells.push(c.index);
    seen.set(key, entry);
  }
  if (seen.size === 0) return '<p class="note">No finished cell yet.</p>';
  const head = [
    "cells",
    "host",
    "cores",
    "memory (GiB)",
    "OS",
    "backend",
    "Deno",
    "V8",
    "tfjs",
    "medmim",
  ];
  const rows = [...seen.values()].map(({ m, cells }) =>
    `<tr><td>${cells.join(", ")}</td><td>${esc(m.hostname)}</td><td class="num">${m.cpus}</td>` +
    `<td class="num">${m.memoryGiB}</td><td>${esc(m.os)}</td><td>${esc(m.backend)}: ${
      esc(m.backendReason)
    }</td>` +
    `<td>${esc(m.deno)}</td><td>${esc(m.v8)}</td><td>${esc(m.tfjs)}</td><td>${
      esc(m.medmim)
    }</td></tr>`
  );
  return `<table id="machines"><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr>${
    rows.join("")
  }</table>`;
}
