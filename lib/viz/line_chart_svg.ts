/**
 * A small line chart as standalone SVG text: one or more panels stacked
 * vertically, sharing the x axis label, each with its own y axis, ticks, grid
 * and legend. No script, no external font or file: the SVG renders the same
 * in a browser, an `<img>` or inline in HTML. Used for the training curves of
 * a run (`curves.svg`) and for the experiment report.
 *
 * @module
 */

/** One line of a panel. */
export interface ChartSeries {
  /** Legend text. */
  readonly name: string;
  /** `[x, y]` points; non-finite ones are left out (the line breaks there). */
  readonly points: readonly (readonly [number, number])[];
  /** CSS colour (default: the palette, by position). */
  readonly color?: string;
  /** Dashed line. */
  readonly dashed?: boolean;
  /** Error bar half-heights, one per point (e.g. a std over seeds). */
  readonly errors?: readonly number[];
}

/** One panel: a y axis and its series. */
export interface ChartPanel {
  /** Text above the panel. */
  readonly title: string;
  readonly series: readonly ChartSeries[];
  /** Logarithmic y axis (non-positive values are left out). */
  readonly logY?: boolean;
  /** Force these y limits (default: the data's range, padded). */
  readonly yMin?: number;
  readonly yMax?: number;
}

/** Options of {@linkcode lineChartSvg}. */
export interface LineChartOptions {
  /** Text under the x axis, e.g. `epoch`. */
  readonly xLabel: string;
  /** Chart width in px (default 560). */
  readonly width?: number;
  /** Height of each panel's plot area in px (default 150). */
  readonly panelHeight?: number;
  /** Tick labels of the x axis at these values only (e.g. label fractions). */
  readonly xTicks?: readonly number[];
  /** Formats an x tick (default: compact number). */
  readonly xFormat?: (x: number) => string;
}

/** Colours of series without their own, in order (colour-blind friendly, Okabe-Ito). */
export const CHART_PALETTE = [
  "#0072b2",
  "#d55e00",
  "#009e73",
  "#cc79a7",
  "#e69f00",
  "#56b4e9",
  "#000000",
  "#f0e442",
] as const;

const MARGIN = { left: 64, right: 16, top: 12, bottom: 34 } as const;
const LEGEND_LINE = 14;

/**
 * Draws the panels as one SVG document.
 *
 * @param panels The panels, top to bottom.
 * @param options Axis label, sizes, x ticks.
 * @returns SVG text (`<svg xmlns=...>...</svg>`).
 * @throws {RangeError} If there is no panel.
 * @example
 * ```ts
 * import { lineChartSvg } from "./line_chart_svg.ts";
 * const svg = lineChartSvg([{ title: "loss", series: [{ name: "train", points: [[1, 0.9], [2, 0.5]] }] }],
 *   { xLabel: "epoch" });
 * if (!svg.startsWith("<svg") || !svg.includes("<polyline")) throw new Error(svg);
 * ```
 */
export function lineChartSvg(
  panels: readonly ChartPanel[],
  options: LineChartOptions,
): string {
  if (panels.length === 0) throw new RangeError("Cannot draw chart: no panels");
  const width = options.width ?? 560;
  const plotH = options.panelHeight ?? 150;
  const plotW = width - MARGIN.left - MARGIN.right;
  const allX = panels.flatMap((p) => p.series.flatMap((s) => s.points.map(([x]) => x)))
    .filter(Number.isFinite);
  const [x0, x1] = paddedRange(allX, false, 0);
  const xScale = (x: number) => MARGIN.left + ((x - x0) / (x1 - x0)) * plotW;
  const xTicks = options.xTicks ?? niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 70)));
  const xFormat = options.xFormat ?? formatNumber;
  const parts: string[] = [];
  let top = 0;
  panels.forEach((panel, k) => {
    const legendH = LEGEND_LINE * (1 + Math.ceil(panel.series.length / 3)); // title line + legend
    const y0 = top + MARGIN.top + legendH; // top of the plot area
    parts.push(drawPanel(panel, { k, top, y0, plotW, plotH, xScale, xTicks, xFormat }));
    top = y0 + plotH + MARGIN.bottom;
  });
  const height = top;
  parts.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${height - 6}" text-anchor="middle">${
      escapeXml(options.xLabel)
    }</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" ` +
    `viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="#ffffff"/>${parts.join("")}</svg>`;
}

