import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { benchBatch, benchUNet } from "../lib/bench/bench_unet.ts";
import { formatTable } from "../lib/bench/format_table.ts";
import { countParams, createUNet, unetForwardFlops } from "../lib/model/unet.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
  .output().then((o) => o.success, () => false);
if (!hasTorch) console.warn(`PyTorch reference tests skipped: ${PYTHON} cannot import torch`);

Deno.test("benchUNet() times steps and the forward pass and reports analytic GFLOP/s", async () => {
  await tf.setBackend("cpu");
  const t = await benchUNet(
    await createKernelContext("cpu"),
    { size: 32, batch: 2, baseWidth: 2 },
    {
      steps: 3,
      forwardBudgetMs: 0,
    },
  );
  assert.equal(t.losses.length, 3);
  assert.ok(t.losses.every(Number.isFinite));
  assert.ok(t.stepMs > 0 && t.forwardMs > 0);
  const flops = unetForwardFlops({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 32, 32) * 2;
  assert.ok(Math.abs(t.forwardGflops - flops / t.forwardMs / 1e6) < 1e-9);
  assert.ok(Math.abs(t.stepGflops - 3 * flops / t.stepMs / 1e6) < 1e-9);
  assert.equal(
    t.params,
    countParams(createUNet({ inChannels: 1, outChannels: 1, baseWidth: 2 }, 0)),
  );
});

Deno.test("formatTable() pads columns and right-aligns numbers", () => {
  const table = formatTable(["name", "ms"], [["a", "1.5"], ["long name", "12.25"]]);
  assert.equal(
    table,
    [
      "| name      |    ms |",
      "|-----------|------:|",
      "| a         |   1.5 |",
      "| long name | 12.25 |",
    ].join("\n"),
  );
});

Deno.test({
  name: "the PyTorch reference U-Net has medmim's parameter count and trains on the bench batch",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/batch_32.f32`, new Uint8Array(benchBatch(2, 32).buffer));
      const out = await new Deno.Command(PYTHON, {
        args: [
          new URL("../tasks/bench_torch_unet.py", import.meta.url).pathname,
          "--cases=32:2,32:4",
          "--batch=2",
          "--steps=2",
          "--threads=1",
          `--data=${dir}`,
        ],
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const row of result.rows) {
        const net = createUNet({ inChannels: 1, outChannels: 1, baseWidth: row.baseWidth }, 0);
        assert.equal(row.params, countParams(net), `base ${row.baseWidth}`);
        assert.ok(row.losses.every(Number.isFinite));
        tf.dispose([...net.params.values()]);
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
