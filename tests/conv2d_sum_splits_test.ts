import assert from "node:assert/strict";
import { device, noGpu, readF32 } from "./_gpu.ts";
import { loadShader } from "../lib/gpu/shader.ts";
import { createStorage, dispatch, uploadBuffer } from "../lib/gpu/compute.ts";
import {
  CONV2D_SUM_SPLITS,
  conv2dSumSplitsCpu,
  sumSplitsWorkgroups,
} from "../lib/kernels/conv2d_sum_splits.ts";
import { makeRng } from "../lib/random.ts";

Deno.test("conv2dSumSplitsCpu() adds the splits side by side and checks the length", () => {
  assert.deepEqual([...conv2dSumSplitsCpu(new Float32Array([1, 2, 3, 10, 20, 30]), 3, 2)], [
    11,
    22,
    33,
  ]);
  assert.throws(() => conv2dSumSplitsCpu(new Float32Array(5), 3, 2), RangeError);
  assert.deepEqual(sumSplitsWorkgroups(64 * 65536), [65535, 2, 1]);
});

Deno.test({
  name: "conv2d_sum_splits.wgsl equals its TS twin, also past 65535 workgroups in x",
  ignore: noGpu,
  async fn() {
    const dev = device();
    const pipeline = await loadShader(dev, CONV2D_SUM_SPLITS.name, {
      workgroupSize: CONV2D_SUM_SPLITS.workgroupSize,
    });
    const rng = makeRng(3);
    for (const [size, splits] of [[37, 3], [64 * 65535 + 5, 2]] as const) {
      const part = Float32Array.from({ length: size * splits }, () => rng.next() - 0.5);
      const params = dev.createBuffer({
        size: 16,
        usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      });
      dev.queue.writeBuffer(params, 0, new Uint32Array([size, splits, 0, 0]));
      const input = uploadBuffer(dev, part);
      const out = createStorage(dev, size * 4);
      dispatch(dev, pipeline, [params, input, out], sumSplitsWorkgroups(size));
      const gpu = await readF32(out, size);
      const twin = conv2dSumSplitsCpu(part, size, splits);
      let worst = 0;
      for (let i = 0; i < size; i++) worst = Math.max(worst, Math.abs(gpu[i]! - twin[i]!));
      assert.equal(worst, 0, `size ${size}, ${splits} splits`);
      for (const b of [params, input, out]) b.destroy();
    }
  },
});