interface PanelFrame {
  readonly k: number;
  readonly top: number;
  readonly y0: number;
  readonly plotW: number;
  readonly plotH: number;
  readonly xScale: (x: number) => number;
  readonly xTicks: readonly number[];
  readonly xFormat: (x: number) => string;
}

function drawPanel(panel: ChartPanel, f: PanelFrame): string {
  const log = panel.logY === true;
  const keep = ([x, y]: readonly [number, number]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!log || y > 0);
  const ys = panel.series.flatMap((s) =>
    s.points.flatMap((p, i) => {
      if (!keep(p)) return [];
      const e = s.errors?.[i] ?? 0;
      return log ? [p[1]] : [p[1] - e, p[1] + e];
    })
  );
  const t = (y: number) => (log ? Math.log10(y) : y);
  let [lo, hi] = paddedRange(ys.map(t), true, 0.05);
  if (panel.yMin !== undefined) lo = t(panel.yMin);
  if (panel.yMax !== undefined) hi = t(panel.yMax);
  if (!(hi > lo)) [lo, hi] = [lo - 0.5, lo + 0.5];
  const yScale = (y: number) => f.y0 + f.plotH - ((t(y) - lo) / (hi - lo)) * f.plotH;
  const left = MARGIN.left, right = MARGIN.left + f.plotW, bottom = f.y0 + f.plotH;
  const out: string[] = [];
  out.push(
    `<text x="${left}" y="${f.top + 14}" font-weight="bold">${escapeXml(panel.title)}</text>`,
  );
  // legend under the title, three entries per line
  panel.series.forEach((s, i) => {
    const color = seriesColor(s, i);
    const lx = left + (i % 3) * (f.plotW / 3);
    const ly = f.top + 14 + LEGEND_LINE * (1 + Math.floor(i / 3));
    out.push(
      `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${color}" ` +
        `stroke-width="2"${s.dashed ? ' stroke-dasharray="4 3"' : ""}/>` +
        `<text x="${lx + 22}" y="${ly}">${escapeXml(s.name)}</text>`,
    );
  });
  // y grid and ticks
  const yTicks = log ? logTicks(lo, hi) : niceTicks(lo, hi, Math.max(2, Math.floor(f.plotH / 35)));
  for (const v of yTicks) {
    const y = round(f.y0 + f.plotH - ((v - lo) / (hi - lo)) * f.plotH);
    if (y < f.y0 - 0.5 || y > bottom + 0.5) continue;
    out.push(
      `<line x1="${left}" y1="${y}" x2="${right}" y2="${y}" stroke="#e4e4e4"/>` +
        `<text x="${left - 4}" y="${y + 4}" text-anchor="end">${
          formatNumber(log ? 10 ** v : v)
        }</text>`,
    );
  }
  for (const v of f.xTicks) {
    const x = round(f.xScale(v));
    if (x < left - 0.5 || x > right + 0.5) continue;
    out.push(
      `<line x1="${x}" y1="${bottom}" x2="${x}" y2="${bottom + 4}" stroke="#444"/>` +
        `<text x="${x}" y="${bottom + 15}" text-anchor="middle">${escapeXml(f.xFormat(v))}</text>`,
    );
  }
  out.push(
    `<rect x="${left}" y="${f.y0}" width="${f.plotW}" height="${f.plotH}" fill="none" stroke="#444"/>`,
  );
  panel.series.forEach((s, i) => {
    const color = seriesColor(s, i);
    const dash = s.dashed ? ' stroke-dasharray="4 3"' : "";
    // a polyline per run of consecutive kept points
    let run: string[] = [];
    const flush = () => {
      if (run.length > 1) {
        out.push(
          `<polyline fill="none" stroke="${color}" stroke-width="1.8"${dash} points="${
            run.join(" ")
          }"/>`,
        );
      }
      run = [];
    };
    s.points.forEach((p, j) => {
      if (!keep(p)) return flush();
      const x = round(f.xScale(p[0])), y = round(yScale(p[1]));
      run.push(`${x},${y}`);
      const e = s.errors?.[j];
      if (e !== undefined && e > 0 && !log) {
        out.push(
          `<line x1="${x}" y1="${round(yScale(p[1] - e))}" x2="${x}" y2="${
            round(yScale(p[1] + e))
          }" stroke="${color}"/>`,
        );
      }
      if (s.points.length <= 12) {
        out.push(`<circle cx="${x}" cy="${y}" r="2.5" fill="${color}"/>`);
      }
    });
    flush();
  });
  return `<g>${out.join("")}</g>`;
}

