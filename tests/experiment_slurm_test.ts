/**
 * The emitted Slurm job arrays on a real Slurm: a one-node cluster on this
 * machine (munged, slurmctld and slurmd as root, in a temporary folder, on
 * their own socket and ports), the tiny smoke grid submitted through the
 * emitted `slurm_submit.sh`, waited for, the daemons stopped, and `--collect`
 * compared with a local run of the same grid. Skipped with a message where
 * Slurm and munge are not installed (`.ci/run` installs Debian's slurm-wlm
 * and munge) or the test is not root.
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { setupWasmBackend } from "../lib/backend/wasm_setup.ts";
import { readJson } from "../lib/experiment/cell_state.ts";
import { collectGrid } from "../lib/experiment/collect.ts";
import type { CellRecord } from "../lib/experiment/run_cell.ts";
import { runGrid } from "../lib/experiment/run_grid.ts";
import { SMOKE_GRID, TEST_MACHINE, tinyGrid, tinyOverrides } from "./_tiny_grid.ts";

const BINARIES = [
  "/usr/sbin/munged",
  "/usr/sbin/slurmctld",
  "/usr/sbin/slurmd",
  "/usr/bin/sbatch",
  "/usr/bin/squeue",
  "/usr/bin/sinfo",
];
const missing = [];
for (const b of BINARIES) if (!(await Deno.stat(b).then(() => true, () => false))) missing.push(b);
const isRoot = Deno.uid() === 0;
const skip = missing.length > 0 || !isRoot;
if (skip) {
  console.warn(
    `experiment_slurm_test: skipped: ${
      missing.length > 0
        ? `missing ${missing.join(", ")} (apt-get install slurm-wlm munge)`
        : "not root"
    }`,
  );
}
/**
 * The grid submitted: scratch and MAE (BASE) x 5%, 10% x one seed, 1-epoch
 * pretraining (two arrays: 1 pretraining task, then 4 fine-tuning tasks).
 */
