/**
 * The training curves of a run as SVG, drawn from its `log.jsonl`:
 *
 * - pretraining: the trained loss and its reconstruction term (the loss on
 *   removed patches alone, comparable across methods), and the learning rate;
 * - fine-tuning: the training loss, the validation Dice (at the epochs it was
 *   measured) and the learning rate.
 *
 * Runs write `curves.svg` at each checkpoint; the experiment report draws the
 * same charts.
 *
 * @module
 */

import { writeAtomic } from "../io/write_atomic.ts";
import { type LogLine, readLog } from "../run/read_log.ts";
import { type ChartPanel, type ChartSeries, lineChartSvg } from "./line_chart_svg.ts";

/** Which kind of run wrote the log. */
export type RunKind = "pretrain" | "finetune";

/**
 * The chart panels of a run's log.
 *
 * @param lines The log lines (`epoch` 0-based; drawn at epoch + 1).
 * @param kind Pretraining or fine-tuning.
 * @returns The panels, top to bottom.
 * @example
 * ```ts
 * import { curvePanels } from "./run_curves.ts";
 * const panels = curvePanels([{ epoch: 0, loss: 1, lr: 1e-3, valDice: 0.5 }], "finetune");
 * if (panels.map((p) => p.title).join() !== "training loss,validation Dice,learning rate") throw new Error();
 * ```
 */
export function curvePanels(lines: readonly LogLine[], kind: RunKind): ChartPanel[] {
  const series = (key: string, name: string, extra: Partial<ChartSeries> = {}): ChartSeries => ({
    name,
    points: lines.flatMap((l) => {
      const v = l[key];
      return typeof v === "number" ? [[l.epoch + 1, v] as const] : [];
    }),
    ...extra,
  });
  const lr: ChartPanel = {
    title: "learning rate",
    series: [series("lr", "lr", { color: "#555" })],
  };
  if (kind === "pretrain") {
    const loss = series("loss", "loss");
    const rec = series("reconstruction", "reconstruction term", { dashed: true });
    // contrastive runs log no reconstruction term (null); MAE's equals its loss
    const same = rec.points.length === 0 ||
      loss.points.every(([, v], i) => v === rec.points[i]?.[1]);
    return [
      { title: "pretraining loss", series: same ? [loss] : [loss, rec] },
      lr,
    ];
  }
  return [
    { title: "training loss", series: [series("loss", "loss")] },
    {
      title: "validation Dice",
      series: [series("valDice", "val Dice", { color: "#009e73" })],
      yMin: 0,
      yMax: 1,
    },
    lr,
  ];
}

/**
 * The curves of a run's log as one SVG document.
 *
 * @param lines The log lines.
 * @param kind Pretraining or fine-tuning.
 * @param options Chart width (default 560).
 * @returns SVG text.
 */
export function curvesSvg(
  lines: readonly LogLine[],
  kind: RunKind,
  options: { readonly width?: number } = {},
): string {
  return lineChartSvg(curvePanels(lines, kind), {
    xLabel: "epoch",
    panelHeight: 120,
    ...(options.width ? { width: options.width } : {}),
  });
}

/**
 * Writes `<runDir>/curves.svg` from `<runDir>/log.jsonl` (atomically).
 *
 * @param runDir The run folder.
 * @param kind Pretraining or fine-tuning.
 * @returns The path written.
 */
export async function writeCurves(runDir: string, kind: RunKind): Promise<string> {
  const path = `${runDir}/curves.svg`;
  await writeAtomic(path, curvesSvg(await readLog(runDir), kind) + "\n");
  return path;
}