function seriesColor(s: ChartSeries, i: number): string {
  return escapeXml(s.color ?? CHART_PALETTE[i % CHART_PALETTE.length] as string);
}

/** The data's range, padded by `pad` of its span; a single value gets +-0.5 (or +-1 on x). */
function paddedRange(values: readonly number[], isY: boolean, pad: number): [number, number] {
  const finite = values.filter(Number.isFinite);
  if (finite.length === 0) return [0, 1];
  let lo = Math.min(...finite), hi = Math.max(...finite);
  if (hi === lo) {
    const d = Math.abs(lo) > 0 ? Math.abs(lo) * 0.1 : isY ? 0.5 : 1;
    return [lo - d, hi + d];
  }
  const d = (hi - lo) * pad;
  lo -= d;
  hi += d;
  return [lo, hi];
}

/**
 * Round tick values covering `[lo, hi]`: steps of 1, 2 or 5 times a power of ten.
 *
 * @param lo Lower end.
 * @param hi Upper end.
 * @param count About how many ticks.
 * @returns Tick values inside `[lo, hi]`, ascending.
 * @example
 * ```ts
 * import { niceTicks } from "./line_chart_svg.ts";
 * if (niceTicks(0, 1, 5).join() !== "0,0.2,0.4,0.6,0.8,1") throw new Error("ticks");
 * ```
 */
export function niceTicks(lo: number, hi: number, count: number): number[] {
  if (!(hi > lo) || !Number.isFinite(lo) || !Number.isFinite(hi)) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw) ?? 10 * power;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    ticks.push(Number((Math.round(v / step) * step).toPrecision(12)));
  }
  return ticks;
}

/** Decade ticks in log10 units; at least the two ends when the range spans less than a decade. */
function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++) ticks.push(e);
  return ticks.length >= 2 ? ticks : niceTicks(lo, hi, 3);
}

/**
 * A compact label for a tick or value: up to 3 significant digits, exponent
 * form outside [1e-3, 1e5).
 *
 * @param v The value.
 * @returns The label.
 * @example
 * ```ts
 * import { formatNumber } from "./line_chart_svg.ts";
 * if (formatNumber(0.0001) !== "1e-4" || formatNumber(0.25) !== "0.25") throw new Error("format");
 * ```
 */
export function formatNumber(v: number): string {
  if (v === 0) return "0";
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e5) {
    const [m = "0", e = "0"] = v.toExponential(2).split("e");
    return `${Number(m)}e${Number(e)}`;
  }
  return String(Number(v.toPrecision(3)));
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

/**
 * Escapes `& < > " '` for XML text and attributes.
 *
 * @param text Any text.
 * @returns The escaped text.
 * @example
 * ```ts
 * import { escapeXml } from "./line_chart_svg.ts";
 * if (escapeXml('a<b & "c"') !== "a&lt;b &amp; &quot;c&quot;") throw new Error("escape");
 * ```
 */
export function escapeXml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string,
  );
}
