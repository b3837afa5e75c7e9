/**
 * `deno task bench-pack`: builds the GPU bench pack, a folder (default
 * `bench-pack/`, git-ignored) that runs the GPU bench offline on a bare
 * x86-64 Linux GPU machine (no Deno, no network; PyTorch may be there):
 *
 *   run.sh               the run script (`tasks/bench_pack_run.sh`)
 *   deno.xz              this Deno, xz-compressed
 *   js/.../bench_gpu.js  `tasks/bench_gpu.ts` bundled into one file, as deep
 *                        as `lib/gpu/shader.ts` so that its `../../shaders/`
 *                        finds the pack's shaders, and beside it the worker
 *                        scripts it starts by `./<name>.ts` URLs (the wasm
 *                        pthread worker as it is, medmim's kernel and ceiling
 *                        workers bundled)
 *   shaders/*.wgsl       medmim's WGSL kernels
 *   bench_torch_unet.py  the PyTorch reference
 *   wasm/*.wasm          tfjs-backend-wasm's binaries
 *   debs/*.deb           the Vulkan loader and GL/EGL (libglvnd) packages
 *                        (`apt-get download`, or `--debs=DIR`)
 *   MANIFEST.json        every file with its size and SHA-256
 *
 * The pack must stay under 64 MiB (what a GPU machine can be brought).
 *
 *   deno task bench-pack [--out=bench-pack] [--debs=DIR] [--xz-level=6]
 *
 * (`--out` must be inside the repo: the task may write only `bench-pack/`
 * unless run with wider permissions.)
 *
 * @module
 */

import { parseArgs } from "node:util";
import { packProblems, readPackManifest } from "../lib/bench/pack_manifest.ts";
import { WASM_BINARIES, wasmDistDir } from "../lib/backend/wasm_setup.ts";
import { writeAtomic } from "../lib/io/write_atomic.ts";
import { runTask } from "./_run_task.ts";

/** The Vulkan loader, and the GL/EGL dispatch libraries NVIDIA's Vulkan driver links to. */
const DEBS = ["libvulkan1", "libglvnd0", "libegl1", "libgl1", "libglx0", "libopengl0", "libgles2"];

const log = (text: string) => console.error(`bench-pack: ${text}`);

