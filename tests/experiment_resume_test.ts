import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { cellState, readJson } from "../lib/experiment/cell_state.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import type { CellRecord } from "../lib/experiment/run_cell.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { SMOKE_GRID, TEST_MACHINE, tinyGrid, tinyOverrides } from "./_tiny_grid.ts";

/** Two pretraining cells (the victim is the second), then scratch, MAE, SimMIM x 5% x one seed. */
const EXTRA = ["rows.MPS-AMS=null", "pretrain.train.epochs=4", "seeds=[0]", "fractions=[0.05]"];

function gridProcess(outDir: string): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "tasks/experiment.ts",
      "--config",
      SMOKE_GRID,
      ...[...tinyOverrides(outDir), ...EXTRA].map((o) => `--${o}`),
    ],
    env: { MEDMIM_WASM_THREADS: "1" },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

Deno.test({
  name:
    "a grid killed with kill -9 during a pretraining cell resumes it, redoes no finished cell, and gives the uninterrupted run's table",
  sanitizeResources: false,
  async fn() {
    const dir = await Deno.makeTempDir();
    const plan = await tinyGrid(`${dir}/killed`, EXTRA);
    const victim = plan.cells[1]!; // the second pretraining cell
    const first = gridProcess(`${dir}/killed`);
    const deadline = Date.now() + 300_000;
    while (
      !(await Deno.stat(`${victim.runDir}/checkpoint_epoch_0001.ckpt`).then(
        () => true,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) throw new Error("the grid never reached the victim cell");
      await new Promise((r) => setTimeout(r, 20));
    }
    first.kill("SIGKILL");
    const killed = await first.status;
    assert.equal(killed.signal, "SIGKILL");
    await first.stdout.cancel();
    await first.stderr.cancel();
    const before = await readJson(`${plan.cells[0]!.runDir}/cell.json`) as CellRecord;
    assert.ok(before, "the first cell had finished");
    const victimState = (await cellState(victim)).state;
    console.log(`killed while cell 1 was ${victimState}`);
    assert.ok(["partial", "done"].includes(victimState), victimState);

    const second = gridProcess(`${dir}/killed`);
    const out = await second.output();
    const text = new TextDecoder().decode(out.stdout);
    assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
    assert.match(text, /cell 0 \(mae_base\): done before, skipped/);
    const after = await readJson(`${plan.cells[0]!.runDir}/cell.json`) as CellRecord;
    assert.equal(after.startedAt, before.startedAt, "the finished cell was not redone");
    const resumed = await readJson(`${victim.runDir}/cell.json`) as CellRecord;
    if (victimState === "partial") {
      assert.ok(resumed.resumedAtEpoch >= 1, "the half-finished cell resumed from its checkpoint");
      assert.match(text, /cell 1 pretrain SimMIM .*resuming/);
    }
    for (const c of plan.cells) assert.equal((await cellState(c)).state, "done", c.id);
    const killedTable = await collectGrid(plan);

    await setupWasmBackend({ threads: 1 });
    const clean = await tinyGrid(`${dir}/clean`, EXTRA);
    await runGrid(clean, { machine: TEST_MACHINE, progress: null, log: () => {} });
    const cleanTable = await collectGrid(clean);
    assert.deepEqual(killedTable.table.entries, cleanTable.table.entries);
    await Deno.remove(dir, { recursive: true });
  },
});
