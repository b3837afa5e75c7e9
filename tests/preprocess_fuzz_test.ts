// Issue 11: hostile but fair inputs. `deno task preprocess` (the real task, in a child process)
// on one folder of corrupted NIfTI cases and one of corrupted PNG cases, each mixed with good
// ones: every bad case is one report line naming its file and the field, every good case is in
// the cache, the counters add up, nothing prints a stack trace, peak memory stays bounded, and
// --strict stops at the first bad case with that same line.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { writeNiftiVariants } from "./_nifti_variants.ts";
import { writePngVariants } from "./_png_variants.ts";
import type { Variants } from "./_nifti_variants.ts";

const DATA = new URL("../../shared/data/", import.meta.url);
const haveShared = await Deno.stat(DATA).then(() => true, () => false);
if (!haveShared) {
  console.warn(
    `preprocess_fuzz_test: ${fileURLToPath(DATA)} is absent; the fuzz tests are skipped`,
  );
}
const TIME = "/usr/bin/time";
const haveTime = await Deno.stat(TIME).then(() => true, () => false);
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/**
 * Peak resident memory allowed to the task: 116-118 MB measured on the build machine; a
 * 65535 x 65535 RGB PNG decoded would need 17 GB, the NIfTI headers claim up to 2 GB.
 */
const PEAK_MB = 400;

interface TaskRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  /** Peak RSS in MB, when `/usr/bin/time` exists. */
  readonly peakMb: number | null;
}

async function preprocess(configPath: string, extra: string[], dir: string): Promise<TaskRun> {
  const rss = `${dir}/rss.txt`;
  const deno = [
    Deno.execPath(),
    "run",
    "--allow-read",
    `--allow-write=${dir}`,
    "--allow-env",
    "tasks/preprocess.ts",
    "--config",
    configPath,
    ...extra,
  ];
  const [cmd, ...args] = haveTime ? [TIME, "-f", "%M", "-o", rss, ...deno] : deno;
  const out = await new Deno.Command(cmd!, { args, cwd: ROOT, stdin: "null" }).output();
  const peakKb = haveTime ? Number((await Deno.readTextFile(rss)).trim().split("\n").pop()) : NaN;
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
    peakMb: haveTime ? peakKb / 1024 : null,
  };
}

/** `caseId -> message` of the report's "skipped" lines, asserting each case appears once. */
function skippedLines(stderr: string): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of stderr.split("\n")) {
    const m = /^skipped (.+?): (Cannot .*)$/.exec(line);
    if (!m) continue;
    assert.ok(!lines.has(m[1]!), `case ${m[1]} is reported twice`);
    lines.set(m[1]!, m[2]!);
  }
  return lines;
}

function assertNoStack(stderr: string): void {
  const stack = stderr.split("\n").filter((l) => /^\s+at |^error: |Stack backtrace/.test(l));
  assert.deepEqual(stack, [], "no stack trace or uncaught error");
}

async function checkRun(run: TaskRun, variants: Variants, cache: string): Promise<string[]> {
  assert.equal(run.code, 0, run.stderr.slice(-2000));
  assertNoStack(run.stderr);
  const lines = skippedLines(run.stderr);
  for (const bad of variants.bad) {
    const line = lines.get(bad.caseId);
    assert.ok(line !== undefined, `bad case ${bad.caseId} has no report line`);
    assert.ok(line.includes(`"${bad.file}"`), `${bad.caseId}: line names ${bad.file}: ${line}`);
    assert.match(line, bad.field, `${bad.caseId}: line names the field: ${line}`);
  }
  assert.deepEqual(
    [...lines.keys()].sort(),
    variants.bad.map((b) => b.caseId).sort(),
    "only bad cases are skipped",
  );
  const manifest = JSON.parse(await Deno.readTextFile(`${cache}/manifest.json`)) as {
    cases: { caseId: string }[];
  };
  assert.deepEqual(manifest.cases.map((c) => c.caseId).sort(), [...variants.good].sort());
  const total = variants.good.length + variants.bad.length;
  assert.match(
    run.stdout,
    new RegExp(
      `^${total} cases \\(${variants.good.length} processed, 0 reused, ${variants.bad.length} skipped\\)`,
    ),
  );
  if (run.peakMb !== null) {
    assert.ok(run.peakMb < PEAK_MB, `peak RSS ${run.peakMb.toFixed(0)} MB`);
  } else console.warn(`preprocess_fuzz_test: ${TIME} is absent; peak memory not measured`);
  return [...lines.values()];
}

async function writeConfig(dir: string, lines: string[]): Promise<string> {
  const path = `${dir}/config.yaml`;
  await Deno.writeTextFile(
    path,
    [
      ...lines,
      "size: 32",
      "spacing: [4, 4, 4]",
      `maxVoxels: ${2 ** 22}`,
      `maxPixels: ${2 ** 22}`,
      "",
    ].join("\n"),
  );
  return path;
}

Deno.test({
  name: "deno task preprocess: 74 corrupted NIfTI cases are one line each, 9 good ones cached",
  ignore: !haveShared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const samples = fileURLToPath(new URL("nifti-samples", DATA));
      const variants = await writeNiftiVariants(samples, `${dir}/in`);
      assert.deepEqual([variants.bad.length, variants.good.length], [74, 9]);
      const cache = `${dir}/cache`;
      const config = await writeConfig(dir, [
        "layout: images-labels",
        `input: ${dir}/in`,
        `output: ${cache}`,
      ]);
      const run = await preprocess(config, [], dir);
      const messages = await checkRun(run, variants, cache);

      // --strict: the first bad case's line, exit code 1, nothing else
      const strict = await preprocess(config, ["--strict"], dir);
      assert.equal(strict.code, 1);
      assertNoStack(strict.stderr);
      const errors = strict.stderr.split("\n").filter((l) => l.startsWith("medmim preprocess:"));
      assert.deepEqual(errors, [`medmim preprocess: InputFileError: ${messages[0]}`]);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name: "deno task preprocess: 28 corrupted PNG cases are one line each, 3 good ones cached",
  ignore: !haveShared,
  async fn() {
    const dir = await Deno.makeTempDir();
    try {
      const busi = fileURLToPath(new URL("busi/benign/", DATA));
      const variants = await writePngVariants(
        `${busi}benign (51).png`,
        `${busi}benign (51)_mask.png`,
        `${dir}/in`,
      );
      assert.deepEqual([variants.bad.length, variants.good.length], [28, 3]);
      const cache = `${dir}/cache`;
      const config = await writeConfig(dir, [
        "layout: busi",
        `input: ${dir}/in`,
        `output: ${cache}`,
      ]);
      await checkRun(await preprocess(config, [], dir), variants, cache);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