const SMALL = [
  "rows.SimMIM=null",
  "seeds=[0]",
  "pretrain.train.epochs=1",
  "emit.slurm.cpusPerTask=1",
  "emit.slurm.mem=1G",
  "emit.slurm.time=00:10:00",
];
const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Runs a command, returns stdout; throws with stderr on failure. */
async function run(cmd: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
    cwd: ROOT,
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `${cmd} ${args.join(" ")}: exit ${out.code}: ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

async function waitFor(what: string, seconds: number, test: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 1000 * seconds;
  while (Date.now() < deadline) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`Slurm test: ${what} did not happen within ${seconds} s`);
}

Deno.test({
  name:
    "the emitted Slurm arrays run the tiny smoke grid on a one-node Slurm, and --collect gives the local run's table",
  ignore: skip,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const tmp = await Deno.makeTempDir({ prefix: "medmim_slurm_" });
    const host = Deno.hostname();
    const cpus = navigator.hardwareConcurrency || 1;
    const memMb = Math.floor((Deno.systemMemoryInfo().total / 2 ** 20) * 0.8);
    const port = 20000 + Math.floor(Math.random() * 20000);
    const conf = `${tmp}/slurm.conf`;
    await Deno.mkdir(`${tmp}/state`);
    await Deno.mkdir(`${tmp}/spool`);
    await Deno.writeTextFile(
      conf,
      [
        "ClusterName=medmimtest",
        `SlurmctldHost=${host}`,
        "SlurmUser=root",
        "SlurmdUser=root",
        "AuthType=auth/munge",
        `AuthInfo=socket=${tmp}/munge.sock`,
        "CredType=cred/munge",
        `SlurmctldPort=${port}`,
        `SlurmdPort=${port + 1}`,
        `StateSaveLocation=${tmp}/state`,
        `SlurmdSpoolDir=${tmp}/spool`,
        `SlurmctldPidFile=${tmp}/slurmctld.pid`,
        `SlurmdPidFile=${tmp}/slurmd.pid`,
        `SlurmctldLogFile=${tmp}/slurmctld.log`,
        `SlurmdLogFile=${tmp}/slurmd.log`,
        "ProctrackType=proctrack/linuxproc",
        "TaskPlugin=task/none",
        "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU",
        "SchedulerType=sched/backfill",
        "SchedulerParameters=sched_interval=2,bf_interval=1",
        "ReturnToService=2",
        "MpiDefault=none",
        "JobCompType=jobcomp/none",
        "AccountingStorageType=accounting_storage/none",
        "JobAcctGatherType=jobacct_gather/none",
        `NodeName=${host} CPUs=${cpus} RealMemory=${memMb} State=UNKNOWN`,
        "PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
        "",
      ].join("\n"),
    );
    const env = { SLURM_CONF: conf, DENO: Deno.execPath() };
    const daemons: Deno.ChildProcess[] = [];
    const start = (cmd: string, args: string[]) =>
      daemons.push(new Deno.Command(cmd, { args, env, stdout: "null", stderr: "null" }).spawn());
    try {
      start("/usr/sbin/munged", [
        "-F",
        "-f",
        "-S",
        `${tmp}/munge.sock`,
        `--pid-file=${tmp}/munged.pid`,
        `--log-file=${tmp}/munged.log`,
        `--seed-file=${tmp}/munged.seed`,
      ]);
      await waitFor(
        "munged",
        20,
        () => Deno.stat(`${tmp}/munge.sock`).then(() => true, () => false),
      );
      start("/usr/sbin/slurmctld", ["-D", "-c", "-i", "-f", conf]);
      start("/usr/sbin/slurmd", ["-D", "-f", conf]);
      await waitFor(
        "the node to be idle",
        60,
        async () => (await run("sinfo", ["-h", "-o", "%T"], env).catch(() => "")).trim() === "idle",
      );

      // emit through the task, as a user would, and submit through the emitted script
      const overrides = [
        ...tinyOverrides(`${tmp}/runs`),
        "rows.MPS-AMS=null",
        ...SMALL,
      ];
      await run(Deno.execPath(), [
        "run",
        "-A",
        "tasks/experiment.ts",
        "--config",
        SMOKE_GRID,
        "--emit",
        "slurm",
        ...overrides.map((o) => `--${o}`),
      ]);
      const plan = await tinyGrid(`${tmp}/runs`, SMALL);
      assert.equal(plan.cells.length, 5, "1 pretraining + 2 rows x 2 fractions");
      const submitted = await run("bash", [`${plan.dir}/jobs/slurm_submit.sh`], env);
      assert.match(submitted, /pretraining cells 0-0: job \d+/);
      await waitFor(
        "the jobs to end",
        600,
        async () => (await run("squeue", ["-h"], env)).trim() === "",
      );

      // every cell ran once, the fine-tuning array after the pretraining one
      const records: CellRecord[] = [];
      for (const c of plan.cells) {
        const r = await readJson(`${c.runDir}/cell.json`) as CellRecord | undefined;
        assert.ok(r, `cell ${c.index} finished (log: ${plan.dir}/jobs/logs/cell_${c.index}.out)`);
        records.push(r);
      }
      const preEnd = Math.max(
        ...records.filter((r) => r.stage === "pretrain").map((r) => Date.parse(r.finishedAt)),
      );
      for (const r of records.filter((r) => r.stage === "finetune")) {
        assert.ok(Date.parse(r.startedAt) >= preEnd, `cell ${r.index} started after pretraining`);
      }
      const slurmTable = await collectGrid(plan);

      // the same grid, locally
      await setupWasmBackend({ threads: 1 });
      const local = await tinyGrid(`${tmp}/local`, SMALL);
      await runGrid(local, { machine: TEST_MACHINE, progress: null, log: () => {} });
      const localTable = await collectGrid(local);
      assert.deepEqual(slurmTable.table.entries, localTable.table.entries);
      const lines = (md: string) => md.split("\n").filter((l) => l.startsWith("|"));
      assert.deepEqual(lines(slurmTable.markdown), lines(localTable.markdown));
    } finally {
      for (const d of daemons.reverse()) {
        try {
          d.kill("SIGTERM");
        } catch { /* gone */ }
        await d.status;
      }
      await Deno.remove(tmp, { recursive: true }).catch(() => {});
    }
  },
});
