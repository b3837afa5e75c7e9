/**
 * Temporary benchmark for the wasm CPU fast path (to be folded into `deno task bench`).
 *
 * Prints GFLOP/s of the conv kernels on wasm and ms/step of a U-Net training
 * step (4 levels, base 16, batch 8x128x128x1, Adam, 3x3 conv + ReLU, 2x2
 * maxpool, 2x2 stride-2 transposed conv up, 1x1 conv + sigmoid, MSE loss).
 * The wasm runtime can start only once per process, so each thread count runs
 * in a child process.
 *
 *   deno run --allow-read --allow-env --allow-sys --allow-run tasks/bench_wasm_conv.ts [--threads=1,2] [--cpu] [--steps=5]
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-cpu";
import { parseArgs } from "node:util";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";

type Shape4 = [number, number, number, number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    threads: { type: "string", default: "1,2" },
    cpu: { type: "boolean", default: false },
    steps: { type: "string", default: "5" },
    child: { type: "string" }, // "wasm:<threads>" or "cpu": run one measurement here
  },
});

async function timeMs(f: () => tf.Tensor, reps: number): Promise<number> {
  const warm = f();
  await warm.data();
  warm.dispose();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) {
    const t = f();
    await t.data();
    t.dispose();
  }
  return (performance.now() - t0) / reps;
}

function rand(shape: Shape4): tf.Tensor4D {
  return tf.randomUniform(shape, -1, 1) as tf.Tensor4D;
}

async function benchKernels(): Promise<void> {
  const runFilter = (x: tf.Tensor, dy: tf.Tensor, filterShape: Shape4, stride: number) => () =>
    tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
      strides: [stride, stride],
      pad: "same",
      filterShape,
      dataFormat: "NHWC",
    }) as tf.Tensor;
  const x = rand([8, 128, 128, 16]);
  const dy = rand([8, 128, 128, 16]);
  const w = rand([3, 3, 16, 16]);
  const flops = 2 * 8 * 128 * 128 * 9 * 16 * 16;
  const xs = rand([8, 64, 64, 32]);
  const wUp = rand([2, 2, 16, 32]);
  const flopsUp = 2 * 8 * 64 * 64 * 4 * 32 * 16;
  const rows: [string, number, () => tf.Tensor][] = [
    ["Conv2D 3x3 8x128x128x16->16", flops, () => tf.conv2d(x, w, 1, "same")],
    ["Conv2DBackpropFilter 3x3 8x128x128x16->16", flops, runFilter(x, dy, [3, 3, 16, 16], 1)],
    [
      "Conv2DBackpropInput 3x3 8x128x128x16->16",
      flops,
      () => tf.conv2dTranspose(x, w, [8, 128, 128, 16], 1, "same"),
    ],
    [
      "conv2dTranspose 2x2 s2 8x64x64x32->16",
      flopsUp,
      () => tf.conv2dTranspose(xs, wUp, [8, 128, 128, 16], 2, "same"),
    ],
    ["  its Conv2DBackpropFilter (s2)", flopsUp, runFilter(dy, xs, [2, 2, 16, 32], 2)],
  ];
  for (const [name, f, fn] of rows) {
    const ms = await timeMs(fn, 5);
    console.log(
      `  ${name.padEnd(44)} ${ms.toFixed(1).padStart(7)} ms ${
        (f / ms / 1e6).toFixed(1).padStart(6)
      } GFLOP/s`,
    );
  }
  tf.dispose([x, dy, w, xs, wUp]);
}

/** Plain-op U-Net; returns params and a loss closure. */
function makeUnet(
  levels: number,
  base: number,
): { params: tf.Variable[]; loss: (x: tf.Tensor4D, y: tf.Tensor4D) => tf.Scalar } {
  const params: tf.Variable[] = [];
  const conv = (cin: number, cout: number, k: number) => {
    const w = tf.variable(tf.mul(tf.randomNormal([k, k, cin, cout]), Math.sqrt(2 / (k * k * cin))));
    const b = tf.variable(tf.zeros([cout]));
    params.push(w, b);
    return (x: tf.Tensor4D) =>
      tf.add(tf.conv2d(x, w as tf.Variable<tf.Rank.R4>, 1, "same"), b) as tf.Tensor4D;
  };
  const up = (cin: number, cout: number) => {
    const w = tf.variable(tf.mul(tf.randomNormal([2, 2, cout, cin]), Math.sqrt(1 / cin)));
    params.push(w);
    return (x: tf.Tensor4D) => {
      const [n, h, wd] = x.shape;
      return tf.conv2dTranspose(
        x,
        w as tf.Variable<tf.Rank.R4>,
        [n, h * 2, wd * 2, cout],
        2,
        "same",
      );
    };
  };
  const block = (cin: number, cout: number) => {
    const c1 = conv(cin, cout, 3);
    const c2 = conv(cout, cout, 3);
    return (x: tf.Tensor4D) => tf.relu(c2(tf.relu(c1(x))));
  };
  const ch = Array.from({ length: levels }, (_, i) => base * 2 ** i);
  const down = ch.map((c, i) => block(i === 0 ? 1 : ch[i - 1]!, c));
  const ups = ch.slice(1).map((c, i) => up(c, ch[i]!));
  const upBlocks = ch.slice(0, -1).map((c) => block(2 * c, c));
  const head = conv(base, 1, 1);
  const loss = (x: tf.Tensor4D, y: tf.Tensor4D): tf.Scalar => {
    const skips: tf.Tensor4D[] = [];
    let h = x;
    for (let i = 0; i < levels; i++) {
      h = down[i]!(h);
      if (i < levels - 1) {
        skips.push(h);
        h = tf.maxPool(h, 2, 2, "valid");
      }
    }
    for (let i = levels - 2; i >= 0; i--) {
      h = upBlocks[i]!(tf.concat([skips[i]!, ups[i]!(h)], 3));
    }
    return tf.mean(tf.square(tf.sub(tf.sigmoid(head(h)), y)));
  };
  return { params, loss };
}

