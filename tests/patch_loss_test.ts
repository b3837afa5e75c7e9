import assert from "node:assert/strict";
import { device, noGpu, readF32 } from "./_gpu.ts";
import { assertClose } from "./_assert.ts";
import { loadKernels } from "../lib/kernels/registry.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { patchLossCpu, patchLossGpu } from "../lib/kernels/patch_loss.ts";
import { patchLossGradCpu, patchLossGradGpu } from "../lib/kernels/patch_loss_grad.ts";
import { makeRng } from "../lib/random.ts";

const SHAPES = [
  { batch: 2, height: 8, width: 8, channels: 1, patchSize: 4 },
  { batch: 3, height: 6, width: 9, channels: 2, patchSize: 3 },
  { batch: 5, height: 16, width: 16, channels: 1, patchSize: 2 }, // N*L = 320
];

Deno.test({
  name: "patchLossGpu() and patchLossGradGpu() equal their TS twins (1e-5 relative)",
  ignore: noGpu,
  async fn() {
    const k = await loadKernels(device());
    const rng = makeRng(11);
    for (const shape of SHAPES) {
      const count = shape.batch * shape.height * shape.width * shape.channels;
      const patches = (shape.height / shape.patchSize) * (shape.width / shape.patchSize);
      const pred = Float32Array.from({ length: count }, () => rng.next() * 4 - 2);
      const target = Float32Array.from({ length: count }, () => rng.next() * 4 - 2);
      const dy = Float32Array.from({ length: shape.batch * patches }, () => rng.next());
      for (const power of [1, 2] as const) {
        for (const normPix of [false, true]) {
          const what = `shape ${JSON.stringify(shape)} power ${power} normPix ${normPix}`;
          const cpu = patchLossCpu(pred, target, shape, { power, normPix });
          const pb = uploadBuffer(device(), pred);
          const tb = uploadBuffer(device(), target);
          const out = patchLossGpu(device(), k.patchLoss, { pred: pb, target: tb }, shape, {
            power,
            normPix,
          });
          assertClose(await readF32(out.loss, cpu.loss.length), cpu.loss, 1e-5, `loss ${what}`);
          assertClose(await readF32(out.stats, cpu.stats.length), cpu.stats, 1e-5, `stats ${what}`);
          const db = uploadBuffer(device(), dy);
          const gb = patchLossGradGpu(
            device(),
            k.patchLossGrad,
            { pred: pb, target: tb, stats: out.stats, dy: db },
            { ...shape, power },
          );
          const grad = patchLossGradCpu(pred, target, cpu.stats, dy, { ...shape, power });
          assertClose(await readF32(gb, count), grad, 1e-5, `grad ${what}`);
          for (const b of [pb, tb, db, gb, out.loss, out.stats]) b.destroy();
        }
      }
    }
  },
});

Deno.test("patchLossGradCpu() matches a finite-difference gradient of patchLossCpu()", () => {
  const rng = makeRng(2);
  const shape = { batch: 1, height: 4, width: 4, channels: 1, patchSize: 2 };
  const pred = Float32Array.from({ length: 16 }, () => rng.next() * 2 - 1);
  const target = Float32Array.from({ length: 16 }, () => rng.next() * 2 - 1);
  const dy = Float32Array.from({ length: 4 }, () => rng.next());
  for (const normPix of [false, true]) {
    const objective = (p: Float32Array) =>
      patchLossCpu(p, target, shape, { power: 2, normPix }).loss.reduce(
        (s, v, i) => s + v * (dy[i] as number),
        0,
      );
    const { stats } = patchLossCpu(pred, target, shape, { power: 2, normPix });
    const grad = patchLossGradCpu(pred, target, stats, dy, { ...shape, power: 2 });
    const h = 1e-3;
    for (let i = 0; i < 16; i++) {
      const up = Float32Array.from(pred);
      const down = Float32Array.from(pred);
      up[i] = (up[i] as number) + h;
      down[i] = (down[i] as number) - h;
      const numeric = (objective(up) - objective(down)) / (2 * h);
      assert.ok(
        Math.abs(numeric - (grad[i] as number)) < 1e-3,
        `grad[${i}] ${grad[i]} vs ${numeric}`,
      );
    }
  }
});

Deno.test("patchLossCpu() normPix makes the loss invariant to a patch's offset and scale", () => {
  const shape = { batch: 1, height: 2, width: 2, channels: 1, patchSize: 2 };
  const pred = Float32Array.from([0.1, -0.3, 0.7, 0.2]);
  const target = Float32Array.from([1, 2, 3, 5]);
  const shifted = target.map((v) => 10 + 3 * v);
  const a = patchLossCpu(pred, target, shape, { power: 2, normPix: true }).loss[0] as number;
  const b = patchLossCpu(pred, shifted, shape, { power: 2, normPix: true }).loss[0] as number;
  assert.ok(Math.abs(a - b) < 1e-5, `${a} vs ${b}`);
  assert.throws(
    () => patchLossCpu(new Float32Array(3), target, shape, { power: 2, normPix: false }),
    RangeError,
  );
});
