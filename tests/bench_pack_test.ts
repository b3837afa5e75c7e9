import assert from "node:assert/strict";
import {
  PACK_LIMIT_BYTES,
  type PackManifest,
  packProblems,
  readPackManifest,
} from "../lib/bench/pack_manifest.ts";
import { gpuBenchMarkdown } from "../lib/bench/gpu_bench_report.ts";
import { adapterLines } from "../lib/bench/adapter_report.ts";
import { filterGradCases } from "../lib/bench/bench_tfjs_kernels.ts";
import type { UNetTiming } from "../lib/bench/bench_unet.ts";

const RUN_SCRIPT = new URL("../tasks/bench_pack_run.sh", import.meta.url).pathname;
const BUILT_PACK = new URL("../bench-pack/", import.meta.url).pathname;

/** `bash -n` on a file: whether bash parses it. */
async function bashParses(path: string): Promise<{ ok: boolean; stderr: string }> {
  const out = await new Deno.Command("bash", { args: ["-n", path], stderr: "piped" }).output();
  return { ok: out.success, stderr: new TextDecoder().decode(out.stderr) };
}

const COMPLETE = [
  "run.sh",
  "deno.xz",
  "js/bench/bench_gpu.js",
  "js/bench/_wasm_pthread_worker.ts",
  "js/bench/_wasm_kernel_worker.ts",
  "js/bench/_wasm_ceiling_worker.ts",
  "shaders/apply_mask.wgsl",
  "bench_torch_unet.py",
  "wasm/tfjs-backend-wasm-simd.wasm",
  "debs/libvulkan1_1.3.239.0-1_amd64.deb",
  "debs/libglvnd0_1.6.0-1_amd64.deb",
];
const manifestOf = (paths: string[], bytes = 1): PackManifest => ({
  files: paths.map((path) => ({ path, bytes, sha256: "" })),
  totalBytes: paths.length * bytes,
});

Deno.test("the pack's run script parses (bash -n), and a broken copy does not", async () => {
  const parsed = await bashParses(RUN_SCRIPT);
  assert.ok(parsed.ok, parsed.stderr);
  const broken = await Deno.makeTempFile({ suffix: ".sh" });
  try {
    const text = await Deno.readTextFile(RUN_SCRIPT);
    await Deno.writeTextFile(broken, text.replace(/\nfi\n/, "\n")); // drop one `fi`
    assert.equal((await bashParses(broken)).ok, false);
  } finally {
    await Deno.remove(broken);
  }
});

Deno.test("packProblems() names each missing part and the size limit", () => {
  assert.deepEqual(packProblems(manifestOf(COMPLETE)), []);
  for (const path of COMPLETE) {
    const problems = packProblems(manifestOf(COMPLETE.filter((p) => p !== path)));
    assert.equal(problems.length, 1, `without ${path}: ${problems}`);
  }
  const big = manifestOf(COMPLETE, Math.ceil(PACK_LIMIT_BYTES / COMPLETE.length) + 1);
  assert.match(packProblems(big).join(), /over the 64 MiB limit/);
  // the bundle may sit at any depth below js/, but must be bench_gpu.js
  const withBundle = (path: string) => COMPLETE.map((p) => (p.endsWith("bench_gpu.js") ? path : p));
  assert.deepEqual(packProblems(manifestOf(withBundle("js/bench_gpu.js"))), []);
  assert.equal(packProblems(manifestOf(withBundle("js/bench.js"))).length, 1);
});

