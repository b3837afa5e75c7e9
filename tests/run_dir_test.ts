// Issue 11: nothing mixed, nothing lost. Two runs on one folder (the second refused, the
// first's files untouched, a dead owner's lock taken over), and `deno task pretrain` killed
// (SIGKILL) right after it logs an epoch, i.e. while it writes that epoch's checkpoints,
// several times: only complete checkpoints are left, `--resume` logs every epoch once, and the
// resumed run ends bit-identical to an uninterrupted one.

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "../lib/io/checkpoint.ts";
import { prepareRunDir } from "../lib/run/run_dir.ts";
import { truncateRunLog } from "../lib/run/run_log.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const EPOCHS = 12;
/** A pretraining run of a few seconds: 2 steps an epoch, a tiny U-Net. */
const TINY = [
  "--data.count=16",
  "--data.size=32",
  "--mask.patchSize=8",
  "--model.baseWidth=4",
  "--train.batchSize=8",
  "--train.ckptEvery=3",
  "--train.previewCount=0",
  "--train.backend=wasm",
];

/**
 * `deno task pretrain`'s script with the task's kind of permissions, writing under `outDir`;
 * stderr is kept only when `capture` (unread, progress lines would fill the pipe).
 */
function pretrain(
  outDir: string,
  name: string,
  epochs: number,
  flags: string[] = [],
  capture = false,
) {
  const args = [
    "run",
    `--allow-read=configs,shaders,lib,node_modules,${outDir}`,
    `--allow-write=${outDir}`,
    "--allow-sys=cpus,hostname",
    "--allow-env=MEDMIM_WASM_THREADS,MEDMIM_DEBUG,MIM_PRINT_SHADER,LOG_TOKENS,LOG_STREAM",
    "tasks/pretrain.ts",
    ...TINY,
    `--train.epochs=${epochs}`,
    `--run.outDir=${outDir}`,
    `--run.name=${name}`,
    ...flags,
  ];
  return new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { MEDMIM_WASM_THREADS: "1" },
    stdin: "null",
    stdout: "null",
    stderr: capture ? "piped" : "null",
  }).spawn();
}

async function logLines(path: string): Promise<number> {
  const text = await Deno.readTextFile(path).catch(() => "");
  return text.split("\n").length - 1;
}

