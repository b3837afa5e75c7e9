// TS squaredEdt() against the WGSL kernel (squaredEdtGpu) on a BraTS-sized volume:
//
//   deno bench -A tests/edt_bench.ts
//
// The mask is what HD95 transforms: everything but a surface (here the shell of a
// ball of radius 30 voxels and an anisotropic 1 x 1 x 1.5 mm spacing), so distances
// grow to ~200 mm. `upload + passes + readback` is what HD95 pays today; `passes only`
// is the kernel on a buffer already on the device. Results of this machine are in
// lib/metrics/select_edt.ts, which picks the path.

import { gpu, noGpu } from "./_gpu.ts";
import { EDT, squaredEdt, squaredEdtGpu, squaredEdtPasses } from "../lib/kernels/edt.ts";
import { uploadBuffer } from "../lib/gpu/compute.ts";
import { loadShader } from "../lib/gpu/shader.ts";

const DIMS = [240, 240, 155];
const SPACING = [1, 1, 1.5];
const [X = 0, Y = 0, Z = 0] = DIMS;
const mask = new Uint8Array(X * Y * Z).fill(1);
for (let z = 0; z < Z; z++) {
  for (let y = 0; y < Y; y++) {
    for (let x = 0; x < X; x++) {
      if (Math.abs(Math.hypot(x - 120, y - 110, z - 70) - 30) < 0.5) mask[x + X * (y + Y * z)] = 0;
    }
  }
}
const group = `squared EDT ${DIMS.join("x")}`;
const adapter = gpu?.description ?? "no adapter";

Deno.bench({
  name: "TS squaredEdt (f64)",
  group,
  baseline: true,
  n: 5,
  warmup: 1,
  fn() {
    squaredEdt(mask, DIMS, { spacing: SPACING });
  },
});

Deno.bench({
  name: `WGSL edt, upload + passes + readback (${adapter})`,
  group,
  ignore: noGpu,
  n: 5,
  warmup: 1,
  async fn() {
    await squaredEdtGpu(mask, DIMS, { spacing: SPACING, device: gpu!.device });
  },
});

const init = Float32Array.from(mask, (v) => (v === 0 ? 0 : -1));
Deno.bench({
  name: `WGSL edt, passes only (${adapter})`,
  group,
  ignore: noGpu,
  n: 5,
  warmup: 1,
  async fn(b) {
    const device = gpu!.device;
    const pipeline = await loadShader(device, EDT.name, { workgroupSize: EDT.workgroupSize });
    const d2 = uploadBuffer(device, init, "d2");
    await device.queue.onSubmittedWorkDone();
    b.start();
    squaredEdtPasses(device, pipeline, d2, { dims: DIMS, spacing: SPACING });
    await device.queue.onSubmittedWorkDone();
    b.end();
    d2.destroy();
  },
});
