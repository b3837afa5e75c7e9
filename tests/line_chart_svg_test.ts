import assert from "node:assert/strict";
import { lineChartSvg, niceTicks } from "../lib/viz/line_chart_svg.ts";
import { curvePanels, writeCurves } from "../lib/viz/run_curves.ts";

function polylines(svg: string): [number, number][][] {
  return [...svg.matchAll(/<polyline[^>]* points="([^"]+)"/g)].map((m) =>
    m[1]!.split(" ").map((p) => p.split(",").map(Number) as [number, number])
  );
}

Deno.test("lineChartSvg() maps x left to right and larger y higher, breaks lines at non-finite points", () => {
  const svg = lineChartSvg([{
    title: "loss <train> & val",
    series: [{ name: "a", points: [[1, 0], [2, 1], [3, 0.5], [4, NaN], [5, 0.2], [6, 0.1]] }],
  }], { xLabel: "epoch" });
  const lines = polylines(svg);
  assert.equal(lines.length, 2, "NaN splits the line");
  const [first, second] = lines as [[number, number][], [number, number][]];
  assert.equal(first.length, 3);
  assert.ok(first[0]![0] < first[1]![0] && first[1]![0] < first[2]![0]);
  assert.ok(first[1]![1] < first[0]![1], "y = 1 is above y = 0");
  assert.ok(first[2]![1] > first[1]![1] && first[2]![1] < first[0]![1]);
  assert.ok(second[0]![0] > first[2]![0]);
  assert.ok(svg.includes("loss &lt;train&gt; &amp; val"), "text is escaped");
  assert.ok(!svg.includes("NaN"));
});

Deno.test("lineChartSvg() stacks panels with their own y axes, draws error bars, drops y <= 0 on a log axis", () => {
  const svg = lineChartSvg([
    { title: "p1", series: [{ name: "m", points: [[5, 50], [10, 60]], errors: [2, 3] }] },
    { title: "p2", logY: true, series: [{ name: "lr", points: [[1, 1e-3], [2, 0], [3, 1e-4]] }] },
  ], { xLabel: "x", xTicks: [5, 10] });
  assert.equal(polylines(svg).length, 1, "the log panel's 0 breaks its line into single points");
  assert.equal((svg.match(/<circle/g) ?? []).length, 2 + 2);
  const bars = [
    ...svg.matchAll(/<line x1="([\d.]+)" y1="([\d.]+)" x2="\1" y2="([\d.]+)" stroke="#0072b2"\/>/g),
  ];
  assert.equal(bars.length, 2);
  assert.ok(
    Math.abs(Number(bars[1]![2]) - Number(bars[1]![3])) >
      Math.abs(Number(bars[0]![2]) - Number(bars[0]![3])),
  );
  assert.ok(svg.includes(">0.001<") && svg.includes(">1e-4<"), "decade ticks");
  assert.deepEqual(niceTicks(0.03, 0.51, 5), [0.1, 0.2, 0.3, 0.4, 0.5]);
  assert.throws(() => lineChartSvg([], { xLabel: "x" }), RangeError);
});

Deno.test("writeCurves() draws log.jsonl's last line per epoch: pretraining loss and reconstruction, fine-tuning val Dice", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/log.jsonl`,
    [
      { epoch: 0, loss: 1.2, reconstruction: 1, lr: 1e-3 },
      { epoch: 1, loss: 0.9, reconstruction: 0.8, lr: 2e-3 },
      { epoch: 1, loss: 0.7, reconstruction: 0.6, lr: 2e-3 }, // logged again after a resume
    ].map((l) => JSON.stringify(l)).join("\n") + '\n{"epoch": 2, "lo',
  );
  await writeCurves(dir, "pretrain");
  const svg = await Deno.readTextFile(`${dir}/curves.svg`);
  const lines = polylines(svg);
  assert.equal(lines.length, 3, "loss, reconstruction, lr");
  assert.equal(lines[0]!.length, 2, "one point per epoch");
  assert.ok(svg.includes("reconstruction term"));
  const fine = curvePanels([
    { epoch: 0, loss: 1, lr: 1 },
    { epoch: 1, loss: 0.5, lr: 1, valDice: 0.4 },
    { epoch: 2, loss: 0.4, lr: 1 },
    { epoch: 3, loss: 0.3, lr: 1, valDice: 0.6 },
  ], "finetune");
  assert.deepEqual(fine[1]!.series[0]!.points, [[2, 0.4], [4, 0.6]]);
  const same = curvePanels([{ epoch: 0, loss: 1, reconstruction: 1, lr: 1 }], "pretrain");
  assert.equal(same[0]!.series.length, 1, "no second line when the loss is the reconstruction");
  const contrastive = curvePanels([
    { epoch: 0, loss: 4.2, reconstruction: null, lr: 1 },
    { epoch: 1, loss: 4.1, reconstruction: null, lr: 1 },
  ], "pretrain");
  assert.deepEqual(
    contrastive[0]!.series.map((s) => s.name),
    ["loss"],
    "no empty reconstruction line for a contrastive run",
  );
  await Deno.remove(dir, { recursive: true });
});
