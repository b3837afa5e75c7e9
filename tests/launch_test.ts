import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { resolvePreprocessConfig } from "../lib/config/preprocess_config.ts";
import { runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import { writeNifti } from "../lib/io/nifti_write.ts";
import { taskGrants } from "../tasks/_grants.ts";
import { REPO, taskCommand } from "../tasks/launch.ts";

const DENO = Deno.execPath();
const PROBE = fileURLToPath(new URL("./_write_probe.ts", import.meta.url));
const THREADS_PROBE = fileURLToPath(new URL("./_wasm_threads_probe.ts", import.meta.url));
const haveScript = await Deno.stat("/usr/bin/script").then(() => true, () => false);

/** A temp folder outside the repository with a 3-case slice cache and a pretraining config. */
async function outsideSetup(): Promise<{ root: string; config: string }> {
  const root = await Deno.makeTempDir({ prefix: "medmim_outside_" });
  assert.ok(!root.startsWith(REPO), "the temp folder is outside the repository");
  const d = 16, nz = 3;
  await Deno.mkdir(`${root}/data/images`, { recursive: true });
  for (const [k, id] of ["a", "b", "c"].entries()) {
    const image = Float32Array.from({ length: d * d * nz }, (_, i) => 1 + ((i * 7 + k) % 11));
    await writeNifti(`${root}/data/images/${id}.nii.gz`, { data: image, dims: [d, d, nz] });
  }
  await runPreprocess(resolvePreprocessConfig({
    layout: "images-labels",
    input: `${root}/data`,
    output: `${root}/cache`,
    labelsDir: null,
    size: d,
  }));
  const config = `${root}/pretrain.yaml`;
  await Deno.writeTextFile(
    config,
    [
      "run: { name: outside_run, outDir: " + JSON.stringify(`${root}/runs`) + " }",
      "data: { source: cache, cacheDir: " + JSON.stringify(`${root}/cache`) + ", size: 16 }",
      "model: { baseWidth: 2 }",
      "mask: { patchSize: 4 }",
      "train: { epochs: 1, batchSize: 4, previewCount: 1, backend: wasm }",
      "",
    ].join("\n"),
  );
  return { root, config };
}

/** `deno task <args>` of this repository, from `cwd`. */
async function denoTask(args: string[], cwd: string, env: Record<string, string> = {}) {
  const out = await new Deno.Command(DENO, {
    args: ["task", "--quiet", `--config=${REPO}deno.json`, ...args],
    cwd,
    env: { MEDMIM_WASM_THREADS: "1", ...env },
    stdin: "null",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

Deno.test("a config, a cache and a run folder outside the repository work with the task's own permissions", async () => {
  const { root, config } = await outsideSetup();
  try {
    const grants = await taskGrants("pretrain", ["--config", config]);
    assert.deepEqual(grants.write, [`${root}/runs/outside_run`]);
    assert.deepEqual(grants.read, [config, `${root}/cache`]);
    const run = await denoTask(["pretrain", "--config", config], root);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /wrote .*outside_run/);
    for (const file of ["config.json", "log.jsonl", "checkpoint_last.ckpt", "preview.png"]) {
      assert.ok((await Deno.stat(`${root}/runs/outside_run/${file}`)).isFile, file);
    }
    const inRepo = await Deno.stat(`${REPO}runs/outside_run`).then(() => true, () => false);
    assert.equal(inRepo, false, "nothing was written under the repository's runs/");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("with a config's permissions, a write outside its run folder is refused in one clear line", async () => {
  const { root, config } = await outsideSetup();
  try {
    const grants = await taskGrants("pretrain", ["--config", config]);
    const probe = async (mode: string, path: string) => {
      const out = await new Deno.Command(DENO, {
        args: taskCommand("pretrain", grants, [mode, path], PROBE),
        stdin: "null",
      }).output();
      return { code: out.code, stderr: new TextDecoder().decode(out.stderr).trim() };
    };
    await Deno.mkdir(`${root}/runs/outside_run`, { recursive: true });
    assert.equal((await probe("write", `${root}/runs/outside_run/x.txt`)).code, 0);
    assert.equal((await probe("read", `${root}/cache/manifest.json`)).code, 0);

    const outside = `${root}/elsewhere.txt`;
    const refused = await probe("write", outside);
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr.split("\n").length, 1, refused.stderr);
    assert.match(
      refused.stderr,
      /^medmim probe: Cannot write ".*elsewhere.txt": outside the paths/,
    );
    assert.equal(await Deno.stat(outside).then(() => true, () => false), false);
    const repoWrite = await probe("write", `${REPO}runs/should_not_exist.txt`);
    assert.equal(repoWrite.code, 1, "not even the repository's own runs/ folder");
    const read = await probe("read", `${root}/data/images/a.nii.gz`);
    assert.match(read.stderr, /^medmim probe: Cannot read ".*a.nii.gz"/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name:
    "under a pseudo-terminal a task finishes (wasm threads included) and a refused access fails instead of prompting",
  ignore: !haveScript,
  async fn() {
    const { root, config } = await outsideSetup();
    try {
      const inTerminal = async (command: string) => {
        const out = await new Deno.Command("timeout", {
          args: ["90", "script", "-qec", command, "/dev/null"],
          env: { MEDMIM_WASM_THREADS: "2" },
          stdin: "null",
        }).output();
        return { code: out.code, text: new TextDecoder().decode(out.stdout) };
      };
      const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
      const task = await inTerminal(
        `${quote(DENO)} task --quiet --config=${quote(`${REPO}deno.json`)} pretrain --config ${
          quote(config)
        }`,
      );
      assert.equal(
        task.code,
        0,
        `exit ${task.code} (124: timed out, e.g. at a prompt):\n${task.text}`,
      );
      assert.match(task.text, /2 thread\(s\)/);
      assert.match(task.text, /wrote .*outside_run/);
      assert.doesNotMatch(task.text, /Allow\?/);

      const grants = await taskGrants("pretrain", ["--config", config]);
      const args = taskCommand("pretrain", grants, ["write", `${root}/elsewhere.txt`], PROBE);
      const refused = await inTerminal([DENO, ...args].map(quote).join(" "));
      assert.equal(refused.code, 1, refused.text);
      assert.match(refused.text, /Cannot write ".*elsewhere.txt"/);
      assert.doesNotMatch(refused.text, /Allow\?/);

      // the wasm pthread workers read no environment: no prompt even without --no-prompt
      const threads = await inTerminal(
        [
          DENO,
          "run",
          `--config=${REPO}deno.json`,
          `--allow-read=${REPO}lib,${REPO}node_modules`,
          "--allow-sys=cpus",
          THREADS_PROBE,
        ].map(quote).join(" "),
      );
      assert.equal(threads.code, 0, `exit ${threads.code}:\n${threads.text}`);
      assert.match(threads.text, /wasm threads 2, sum 4096/);
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