/** First line of the bundle: the CommonJS globals the bundled npm code expects. */
const BANNER =
  'globalThis.__dirname ??= decodeURIComponent(new URL(".", import.meta.url).pathname);' +
  " globalThis.__filename ??= decodeURIComponent(new URL(import.meta.url).pathname);\n";

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "bench-pack" },
      debs: { type: "string" },
      "xz-level": { type: "string", default: "6" },
    },
  });
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `Cannot build the bench pack: it carries this Deno, which is ${Deno.build.target}, ` +
        "and the GPU machines are x86-64 Linux",
    );
  }
  const root = decodeURIComponent(new URL("../", import.meta.url).pathname).replace(/\/$/, "");
  const out = values.out.startsWith("/") ? values.out : `${root}/${values.out}`;
  await Deno.remove(out, { recursive: true }).catch((e) => {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  });
  await Deno.mkdir(out, { recursive: true });

  // the bench, bundled; placed as deep as lib/gpu/shader.ts is below the repo
  // (the output must end in .js: deno bundle writes a require shim that fails otherwise)
  const bundle = `${out}/bench_gpu.js`;
  await run("deno", [
    "bundle",
    "--quiet",
    "--platform=deno",
    `--output=${bundle}`,
    `${root}/tasks/bench_gpu.ts`,
  ]);
  // tfjs-backend-wasm's Emscripten glue reads `__dirname` when it runs under
  // Node-like runtimes; an ES module bundle has none, so give it the bundle's folder
  const code = BANNER + await Deno.readTextFile(bundle);
  await Deno.writeTextFile(bundle, code);
  const depth = shaderDepth(code);
  const dir = `${out}/js${"/bench".repeat(depth - 1)}`;
  await Deno.mkdir(dir, { recursive: true });
  await Deno.rename(bundle, `${dir}/bench_gpu.js`);
  if (!code.includes("__deno_internal_createRequire(import.meta.url)")) {
    throw new Error("Cannot build the bench pack: the bundle has no Deno require shim");
  }
  const npm = code.match(/["']npm:[^"']+["']/);
  if (npm) throw new Error(`Cannot build the bench pack: the bundle still imports ${npm[0]}`);
  log(`bundled tasks/bench_gpu.ts (${(code.length / 2 ** 20).toFixed(1)} MiB)`);
  // the workers, under the names the bundle's `new URL("./<name>.ts", import.meta.url)` asks for
  await Deno.copyFile(
    `${root}/lib/backend/_wasm_pthread_worker.ts`,
    `${dir}/_wasm_pthread_worker.ts`,
  );
  for (
    const worker of ["lib/backend/_wasm_kernel_worker.ts", "lib/bench/_wasm_ceiling_worker.ts"]
  ) {
    const name = worker.split("/").at(-1)!.replace(/\.ts$/, "");
    await run("deno", [
      "bundle",
      "--quiet",
      "--platform=deno",
      `--output=${dir}/${name}.js`,
      `${root}/${worker}`,
    ]);
    // a .ts name holding JS: Deno runs it as TypeScript, which JS is
    await Deno.rename(`${dir}/${name}.js`, `${dir}/${name}.ts`);
  }

  // shaders, the PyTorch reference, the run script, the wasm binaries
  await Deno.mkdir(`${out}/shaders`);
  for await (const entry of Deno.readDir(`${root}/shaders`)) {
    if (entry.isFile && entry.name.endsWith(".wgsl")) {
      await Deno.copyFile(`${root}/shaders/${entry.name}`, `${out}/shaders/${entry.name}`);
    }
  }
  await Deno.copyFile(`${root}/tasks/bench_torch_unet.py`, `${out}/bench_torch_unet.py`);
  await Deno.copyFile(`${root}/tasks/bench_pack_run.sh`, `${out}/run.sh`);
  await Deno.chmod(`${out}/run.sh`, 0o755);
  await Deno.mkdir(`${out}/wasm`);
  for (const name of WASM_BINARIES) {
    await Deno.copyFile(`${wasmDistDir()}${name}`, `${out}/wasm/${name}`);
  }

  // the Vulkan loader and GL/EGL packages
  await Deno.mkdir(`${out}/debs`);
  if (values.debs) {
    for await (const entry of Deno.readDir(values.debs)) {
      if (entry.isFile && entry.name.endsWith(".deb")) {
        await Deno.copyFile(`${values.debs}/${entry.name}`, `${out}/debs/${entry.name}`);
      }
    }
  } else {
    await run("apt-get", ["download", "-q", ...DEBS], `${out}/debs`).catch((error) => {
      throw new Error(
        `Cannot build the bench pack: apt-get download failed (${error.message}); ` +
          "download the .debs elsewhere and pass --debs=DIR",
      );
    });
  }
  log(`packages: ${[...Deno.readDirSync(`${out}/debs`)].map((e) => e.name).sort().join(" ")}`);

  // this Deno, compressed
  const level = Number(values["xz-level"]);
  if (!Number.isInteger(level) || level < 0 || level > 9) {
    throw new RangeError(`Cannot build the bench pack: --xz-level must be 0..9, got ${level}`);
  }
  // cached under .cache/bench-pack/ by Deno version, target and level (xz takes minutes)
  const cacheDir = `${root}/.cache/bench-pack`;
  const cached = `${cacheDir}/deno-${Deno.version.deno}-${Deno.build.target}-xz${level}.xz`;
  if (!(await Deno.stat(cached).then(() => true, () => false))) {
    log(`compressing ${Deno.execPath()} (xz -${level})`);
    await Deno.mkdir(cacheDir, { recursive: true });
    const xz = new Deno.Command("xz", {
      args: [`-${level}`, "-T0", "-c", Deno.execPath()],
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const file = await Deno.open(`${cached}.tmp`, { write: true, create: true, truncate: true });
    await xz.stdout.pipeTo(file.writable);
    if (!(await xz.status).success) throw new Error("Cannot build the bench pack: xz failed");
    await Deno.rename(`${cached}.tmp`, cached);
  } else {
    log(`this Deno, compressed earlier: ${cached}`);
  }
  await Deno.copyFile(cached, `${out}/deno.xz`);

  // the manifest, and the checks
  await run("bash", ["-n", `${out}/run.sh`]);
  const manifest = await readPackManifest(out, new Set(["MANIFEST.json"]));
  const problems = packProblems(manifest);
  await writeAtomic(
    `${out}/MANIFEST.json`,
    JSON.stringify(
      {
        built: new Date().toISOString(),
        deno: Deno.version.deno,
        entry: `${dir.slice(out.length + 1)}/bench_gpu.js`,
        ...manifest,
      },
      null,
      2,
    ) + "\n",
  );
  if (problems.length > 0) {
    throw new Error(`Cannot build the bench pack: ${problems.join("; ")}`);
  }
  log(
    `${out}: ${manifest.files.length} files, ${(manifest.totalBytes / 2 ** 20).toFixed(1)} MiB; ` +
      `run it there with: bash ${values.out}/run.sh [OUT_DIR]`,
  );
}

/**
 * How many folders below the pack the bundle must sit: the bundle resolves
 * `new URL("<../ x depth>shaders/", import.meta.url)` (from `lib/gpu/shader.ts`).
 */
function shaderDepth(code: string): number {
  const match = code.match(/new URL\(\s*["']((?:\.\.\/)+)shaders\/["'],\s*import\.meta\.url\s*\)/);
  if (!match) {
    throw new Error(
      "Cannot build the bench pack: the bundle has no shader folder URL to place it by",
    );
  }
  return match[1]!.length / 3;
}

/** Runs a command (inheriting output), failing with its name and exit code. */
async function run(command: string, args: readonly string[], cwd?: string): Promise<void> {
  const status = await new Deno.Command(command, {
    args: [...args],
    ...(cwd ? { cwd } : {}),
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!status.success) throw new Error(`${command} ${args[0]} exited with code ${status.code}`);
}

if (import.meta.main) await runTask("bench-pack", main);
