import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { gpu, noGpu } from "./_gpu.ts";
import { useWebGpuBackend } from "../lib/backend/tf_webgpu.ts";
import { conv2dGeometry } from "../lib/kernels/conv2d_geometry.ts";
import {
  filterGradLaunch,
  SCALAR_TILES,
  usesVec4,
  VEC4_TILES,
} from "../lib/kernels/conv2d_filter_grad_launch.ts";
import {
  conv2dFilterGradCpu,
  conv2dFilterGradWebGpu,
  loadFilterGradPipelines,
} from "../lib/kernels/conv2d_filter_grad.ts";
import { tfjsWebGpuInternals } from "../lib/gpu/tfjs_webgpu_internals.ts";
import { unregisterWebGpuKernels } from "../lib/backend/webgpu_kernels.ts";
import { assertNormClose } from "./_assert.ts";
import { makeRng } from "../lib/random.ts";

type Shape4 = [number, number, number, number];

/** Deterministic values in [-1, 1). */
function lcg(size: number, seed: number): Float32Array {
  const rng = makeRng(seed);
  return Float32Array.from({ length: size }, () => 2 * rng.next() - 1);
}

const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Odd shapes: partial tiles in every dimension, several K steps, several Cout tiles. */
const CASES: Array<{ x: Shape4; w: Shape4; stride: number; pad: "same" | "valid" }> = [
  { x: [3, 7, 5, 3], w: [3, 3, 3, 5], stride: 1, pad: "same" },
  { x: [2, 9, 11, 1], w: [3, 3, 1, 6], stride: 1, pad: "same" },
  { x: [2, 13, 6, 33], w: [3, 3, 33, 70], stride: 1, pad: "same" },
  { x: [1, 5, 6, 20], w: [1, 1, 20, 37], stride: 1, pad: "same" },
  { x: [2, 11, 9, 7], w: [3, 3, 7, 17], stride: 2, pad: "valid" },
  { x: [3, 10, 14, 5], w: [2, 2, 5, 9], stride: 2, pad: "valid" },
  { x: [4, 16, 16, 16], w: [3, 3, 16, 16], stride: 1, pad: "same" },
  { x: [2, 12, 10, 16], w: [1, 1, 16, 1], stride: 1, pad: "same" },
  { x: [3, 8, 9, 2], w: [3, 3, 2, 3], stride: 1, pad: "same" },
  { x: [2, 7, 9, 12], w: [3, 3, 12, 20], stride: 1, pad: "same" },
];

/** tfjs's `Conv2DBackpropFilter` on the active backend (medmim's when registered). */
function runFilterGrad(x: tf.Tensor, dy: tf.Tensor, c: (typeof CASES)[number]): tf.Tensor {
  return tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
    strides: [c.stride, c.stride],
    pad: c.pad,
    dataFormat: "NHWC",
    filterShape: c.w,
  }) as tf.Tensor;
}

Deno.test("conv2dFilterGradCpu() matches tfjs's cpu backend", async () => {
  await tf.setBackend("cpu");
  for (const c of CASES.slice(0, 5)) {
    const xv = lcg(size(c.x), 1);
    const g = conv2dGeometry(c.x, c.w, c.stride, c.pad);
    const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
    const dyv = lcg(size(yShape), 3);
    const x = tf.tensor4d(xv, c.x);
    const dy = tf.tensor(dyv, yShape);
    const dw = runFilterGrad(x, dy, c);
    const what = `x ${c.x} w ${c.w} stride ${c.stride} ${c.pad}`;
    assertNormClose(conv2dFilterGradCpu(xv, dyv, g), await dw.data(), 1e-5, `dW, ${what}`);
    tf.dispose([x, dy, dw]);
  }
});

Deno.test("filterGradLaunch() covers every output pixel once", () => {
  for (const shape of [[4, 64, 64, 16], [4, 4, 4, 256], [1, 3, 3, 1]] as Shape4[]) {
    const g = conv2dGeometry(shape, [3, 3, shape[3], shape[3]], 1, "same");
    const { workgroups, rowsPerSplit } = filterGradLaunch(g);
    const rows = g.batch * g.outHeight * g.outWidth;
    assert.equal(rowsPerSplit % 16, 0);
    assert.ok(workgroups[2] * rowsPerSplit >= rows);
    assert.ok((workgroups[2] - 1) * rowsPerSplit < rows, "no empty split");
  }
});

