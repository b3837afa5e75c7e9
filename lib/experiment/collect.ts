/**
 * `--collect`: builds the grid's report from whatever cells have finished,
 * wherever they ran (the run folders are all it reads), into
 * `<outDir>/<name>/report/`:
 *
 * - `table.md`, `table.csv`, `table.json`: the results table (see `results_table.ts`);
 * - `report.html`: the self-contained page (see `report_html.ts`).
 *
 * @module
 */

import { writeAtomic } from "../io/write_atomic.ts";
import { readLog } from "../run/read_log.ts";
import { curvesSvg } from "../viz/run_curves.ts";
import { CELL_DONE_FILE, cellState, readJson } from "./cell_state.ts";
import type { GridPlan } from "./plan_grid.ts";
import { type ReportCell, reportHtml } from "./report_html.ts";
import {
  buildResultsTable,
  type CellResult,
  pretrainingVerdicts,
  type ResultsTable,
  tableCsv,
  tableMarkdown,
} from "./results_table.ts";
import type { CellRecord } from "./run_cell.ts";

/** Options of {@linkcode collectGrid}. */
export interface CollectOptions {
  /** Overlays per fine-tuning cell in the report (default 2). */
  readonly overlays?: number;
  /** The command line that made the grid, shown in the report. */
  readonly command?: string;
}

/** What {@linkcode collectGrid} wrote. */
export interface CollectResult {
  readonly dir: string;
  readonly table: ResultsTable;
  /** The markdown table with its heading, as in `table.md`. */
  readonly markdown: string;
  readonly counts: Readonly<Record<string, number>>;
}

/**
 * Collects the grid's finished cells into tables and the report.
 *
 * @param plan The grid.
 * @param options Overlays per cell, command line.
 * @returns The report folder, the table and the state counts.
 */
export async function collectGrid(
  plan: GridPlan,
  options: CollectOptions = {},
): Promise<CollectResult> {
  const g = plan.config;
  const cells: ReportCell[] = [];
  const results: CellResult[] = [];
  const counts: Record<string, number> = {};
  let split = "";
  let protocol = "";
  for (const cell of plan.cells) {
    const s = await cellState(cell);
    counts[s.state] = (counts[s.state] ?? 0) + 1;
    const record = s.state === "done"
      ? (await readJson(`${cell.runDir}/${CELL_DONE_FILE}`) as CellRecord)
      : null;
    const lines = await readLog(cell.runDir);
    const images: { caption: string; png: Uint8Array }[] = [];
    if (cell.stage === "pretrain") {
      const png = await readOptional(`${cell.runDir}/preview.png`);
      if (png) {
        images.push({ caption: cell.kind.previewCaption(cell.config), png });
      }
      if (record?.pretrainData) {
        const d = record.pretrainData;
        protocol = d.protocol === "inductive"
          ? `Pretraining (inductive, the default) saw only the training patients of the split: ` +
            `the ${d.excluded.length} validation and test patients were left out.`
          : "Pretraining (transductive) saw every image, validation and test patients included.";
      }
    } else {
      for (
        const name of (await listPngs(`${cell.runDir}/eval/overlays`)).slice(
          0,
          options.overlays ?? 2,
        )
      ) {
        const png = await readOptional(`${cell.runDir}/eval/overlays/${name}`);
        if (png) images.push({ caption: `overlay ${name.replace(/\.png$/, "")}`, png });
      }
      if (record?.finetune) {
        results.push({
          row: cell.row.name,
          fraction: cell.fraction,
          seed: cell.seed,
          summary: record.finetune.summary,
        });
        const sp = record.finetune.split;
        split =
          `${sp.train}/${sp.val}/${sp.test} train/val/test patients (split seed ${g.data.splitSeed})`;
      }
    }
    cells.push({
      index: cell.index,
      stage: cell.stage,
      id: cell.id,
      row: cell.row.name,
      fraction: cell.stage === "finetune" ? cell.fraction : null,
      seed: cell.seed,
      state: s.state,
      detail: s.detail,
      record,
      ...(cell.stage === "pretrain" ? { description: cell.kind.describe(cell.config) } : {}),
      curvesSvg: lines.length > 0 ? curvesSvg(lines, cell.stage, { width: 420 }) : "",
      images,
    });
  }
  const rowNames = g.rows.map((r) => r.name);
  const table = buildResultsTable(rowNames, g.fractions, results);
  const scratchRow = g.rows.find((r) => r.kind === "scratch")?.name ?? null;
  const verdicts = scratchRow === null ? [] : pretrainingVerdicts(table, scratchRow);
  if (protocol === "") {
    protocol = g.pretrainData === "inductive"
      ? "Pretraining (inductive, the default) sees only the training patients of the split."
      : "Pretraining (transductive) sees every image, validation and test patients included.";
  }
  const data = g.data.source === "phantoms"
    ? `${g.data.count} phantoms of ${g.data.size} px (data seed ${g.data.seed})`
    : `slice cache ${g.data.cacheDir}` +
      (g.data.pretrainCacheDir ? ` (pretraining: ${g.data.pretrainCacheDir})` : "");
  const facts = [
    `Data: ${data}${split ? `; ${split}` : ""}.`,
    protocol,
    ...(g.protocol === "custom" ? [] : [
      `Settings: protocol ${g.protocol} (its presets under each config's and the grid's own settings).`,
    ]),
    `Grid: ${plural(g.rows.length, "row")} x ${plural(g.fractions.length, "label fraction")} x ` +
    `${plural(g.seeds.length, "seed")}; ` +
    `${plan.cells.length} cells (${
      Object.entries(counts).map(([k, v]) => `${v} ${k}`).join(", ")
    }).`,
    ...(options.command ? [`Command: ${options.command}`] : []),
  ];
  const title = g.title || g.name;
  const dir = `${plan.dir}/report`;
  await Deno.mkdir(dir, { recursive: true });
  const markdown =
    `# ${title}\n\n${g.notes ? `${g.notes}\n\n` : ""}${facts.map((f) => `- ${f}`).join("\n")}\n\n` +
    "Entries: mean ± sample std over seeds of the per-case test means (DSC, PPV, Sen, bIoU in %, " +
    "HD95 in mm); n = seeds finished; best per column in bold.\n\n" + tableMarkdown(table);
  await writeAtomic(`${dir}/table.md`, markdown);
  await writeAtomic(`${dir}/table.csv`, tableCsv(table));
  await writeAtomic(
    `${dir}/table.json`,
    JSON.stringify({ title, facts, table, verdicts, counts }, null, 2) + "\n",
  );
  await writeAtomic(
    `${dir}/report.html`,
    reportHtml({
      title,
      notes: g.notes,
      facts,
      table,
      verdicts,
      scratchRow,
      cells,
      generatedAt: new Date().toISOString(),
    }),
  );
  return { dir, table, markdown, counts };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

async function readOptional(path: string): Promise<Uint8Array | null> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

async function listPngs(dir: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.isFile && e.name.endsWith(".png")) names.push(e.name);
      if (e.isDirectory) {
        for (const n of await listPngs(`${dir}/${e.name}`)) names.push(`${e.name}/${n}`);
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