async function benchUnet(steps: number): Promise<void> {
  const { params, loss } = makeUnet(4, 16);
  const x = tf.randomUniform([8, 128, 128, 1]) as tf.Tensor4D;
  const y = tf.cast(tf.greater(x, 0.5), "float32") as tf.Tensor4D;
  const opt = tf.train.adam(1e-3);
  const step = async (): Promise<number> => {
    const l = opt.minimize(() => loss(x, y), true);
    const v = (await l!.data())[0]!;
    l!.dispose();
    return v;
  };
  let t0 = performance.now();
  const first = await step();
  console.log(
    `  U-Net step 1 (warm-up): ${(performance.now() - t0).toFixed(0)} ms, loss ${first.toFixed(4)}`,
  );
  t0 = performance.now();
  let last = first;
  for (let i = 0; i < steps; i++) last = await step();
  const ms = (performance.now() - t0) / steps;
  console.log(
    `  U-Net train step (4 levels, base 16, 8x128x128x1, Adam): ${
      ms.toFixed(0)
    } ms/step over ${steps} steps, loss ${last.toFixed(4)}`,
  );
  opt.dispose();
  tf.dispose([x, y, ...params]);
}

async function child(mode: string, steps: number): Promise<void> {
  if (mode === "cpu") {
    await tf.setBackend("cpu");
    console.log("backend cpu (tfjs-backend-cpu, JS)");
    await benchUnet(steps);
    return;
  }
  const threads = Number(mode.split(":")[1] ?? "1");
  const r = await setupWasmBackend({ threads });
  console.log(`backend wasm ${r.version}: simd=${r.simd} threads=${r.threads}`);
  await benchKernels();
  await benchUnet(steps);
}

if (values.child !== undefined) {
  await child(values.child, Number(values.steps));
} else {
  const modes = values.threads.split(",").map((t) => `wasm:${t.trim()}`);
  if (values.cpu) modes.push("cpu");
  for (const mode of modes) {
    const cmd = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-env",
        "--allow-sys",
        `--config=${new URL("../deno.json", import.meta.url).pathname}`,
        import.meta.filename!,
        `--child=${mode}`,
        `--steps=${mode === "cpu" ? 1 : values.steps}`,
      ],
      stdout: "inherit",
      stderr: "inherit",
    });
    const { code } = await cmd.output();
    if (code !== 0) console.error(`bench child "${mode}" exited with code ${code}`);
  }
}