Deno.test({
  name: "conv2dFilterGradWebGpu() matches its TS twin and tfjs-webgpu's own " +
    "Conv2DBackpropFilter with every tile (1e-4 relative)",
  ignore: noGpu,
  async fn() {
    await useWebGpuBackend(gpu!);
    unregisterWebGpuKernels(); // the reference is tfjs's kernel
    const backend = tfjsWebGpuInternals(tf.backend());
    assert.ok(backend, "tfjs-webgpu's internals are where medmim expects them");
    const pipelines = await loadFilterGradPipelines(gpu!.device);
    for (const c of CASES) {
      const g = conv2dGeometry(c.x, c.w, c.stride, c.pad);
      const yShape = [g.batch, g.outHeight, g.outWidth, g.outChannels];
      const xv = lcg(size(c.x), 4);
      const dyv = lcg(size(yShape), 6);
      const x = tf.tensor4d(xv, c.x);
      const dy = tf.tensor(dyv, yShape);
      const theirDw = runFilterGrad(x, dy, c);
      const dwRef = await theirDw.data();
      const dwTwin = conv2dFilterGradCpu(xv, dyv, g);
      // the chosen tile, then every tile of the shader this geometry uses
      for (const tile of [undefined, ...(usesVec4(g) ? VEC4_TILES : SCALAR_TILES)]) {
        const what = `x ${c.x} w ${c.w} stride ${c.stride} ${c.pad} tile ${JSON.stringify(tile)}`;
        const ourDw = tf.engine().makeTensorFromTensorInfo(
          conv2dFilterGradWebGpu(backend, pipelines, x, dy, g, tile),
        );
        assert.deepEqual(ourDw.shape, c.w);
        const ours = await ourDw.data();
        assertNormClose(ours, dwTwin, 1e-4, `dW vs the TS twin, ${what}`);
        assertNormClose(ours, dwRef, 1e-4, `dW vs tfjs-webgpu, ${what}`);
        ourDw.dispose();
      }
      tf.dispose([x, dy, theirDw]);
    }
  },
});

Deno.test({
  name: "useWebGpuBackend() registers medmim's Conv2DBackpropFilter (same U-Net-style " +
    "gradients as tfjs's), and unregisterWebGpuKernels() restores tfjs's",
  ignore: noGpu,
  async fn() {
    await useWebGpuBackend(gpu!);
    unregisterWebGpuKernels();
    const tfjsFilter = tf.getKernel("Conv2DBackpropFilter", "webgpu");
    // conv 3x3 + relu, 2x2 stride-2 transposed conv, 1x1 conv: both dW paths, stride 1 and 2
    const f = (x: tf.Tensor, w1: tf.Tensor, wt: tf.Tensor, w2: tf.Tensor) => {
      const h = tf.relu(tf.conv2d(x as tf.Tensor4D, w1 as tf.Tensor4D, 1, "same"));
      const down = tf.maxPool(h, 2, 2, "valid");
      const up = tf.conv2dTranspose(down, wt as tf.Tensor4D, h.shape, 2, "valid");
      return tf.sum(tf.square(tf.conv2d(tf.add(h, up), w2 as tf.Tensor4D, 1, "same")));
    };
    const args = [
      tf.tensor4d(lcg(2 * 10 * 12 * 3, 7), [2, 10, 12, 3]),
      tf.tensor4d(lcg(3 * 3 * 3 * 24, 8), [3, 3, 3, 24]),
      tf.tensor4d(lcg(2 * 2 * 24 * 24, 9), [2, 2, 24, 24]),
      tf.tensor4d(lcg(24 * 5, 10), [1, 1, 24, 5]),
    ];
    const grads = async () => {
      const g = tf.grads(f)(args);
      const values = await Promise.all(g.map((t) => t.data()));
      tf.dispose(g);
      return values;
    };
    const reference = await grads();
    const kernels = await useWebGpuBackend(gpu!);
    assert.deepEqual(kernels.medmim, ["Conv2DBackpropFilter"]);
    assert.equal(kernels.description, "medmim's Conv2DBackpropFilter");
    assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "webgpu"), tfjsFilter);
    const ours = await grads();
    unregisterWebGpuKernels();
    assert.equal(tf.getKernel("Conv2DBackpropFilter", "webgpu"), tfjsFilter);
    ours.forEach((g, i) => assertNormClose(g, reference[i]!, 1e-4, `gradient ${i}`));
    tf.dispose(args);
  },
});

Deno.test({
  name: "useWebGpuBackend() keeps tfjs's Conv2DBackpropFilter, and says why, without " +
    "--allow-read=shaders",
  ignore: noGpu,
  async fn() {
    const script = `
      import { getGpu } from "./lib/gpu/device.ts";
      import { useWebGpuBackend } from "./lib/backend/tf_webgpu.ts";
      const gpu = await getGpu();
      console.log(JSON.stringify(await useWebGpuBackend(gpu)));
      gpu.device.destroy();`;
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "--allow-read=node_modules", "-"],
      cwd: new URL("..", import.meta.url),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(script));
    await writer.close();
    const { code, stdout, stderr } = await child.output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const kernels = JSON.parse(new TextDecoder().decode(stdout).trim().split("\n").at(-1)!);
    assert.deepEqual(kernels.medmim, []);
    assert.match(
      kernels.description,
      /^tfjs's Conv2DBackpropFilter: medmim's did not load: .*read access.*shaders/,
    );
  },
});

Deno.test({
  name: 'initTf("webgpu") names medmim\'s Conv2DBackpropFilter in its reason',
  ignore: noGpu,
  async fn() {
    const { initTf } = await import("../lib/backend/init_tf.ts");
    const choice = await initTf("webgpu");
    assert.equal(choice.backend, "webgpu");
    assert.match(choice.reason, /\(medmim's Conv2DBackpropFilter\)/);
    const medmims = tf.getKernel("Conv2DBackpropFilter", "webgpu");
    unregisterWebGpuKernels();
    assert.notEqual(tf.getKernel("Conv2DBackpropFilter", "webgpu"), medmims);
  },
});
