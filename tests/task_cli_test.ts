import assert from "node:assert/strict";
import { settingRows, SETTINGS_SCHEMAS } from "../lib/config/settings_table.ts";
import { parseTaskArgs } from "../tasks/_cli.ts";
import { taskHelp } from "../tasks/_help.ts";
import { withSettingsTables } from "../tasks/_readme_settings.ts";
import { TASK_SPECS, type TaskName } from "../tasks/_task_specs.ts";
import { REPO } from "../tasks/launch.ts";
import { UsageError } from "../lib/errors.ts";
import { DEFAULT_CONFIG } from "../lib/config/pretrain_config.ts";

const TASKS = Object.keys(TASK_SPECS) as TaskName[];

/** `deno task <name> <args>` of this repository; stdout, stderr, exit code. */
async function task(name: string, args: string[]) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", `--config=${REPO}deno.json`, name, ...args],
    stdin: "null",
    env: { MEDMIM_WASM_THREADS: "1" },
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

const STACK = /^\s+at /m;

Deno.test("README's tables of settings are the ones lib/config generates", async () => {
  const readme = await Deno.readTextFile(new URL("../README.md", import.meta.url));
  assert.equal(withSettingsTables(readme), readme, "run deno task docs");
});

Deno.test("every setting has a type, a default and a one-line meaning; --help lists them all", () => {
  for (const schema of SETTINGS_SCHEMAS) {
    for (const row of settingRows(schema)) {
      assert.ok(row.meaning.length > 0 && !row.meaning.includes("\n"), `${schema} ${row.key}`);
      assert.ok(row.type.length > 0 && row.default.length > 0, `${schema} ${row.key}`);
    }
  }
  const rows = settingRows("pretrain");
  assert.equal(rows.length, countLeaves(DEFAULT_CONFIG));
  assert.deepEqual(rows.find((r) => r.key === "mask.objective"), {
    key: "mask.objective",
    type: "mae | simmim",
    default: "mae",
    meaning: "mae: L2 on removed patches; simmim: L1 on removed pixels",
  });
  const help = taskHelp(TASK_SPECS.finetune);
  for (const row of settingRows("finetune")) {
    assert.ok(
      help.includes(`  ${row.key}: ${row.type}, default ${row.default}\n      ${row.meaning}`),
    );
  }
});

Deno.test("parseTaskArgs() takes overrides, refuses unknown flags and names the known ones", () => {
  const spec = TASK_SPECS.pretrain;
  const ok = parseTaskArgs(
    ["--config", "a.yaml", "--resume", "--train.epochs=2", "run.seed=3"],
    spec,
  );
  assert.deepEqual(ok.values, { config: "a.yaml", resume: true });
  assert.deepEqual(ok.overrides, ["train.epochs=2", "run.seed=3"]);
  const refused = (args: string[], pattern: RegExp) =>
    assert.throws(
      () => parseTaskArgs(args, spec),
      (e: unknown) =>
        e instanceof UsageError && pattern.test(e.message) && e.message.includes("--resume"),
    );
  refused(["--resum"], /Unknown flag "--resum"/);
  refused(["--config"], /"--config" needs a value/);
  refused(["--force=yes"], /"--force" takes no value/);
  refused(["stray"], /Unexpected argument "stray"/);
  refused(["--train.epochs"], /"--train.epochs" needs a value/);
  assert.throws(() => parseTaskArgs(["--train.epochs=2"], TASK_SPECS.export), UsageError);
});

Deno.test("every task: --help exits 0 with its usage and flags; an unknown flag exits 2 in one line", async () => {
  const results = await Promise.all(TASKS.map(async (name) => ({
    name,
    help: await task(name, ["--help"]),
    bad: await task(name, ["--definitely-not-a-flag"]),
  })));
  for (const { name, help, bad } of results) {
    assert.equal(help.code, 0, `${name} --help: ${help.stderr}`);
    assert.ok(help.stdout.startsWith(`usage: deno task ${name} `), `${name}: ${help.stdout}`);
    for (const flag of Object.keys(TASK_SPECS[name].flags)) {
      assert.ok(help.stdout.includes(`--${flag}`), `${name} --help lists --${flag}`);
    }
    assert.equal(bad.code, 2, `${name}: ${bad.stderr}`);
    assert.match(
      bad.stderr.trim(),
      new RegExp(`^medmim ${name}: Unknown flag "--definitely-not-a-flag";.*--help`),
    );
    assert.equal(bad.stderr.trim().split("\n").length, 1, bad.stderr);
  }
  const pretrainHelp = results.find((r) => r.name === "pretrain")!.help.stdout;
  for (const row of settingRows("pretrain")) assert.ok(pretrainHelp.includes(`  ${row.key}: `));
});

Deno.test("user errors are one line without a stack trace", async () => {
  const cases: [string, string[], RegExp][] = [
    ["pretrain", ["--train.epoch=3"], /Invalid config key "train.epoch": unknown key/],
    ["finetune", ["--config", "/nonexistent/f.yaml"], /NotFound.*\/nonexistent\/f.yaml/],
    ["preprocess", ["--layout", "nope", "--input", "x"], /Invalid config key "layout"/],
    ["evaluate", ["--run", "/nonexistent/run", "--checkpoint", "worst"], /--checkpoint is "worst"/],
    ["export", [], /--run runs\/<name> is required/],
  ];
  const results = await Promise.all(cases.map(([name, args]) => task(name, args)));
  results.forEach((r, i) => {
    const [name, , pattern] = cases[i]!;
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.doesNotMatch(r.stderr, STACK, `${name} printed a stack trace:\n${r.stderr}`);
  });
});

function countLeaves(value: unknown): number {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? Object.values(value).reduce((n: number, v) => n + countLeaves(v), 0)
    : 1;
}