Deno.test("readPackManifest() lists every file below the folder with its size and SHA-256", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/a/b`, { recursive: true });
    await Deno.writeTextFile(`${dir}/a/b/x.txt`, "abc");
    await Deno.writeTextFile(`${dir}/run.sh`, "");
    await Deno.writeTextFile(`${dir}/MANIFEST.json`, "{}");
    const m = await readPackManifest(dir, new Set(["MANIFEST.json"]));
    assert.deepEqual(m.files.map((f) => f.path), ["a/b/x.txt", "run.sh"]);
    assert.equal(m.totalBytes, 3);
    // SHA-256("abc"), FIPS 180-2 appendix B.1
    assert.equal(
      m.files[0]!.sha256,
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name: "a built bench-pack/ is under 64 MiB and matches its MANIFEST.json",
  ignore: await Deno.stat(`${BUILT_PACK}MANIFEST.json`).then(() => false, () => {
    console.warn("built pack check skipped: no bench-pack/ (deno task bench-pack builds it)");
    return true;
  }),
  async fn() {
    // (completeness is checked when the pack is built; a pack built before a
    // part was added only needs rebuilding, it is not broken)
    const manifest = await readPackManifest(BUILT_PACK, new Set(["MANIFEST.json"]));
    assert.ok(manifest.totalBytes <= PACK_LIMIT_BYTES, `${manifest.totalBytes} bytes`);
    const saved = JSON.parse(await Deno.readTextFile(`${BUILT_PACK}MANIFEST.json`));
    assert.equal(saved.totalBytes, manifest.totalBytes, "rebuild the pack: files changed");
    assert.ok((await bashParses(`${BUILT_PACK}run.sh`)).ok);
  },
});

const timing = (size: number, baseWidth: number, batch: number, stepMs: number): UNetTiming => ({
  size,
  baseWidth,
  batch,
  stepMs,
  stepCpuMs: stepMs,
  forwardMs: stepMs / 3,
  stepGflops: 1000,
  forwardGflops: 1000,
  params: 1,
  steps: 3,
  losses: [0.5],
});

Deno.test("gpuBenchMarkdown() puts each PyTorch mode's time and ratio beside the medmim row", () => {
  const md = gpuBenchMarkdown({
    header: ["machine: test"],
    unet: [timing(128, 16, 8, 30), { size: 256, baseWidth: 64, batch: 32, error: "out of memory" }],
    kernels: [],
    kernelShape: "",
    tfjsKernels: [{ kernel: "edt", shape: "s", ms: 0.5, gbs: 0.0123, gflops: NaN }],
    torch: {
      torch: "2.x",
      threads: 16,
      deviceName: "GPU",
      rows: [
        {
          size: 128,
          baseWidth: 16,
          batch: 8,
          mode: "eager",
          stepMs: 10,
          forwardMs: 5,
          params: 1,
          losses: [],
        },
        {
          size: 128,
          baseWidth: 16,
          batch: 8,
          mode: "compile",
          stepMs: 6,
          forwardMs: 4,
          params: 1,
          losses: [],
        },
        {
          size: 128,
          baseWidth: 16,
          batch: 32,
          mode: "eager",
          stepMs: 1,
          forwardMs: 1,
          params: 1,
          losses: [],
        },
      ],
    },
    notes: [],
  });
  const row = md.split("\n").find((l) => l.startsWith("| 128 "))!;
  const cells = row.split("|").map((c) => c.trim()).filter(Boolean);
  assert.deepEqual(cells.slice(8), ["10.0", "3.00x", "6.00", "5.00x", "5.00", "2.00x"]);
  assert.match(md, /\| 256 .*failed: out of memory/);
  assert.match(md, /\| edt .*\| 0\.0123 \|/);
});

Deno.test("adapterLines() names the adapter and the limits that matter", () => {
  const lines = adapterLines({
    vendor: "nvidia",
    architecture: "hopper",
    device: "",
    description: "NVIDIA H200",
    features: ["timestamp-query"],
    limits: { maxStorageBufferBindingSize: 4294967295, maxBindGroups: 8 },
  });
  assert.equal(lines[0], 'adapter: "NVIDIA H200", vendor nvidia, architecture hopper');
  assert.equal(lines[1], "limits: maxStorageBufferBindingSize 4294967295");
  assert.equal(lines[2], "features: timestamp-query");
});

Deno.test("filterGradCases() are the U-Net's first conv, a base conv and a transposed conv", () => {
  const cases = filterGradCases({ batch: 32, size: 256, baseWidth: 32 });
  assert.deepEqual(cases.map((c) => [c.x, c.w, c.stride]), [
    [[32, 256, 256, 1], [3, 3, 1, 32], 1],
    [[32, 256, 256, 32], [3, 3, 32, 32], 1],
    [[32, 256, 256, 32], [2, 2, 32, 64], 2],
  ]);
});