async function waitFor(check: () => Promise<boolean>, what: string, seconds = 60): Promise<void> {
  const until = performance.now() + 1000 * seconds;
  while (!(await check())) {
    if (performance.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function stderrOf(child: Deno.ChildProcess): Promise<string> {
  return new TextDecoder().decode(await new Response(child.stderr).arrayBuffer());
}

Deno.test("a run folder held by a live run refuses --resume and --force; a dead owner's lock is taken over", async () => {
  const outDir = await Deno.makeTempDir();
  const runDir = `${outDir}/shared`;
  const first = pretrain(outDir, "shared", 400);
  try {
    await waitFor(async () => (await logLines(`${runDir}/log.jsonl`)) >= 1, "the first epoch");
    const owner = new RegExp(`in use by pid ${first.pid} on host "[^"]+"`);
    // a second process (the real task), and this one
    const second = pretrain(outDir, "shared", 400, ["--resume"], true);
    // refused at once; were it not, it would train 400 epochs into the live run's folder
    const timer = setTimeout(() => second.kill("SIGKILL"), 30_000);
    assert.equal((await second.status).code, 1);
    clearTimeout(timer);
    const lines = (await stderrOf(second)).trim().split("\n").filter((l) =>
      !l.startsWith("medmim pretrain: run")
    );
    assert.equal(lines.length, 1, lines.join("\n"));
    assert.match(lines[0]!, /^medmim pretrain: Busy: Run folder ".*shared" is in use by pid \d+/);
    await assert.rejects(prepareRunDir({ outDir, name: "shared" }, { resume: true }), owner);
    await assert.rejects(prepareRunDir({ outDir, name: "shared" }, { force: true }), owner);
    await Deno.stat(`${runDir}/log.jsonl`); // --force deleted nothing
    await assert.rejects(
      prepareRunDir({ outDir, name: "shared" }, {}),
      Deno.errors.AlreadyExists,
    );

    first.kill("SIGKILL");
    await first.status;
    const said: string[] = [];
    {
      await using dir = await prepareRunDir({ outDir, name: "shared" }, {
        resume: true,
        log: (line) => said.push(line),
      });
      assert.equal(dir.resuming, true);
      assert.equal(said.length, 1);
      assert.match(said[0]!, new RegExp(`stale lock .* pid ${first.pid} on host`));
      assert.match(await Deno.readTextFile(dir.lock.path), new RegExp(`"pid":${Deno.pid}`));
    }
    assert.equal(await Deno.stat(`${runDir}/run.lock`).then(() => true, () => false), false);
  } finally {
    try {
      first.kill("SIGKILL");
    } catch { /* already gone */ }
    await first.status;
    await Deno.remove(outDir, { recursive: true });
  }
});

Deno.test("truncateRunLog() keeps the epochs a checkpoint covers and drops a torn last line", async () => {
  const path = await Deno.makeTempFile();
  try {
    const lines = [0, 1, 2, 3].map((epoch) => JSON.stringify({ epoch, loss: 1 / (epoch + 1) }));
    await Deno.writeTextFile(path, lines.join("\n") + "\n" + '{"epoch": 4, "lo');
    assert.equal(await truncateRunLog(path, 5), 1);
    assert.equal(await Deno.readTextFile(path), lines.join("\n") + "\n");
    assert.equal(await truncateRunLog(path, 2), 2);
    assert.equal(await Deno.readTextFile(path), lines.slice(0, 2).join("\n") + "\n");
    assert.equal(await truncateRunLog(path, 0), 2);
    assert.equal(await Deno.readTextFile(path), "");
    assert.equal(await truncateRunLog(`${path}.absent`, 3), 0);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("deno task pretrain killed while writing checkpoints, 3 times: --resume ends bit-identical", async () => {
  const outDir = await Deno.makeTempDir();
  try {
    const reference = pretrain(outDir, "straight", EPOCHS);
    const runDir = `${outDir}/killed`;
    const kills: string[] = [];
    for (let k = 0; k < 3; k++) {
      const child = pretrain(outDir, "killed", EPOCHS, k === 0 ? [] : ["--resume"]);
      // right after an epoch's log line, pretraining writes that epoch's checkpoints
      const before = await logLines(`${runDir}/log.jsonl`);
      const target = Math.min(EPOCHS - 1, before + 1 + Math.floor(Math.random() * 3));
      await waitFor(async () => (await logLines(`${runDir}/log.jsonl`)) >= target, "an epoch");
      const delay = Math.floor(Math.random() * 8); // ms: inside or around the checkpoint write
      await new Promise((r) => setTimeout(r, delay));
      child.kill("SIGKILL");
      await child.status;
      kills.push(`after log line ${target} + ${delay} ms`);
      for await (const entry of Deno.readDir(runDir)) {
        if (!entry.name.endsWith(".ckpt")) continue; // .tmp files may be left: cleaned on start
        await loadCheckpoint(`${runDir}/${entry.name}`).catch((error) => {
          throw new Error(`${entry.name} unreadable after kill ${kills.at(-1)}: ${error}`);
        });
      }
    }
    const last = await pretrain(outDir, "killed", EPOCHS, ["--resume"], true).output();
    assert.equal(last.code, 0, new TextDecoder().decode(last.stderr));
    assert.equal((await reference.status).code, 0);

    const read = async (dir: string) =>
      (await Deno.readTextFile(`${outDir}/${dir}/log.jsonl`)).trim().split("\n").map((l) =>
        JSON.parse(l) as { epoch: number; loss: number }
      );
    const killed = await read("killed"), straight = await read("straight");
    assert.deepEqual(killed.map((l) => l.epoch), [...Array(EPOCHS).keys()], kills.join("; "));
    assert.deepEqual(killed.map((l) => l.loss), straight.map((l) => l.loss), "same loss per epoch");
    const names = [...Deno.readDirSync(runDir)].map((e) => e.name).sort();
    assert.deepEqual(names.filter((n) => n.endsWith(".tmp") || n === "run.lock"), []);
    for (const n of ["0003", "0006", "0009", "0012"]) {
      assert.ok(names.includes(`checkpoint_epoch_${n}.ckpt`), `checkpoint_epoch_${n}.ckpt`);
    }
    const a = await loadCheckpoint(`${runDir}/checkpoint_last.ckpt`);
    const b = await loadCheckpoint(`${outDir}/straight/checkpoint_last.ckpt`);
    assert.deepEqual([...a.tensors.keys()], [...b.tensors.keys()]);
    for (const [name, t] of a.tensors) {
      const bytes = (x: Float32Array) => new Uint8Array(x.buffer, x.byteOffset, x.byteLength);
      assert.deepEqual(bytes(t.data), bytes(b.tensors.get(name)!.data), `${name} bit-identical`);
    }
    assert.equal(a.meta.step, b.meta.step);
  } finally {
    await Deno.remove(outDir, { recursive: true });
  }
});
