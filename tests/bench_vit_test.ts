import assert from "node:assert/strict";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { createKernelContext } from "../lib/kernels/registry.ts";
import { benchBatch } from "../lib/bench/bench_unet.ts";
import { benchViT, parseViTCase } from "../lib/bench/bench_vit.ts";
import { maeForwardFlops, vitMaeParamCount } from "../lib/model/vit_mae.ts";

const PYTHON = "/usr/bin/python3";
const hasTorch = await new Deno.Command(PYTHON, { args: ["-c", "import torch"], stderr: "null" })
  .output().then((o) => o.success, () => false);
if (!hasTorch) console.warn(`PyTorch reference tests skipped: ${PYTHON} cannot import torch`);

const CASE = "32:8:32:2:2:16:1:2";
const options = (c: ReturnType<typeof parseViTCase>) => ({
  imageSize: c.size,
  patchSize: c.patch,
  inChannels: 1,
  width: c.width,
  depth: c.depth,
  heads: c.heads,
  mlpRatio: 4,
  classToken: true,
  decoderWidth: c.decoderWidth,
  decoderDepth: c.decoderDepth,
  decoderHeads: c.decoderHeads,
  lossPredictor: false,
});

Deno.test("benchViT() times ViT-MAE steps and reports analytic GFLOP/s and the parameter count", async () => {
  await setupWasmBackend({ threads: 1 });
  const c = parseViTCase(CASE, 2);
  const t = await benchViT(await createKernelContext("cpu"), c, { steps: 3 });
  assert.equal(t.losses.length, 3);
  assert.ok(t.losses.every(Number.isFinite));
  assert.equal(t.keep, 4); // 16 tokens at ratio 0.75
  const flops = maeForwardFlops(options(c), 4) * 2;
  assert.ok(Math.abs(t.stepGflops - 3 * flops / t.stepMs / 1e6) < 1e-9);
  assert.equal(t.params, vitMaeParamCount(options(c)));
  assert.throws(() => parseViTCase("64:8:128", 8), /expected size:patch/);
});

Deno.test({
  name: "the PyTorch reference ViT-MAE has medmim's parameter count and trains on the bench batch",
  ignore: !hasTorch,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${dir}/batch_32.f32`, new Uint8Array(benchBatch(2, 32).buffer));
      const out = await new Deno.Command(PYTHON, {
        args: [
          new URL("../tasks/bench_torch_vit.py", import.meta.url).pathname,
          `--cases=${CASE},32:16:64:1:4:32:2:4`,
          "--batch=2",
          "--steps=2",
          "--threads=1",
          `--data=${dir}`,
        ],
      }).output();
      assert.ok(out.success, new TextDecoder().decode(out.stderr));
      const result = JSON.parse(new TextDecoder().decode(out.stdout));
      for (const row of result.rows) {
        const [dw, dd, dh] = row.decoder.split(":").map(Number);
        const c = parseViTCase(
          `${row.size}:${row.patch}:${row.width}:${row.depth}:${row.heads}:${dw}:${dd}:${dh}`,
          2,
        );
        assert.equal(row.params, vitMaeParamCount(options(c)), row.decoder);
        assert.ok(row.losses.every(Number.isFinite));
      }
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
