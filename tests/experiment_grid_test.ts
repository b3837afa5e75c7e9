import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { loadSplits } from "../lib/data/splits.ts";
import { cellState, readJson } from "../lib/experiment/cell_state.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import { MIM_KIND, registerPretrainKind } from "../lib/experiment/pretrain_kinds.ts";
import type { FinetuneCell, PretrainCell } from "../lib/experiment/plan_grid.ts";
import { type CellRecord, runCell } from "../lib/experiment/run_cell.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { percentKey } from "../lib/experiment/results_table.ts";
import { TEST_MACHINE, tinyGrid } from "./_tiny_grid.ts";

await setupWasmBackend({ threads: 1 });
const quiet = { machine: TEST_MACHINE, progress: null, log: () => {} } as const;

Deno.test("runGrid() runs every cell, shares one pretraining per row, skips finished cells, and collectGrid() tabulates them", async () => {
  const dir = await Deno.makeTempDir();
  const plan = await tinyGrid(dir);
  const pre = plan.cells.filter((c): c is PretrainCell => c.stage === "pretrain");
  const fine = plan.cells.filter((c): c is FinetuneCell => c.stage === "finetune");
  assert.deepEqual(pre.map((c) => c.index), [0, 1], "pretraining cells first");
  assert.equal(fine.length, 3 * 2 * 2);
  for (const c of fine) {
    assert.equal(
      c.pretrain?.row.name ?? "scratch",
      c.row.kind === "scratch" ? "scratch" : c.row.name,
    );
    assert.equal(c.config.model.checkpoint, c.pretrain?.checkpoint ?? "");
    assert.equal(c.config.data.seed, 0, "the data stay fixed across seeds");
    assert.equal(c.config.run.seed, c.seed);
  }

  const first = await runGrid(plan, quiet);
  assert.deepEqual([first.ran, first.skipped, first.failed.length], [14, 0, 0]);
  for (const c of plan.cells) assert.equal((await cellState(c)).state, "done", c.id);
  for (const c of pre) {
    for (const f of ["curves.svg", "preview.png", "checkpoint_last.ckpt"]) {
      await Deno.stat(`${c.runDir}/${f}`);
    }
  }
  const records = new Map<string, CellRecord>();
  for (const c of plan.cells) {
    records.set(c.id, await readJson(`${c.runDir}/cell.json`) as CellRecord);
  }

  // inductive: pretraining left out exactly the val and test patients of the fine-tuning split
  const splits = await loadSplits(`${fine[0]!.runDir}/splits.json`);
  const data = records.get(pre[0]!.id)!.pretrainData!;
  assert.deepEqual([...data.excluded].sort(), [...splits.val, ...splits.test].sort());
  assert.equal(data.slices, 30 - splits.val.length - splits.test.length);

  const again = await runGrid(plan, quiet);
  assert.deepEqual([again.ran, again.skipped, again.failed.length], [0, 14, 0]);
  for (const c of plan.cells) {
    const r = await readJson(`${c.runDir}/cell.json`) as CellRecord;
    assert.equal(r.startedAt, records.get(c.id)!.startedAt, `${c.id} was not run again`);
  }

  const collected = await collectGrid(plan);
  for (const row of plan.config.rows) {
    for (const fraction of plan.config.fractions) {
      const cells = fine.filter((c) => c.row === row && c.fraction === fraction);
      const values: number[] = [];
      for (const c of cells) {
        const summary = JSON.parse(await Deno.readTextFile(`${c.runDir}/eval/summary.json`));
        values.push(summary.summaries.foreground.dsc.mean);
      }
      const mean = values.reduce((a, b) => a + b) / values.length;
      const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1));
      const e = collected.table.entries[row.name]![percentKey(fraction)]!.dsc;
      assert.equal(e.n, 2);
      assert.ok(Math.abs(e.mean! - mean) < 1e-12 && Math.abs(e.std! - std) < 1e-12, row.name);
    }
  }
  for (const f of ["table.md", "table.csv", "table.json", "report.html"]) {
    await Deno.stat(`${collected.dir}/${f}`);
  }
  assert.match(collected.markdown, /\| scratch \| 2 \|/);
  assert.match(collected.markdown, /inductive/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a failed pretraining cell is recorded with its error, its fine-tuning cells say why, the grid goes on", async () => {
  registerPretrainKind({
    ...MIM_KIND,
    name: "test_explode",
    run: () => Promise.reject(new RangeError("exploded on purpose")),
  });
  const dir = await Deno.makeTempDir();
  const plan = await tinyGrid(dir, [
    "seeds=[0]",
    "fractions=[0.1]",
    "rows.SimMIM=null",
    "rows.Boom={kind: test_explode}",
  ]);
  const r = await runGrid(plan, quiet);
  const boom = plan.cells.filter((c) => c.row.name === "Boom");
  assert.deepEqual(r.failed.map((f) => f.index).sort(), boom.map((c) => c.index).sort());
  assert.equal(r.ran, plan.cells.length - boom.length);
  const pre = boom.find((c) => c.stage === "pretrain")!;
  const s = await cellState(pre);
  assert.equal(s.state, "failed");
  assert.match(s.detail, /exploded on purpose/);
  const fine = await cellState(boom.find((c) => c.stage === "finetune")!);
  assert.equal(fine.state, "failed");
  assert.match(fine.detail, new RegExp(`pretraining cell ${pre.index} \\(boom\\) failed`));
  const collected = await collectGrid(plan);
  assert.equal(collected.table.entries.Boom!["10"]!.dsc.n, 0);
  assert.equal(collected.counts.failed, 2);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runCell() on a fine-tuning cell whose pretraining is not done names the cell that makes it; a changed config is stale", async () => {
  const dir = await Deno.makeTempDir();
  const plan = await tinyGrid(dir, ["seeds=[0]", "fractions=[0.1]", "rows.SimMIM=null"]);
  const fine = plan.cells.find((c): c is FinetuneCell =>
    c.stage === "finetune" && c.pretrain !== null
  )!;
  await assert.rejects(
    runCell(plan, fine, quiet),
    new RegExp(
      `needs the checkpoint of pretraining cell ${fine.pretrain!.index} .*which is todo.*--cell ${
        fine.pretrain!.index
      }`,
    ),
  );
  assert.equal((await cellState(fine)).state, "todo", "waiting is not a failure");
  await runCell(plan, fine.pretrain!, quiet);
  await runCell(plan, fine, quiet);
  assert.equal((await cellState(fine)).state, "done");

  const changed = await tinyGrid(dir, [
    "seeds=[0]",
    "fractions=[0.1]",
    "rows.SimMIM=null",
    "finetune.train.epochs=3",
  ]);
  const same = changed.cells[fine.index] as FinetuneCell;
  assert.equal(same.id, fine.id);
  const s = await cellState(same);
  assert.equal(s.state, "stale");
  await assert.rejects(runCell(changed, same, quiet), /holds a run of another config.*--force/);
  await runCell(changed, same, { ...quiet, force: true });
  assert.equal((await cellState(same)).state, "done");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a contrastive row (SimCLR) runs through the grid: encoder-only transfer, loss-only curves, views preview", async () => {
  const dir = await Deno.makeTempDir();
  const plan = await tinyGrid(dir, [
    "seeds=[0]",
    "fractions=[0.1]",
    "rows.scratch=null",
    "rows.MAE (BASE)=null",
    "rows.SimMIM=null",
    "rows.SimCLR=configs/pretrain_simclr.yaml",
    "pretrain.train.epochs=1",
  ]);
  assert.deepEqual(plan.cells.map((c) => [c.stage, c.id]), [
    ["pretrain", "simclr"],
    ["finetune", "simclr_f10_s0"],
  ]);
  const r = await runGrid(plan, quiet);
  assert.deepEqual([r.ran, r.failed.length], [2, 0], JSON.stringify(r.failed));
  const fine = await readJson(`${plan.cells[1]!.runDir}/cell.json`) as CellRecord;
  assert.equal((plan.cells[1] as FinetuneCell).config.model.init, "encoder");
  assert.match(
    fine.finetune!.init,
    /^loaded \d+ tensors .*down0.*; fresh \d+: up3/,
    "decoder fresh",
  );
  const svg = await Deno.readTextFile(`${plan.cells[0]!.runDir}/curves.svg`);
  assert.ok(!svg.includes("reconstruction term"), "a contrastive run logs no reconstruction");
  const collected = await collectGrid(plan);
  assert.equal(collected.table.entries.SimCLR!["10"]!.dsc.n, 1);
  const html = await Deno.readTextFile(`${collected.dir}/report.html`);
  assert.match(html, /SimCLR contrastive/);
  assert.match(html, /input \| view 1 \| view 2/);
  await Deno.remove(dir, { recursive: true });
});
