import assert from "node:assert/strict";
import {
  DEFAULT_EXPERIMENT_CONFIG,
  EXPERIMENT_SETTINGS,
  loadExperimentConfig,
  rowId,
} from "../lib/config/experiment_config.ts";
import { ConfigError } from "../lib/errors.ts";
import { type Config, DEFAULT_CONFIG } from "../lib/config/pretrain_config.ts";
import { FINETUNE_PRESETS, PRETRAIN_PRESETS } from "../lib/config/protocols.ts";
import { type FinetuneCell, planGrid, type PretrainCell } from "../lib/experiment/plan_grid.ts";
import { SMOKE_GRID } from "./_tiny_grid.ts";

const CPU_PRETRAIN = PRETRAIN_PRESETS.cpu as { optim: { beta2: number } };
const CPU_FINETUNE = FINETUNE_PRESETS.cpu as { optim: { lr: number } };
const load = (...overrides: string[]) => loadExperimentConfig(SMOKE_GRID, overrides);

async function rejectsKey(promise: Promise<unknown>, key: string, message?: RegExp) {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.key, key, error.message);
    if (message) assert.match(error.message, message);
    return true;
  });
}

Deno.test("loadExperimentConfig() reads the smoke grid: rows by name, shorthand as mappings", async () => {
  const g = await load();
  assert.deepEqual(g.rows.map((r) => [r.name, r.id, r.kind, r.init]), [
    ["scratch", "scratch", "scratch", "auto"],
    ["MAE (BASE)", "mae_base", "mim", "auto"],
    ["SimMIM", "simmim", "mim", "auto"],
    ["MPS-AMS", "mps-ams", "mim", "auto"],
  ]);
  assert.equal(g.rows[1]!.config, "configs/pretrain_phantoms_base.yaml");
  assert.ok(g.fractions.length >= 2 && g.seeds.length >= 2 && g.rows.length >= 3);
  assert.equal(rowId("MAE (BASE)"), "mae_base");
});

Deno.test("loadExperimentConfig() names the key of every bad grid value", async () => {
  await rejectsKey(load("train.epochs=2"), "train", /"pretrain\." or "finetune\."/);
  await rejectsKey(load("seed=3"), "seed", /unknown key/);
  await rejectsKey(load("fractions=[0.2]"), "fractions", /0\.2/);
  await rejectsKey(load("seeds=[1, 1]"), "seeds", /repeated/);
  await rejectsKey(load("data.source=cache"), "data.cacheDir");
  await rejectsKey(load("data.size=40"), "data.size", /multiple of 16/);
  await rejectsKey(load("emit.slurm.time=soon"), "emit.slurm.time");
  await rejectsKey(load("rows.SimMIM.foo=1"), "rows.SimMIM.foo", /unknown key/);
  await rejectsKey(load("rows.SimMIM.init=decoder"), "rows.SimMIM.init");
  await rejectsKey(
    load("rows.scratch.set.train.epochs=1"),
    "rows.scratch",
    /no pretraining config/,
  );
  await rejectsKey(
    load("rows.mae base=scratch"),
    "rows.mae base",
    /also that of row "MAE \(BASE\)"/,
  );
});

Deno.test("planGrid() refuses unknown or grid-owned keys of the shared and row overrides, naming them", async () => {
  await rejectsKey(
    load("finetune.train.epoch=2").then(planGrid),
    "finetune.train.epoch",
    /known here: epochs/,
  );
  await rejectsKey(
    load("finetune.model.init=encoder").then(planGrid),
    "finetune.model.init",
    /set by the grid/,
  );
  await rejectsKey(
    load("pretrain.run.seed=4").then(planGrid),
    "pretrain.run.seed",
    /set by the grid/,
  );
  await rejectsKey(
    load("pretrain.data.count=4").then(planGrid),
    "pretrain.data.count",
    /set by the grid/,
  );
  await rejectsKey(
    load("rows.SimMIM.set.mask.ratio=0.6").then(planGrid),
    "rows.SimMIM.set.mask.ratio",
  );
  await rejectsKey(
    load("rows.SimMIM.kind=nope").then(planGrid),
    "rows.SimMIM.kind",
    /known: scratch, mim/,
  );
  await rejectsKey(
    load("pretrain.mask.maskRatio=1.5").then(planGrid),
    "rows.MAE (BASE)",
    /mask\.maskRatio/,
  );
});

Deno.test("planGrid() layers row file < shared overrides < row overrides < grid keys, and shares pretraining", async () => {
  const g = await load(
    "pretrain.train.epochs=7",
    "rows.SimMIM.set.train.epochs=9",
    "finetune.train.epochs=2",
    "rows.MPS-AMS.init=encoder",
  );
  const plan = await planGrid(g);
  const pre = plan.cells.filter((c): c is PretrainCell => c.stage === "pretrain");
  const fine = plan.cells.filter((c): c is FinetuneCell => c.stage === "finetune");
  assert.deepEqual(pre.map((c) => [c.index, c.id, c.config.train.epochs]), [
    [0, "mae_base", 7],
    [1, "simmim", 9],
    [2, "mps-ams", 7],
  ]);
  const simmim = pre[1]!.config as Config;
  assert.equal(simmim.mask.objective, "simmim", "from the row's file");
  assert.equal(simmim.run.name, "simmim", "the grid's, not the file's");
  assert.equal(simmim.data.seed, g.data.seed);
  assert.equal((pre[0]!.config as Config).data.count, g.data.count, "the file's 256 replaced");
  assert.equal(fine.length, g.rows.length * g.fractions.length * g.seeds.length);
  assert.deepEqual(fine.map((c) => c.index), fine.map((_, i) => pre.length + i));
  for (const c of fine) {
    assert.equal(c.config.train.epochs, 2);
    assert.equal(c.config.data.labelFraction, c.fraction);
    const expected = c.row.kind === "scratch"
      ? "scratch"
      : c.row.name === "MPS-AMS"
      ? "encoder"
      : "encoder_decoder";
    assert.equal(c.config.model.init, expected);
    assert.equal(c.pretrain?.id ?? null, c.row.kind === "scratch" ? null : c.row.id);
  }
  const each = await planGrid(await load("pretrainSeeds=each"));
  const eachPre = each.cells.filter((c): c is PretrainCell => c.stage === "pretrain");
  assert.equal(eachPre.length, 3 * g.seeds.length);
  for (
    const c of each.cells.filter((c): c is FinetuneCell =>
      c.stage === "finetune" && c.pretrain !== null
    )
  ) {
    assert.equal(c.pretrain!.seed, c.seed);
    assert.equal(c.pretrain!.row, c.row);
  }
});

Deno.test("every configs/experiment_*.yaml plans: rows, fractions 5% and 10%, each pretraining row shared", async () => {
  const files = [...Deno.readDirSync("configs")].map((e) => e.name)
    .filter((n) => /^experiment_.*\.yaml$/.test(n)).sort();
  assert.deepEqual(files, [
    "experiment_amlp_table3_brats.yaml",
    "experiment_busi_cpu.yaml",
    "experiment_busi_paper.yaml",
    "experiment_smoke.yaml",
  ]);
  for (const name of files) {
    const plan = await planGrid(await loadExperimentConfig(`configs/${name}`));
    const g = plan.config;
    assert.ok(g.rows.length >= 3 && g.fractions.length >= 2 && g.seeds.length >= 2, name);
    assert.equal(g.pretrainData, "inductive", name);
    const pre = plan.cells.filter((c) => c.stage === "pretrain");
    assert.equal(pre.length, g.rows.filter((r) => r.kind !== "scratch").length, name);
    for (const c of pre) {
      const size = (c.config as Config).data.size;
      assert.equal(size % (c.config as Config).mask.patchSize, 0, `${name}: ${c.id}`);
    }
  }
  const busi = await loadExperimentConfig("configs/experiment_busi_cpu.yaml");
  assert.deepEqual(busi.rows.map((r) => r.name), [
    "scratch",
    "SimCLR",
    "BYOL",
    "SwAV",
    "MAE",
    "SimMIM",
    "MPS-AMS",
    "AMLP",
    "HPM",
  ]);
  const table3 = await loadExperimentConfig("configs/experiment_amlp_table3_brats.yaml");
  assert.equal(table3.rows.length, 9, "Fully Supervised + the 8 ablation rows");
});

Deno.test("planGrid() takes contrastive rows (fine-tuned from the encoder) and refuses encoder_decoder for them", async () => {
  const g = await load(
    "rows.SimCLR=configs/pretrain_simclr.yaml",
    "rows.BYOL=configs/pretrain_byol.yaml",
    "rows.SwAV=configs/pretrain_swav.yaml",
  );
  const plan = await planGrid(g);
  const pre = plan.cells.filter((c): c is PretrainCell => c.stage === "pretrain");
  assert.deepEqual(
    pre.map((c) => [c.id, (c.config as Config).pretrain.method, c.init]),
    [
      ["mae_base", "mim", "encoder_decoder"],
      ["simmim", "mim", "encoder_decoder"],
      ["mps-ams", "mim", "encoder_decoder"],
      ["simclr", "simclr", "encoder"],
      ["byol", "byol", "encoder"],
      ["swav", "swav", "encoder"],
    ],
  );
  const swav = pre[5]!;
  assert.equal((swav.config as Config).run.name, "swav", "the grid's name, not the file's");
  assert.equal((swav.config as Config).train.epochs, 15, "the grid's shared pretrain section");
  assert.match(swav.kind.describe(swav.config), /^SwAV contrastive/);
  assert.equal(swav.kind.previewCaption(swav.config), "input | view 1 | view 2");
  for (const c of plan.cells.filter((c): c is FinetuneCell => c.stage === "finetune")) {
    if (c.pretrain) assert.equal(c.config.model.init, c.pretrain.init, c.id);
  }
  await rejectsKey(
    load("rows.BYOL={config: configs/pretrain_byol.yaml, init: encoder_decoder}").then(planGrid),
    "rows.BYOL.init",
    /byol trains the encoder only/,
  );
  await rejectsKey(
    load("rows.ViT=configs/pretrain_vit_mae.yaml").then(planGrid),
    "rows.ViT",
    /model\.arch vit/,
  );
});

Deno.test("planGrid() puts the grid's protocol under every run's config; a config's own protocol wins", async () => {
  const custom = await planGrid(await load());
  const cpu = await planGrid(await load("protocol=cpu"));
  const pretrain = (p: typeof cpu, i: number) => p.cells[i]!.config as Config;
  assert.equal(pretrain(custom, 0).protocol, "custom");
  assert.equal(pretrain(custom, 0).optim.beta2, DEFAULT_CONFIG.optim.beta2);
  assert.equal(pretrain(cpu, 0).protocol, "cpu");
  assert.equal(pretrain(cpu, 0).optim.beta2, CPU_PRETRAIN.optim.beta2, "the preset's");
  assert.equal(pretrain(cpu, 0).train.epochs, 15, "the grid's shared section wins");
  assert.equal(pretrain(cpu, 0).model.baseWidth, cpu.config.baseWidth, "the grid's key wins");
  const fine = cpu.cells.find((c): c is FinetuneCell => c.stage === "finetune")!;
  assert.equal(fine.config.protocol, "cpu");
  assert.equal(fine.config.optim.lr, CPU_FINETUNE.optim.lr, "the fine-tuning preset's");
  assert.equal(fine.config.train.epochs, 60, "the grid's shared section wins");
  const own = await planGrid(await load("protocol=cpu", "pretrain.protocol=custom"));
  assert.equal(pretrain(own, 0).protocol, "custom");
  assert.equal(pretrain(own, 0).optim.beta2, DEFAULT_CONFIG.optim.beta2);
  await rejectsKey(load("protocol=gpu"), "protocol");
});

Deno.test("EXPERIMENT_SETTINGS (--help, README) documents exactly the grid's keys", () => {
  const leaves: string[] = [];
  const walk = (value: unknown, path: string) => {
    const open = ["rows", "pretrain", "finetune"].includes(path);
    if (!open && typeof value === "object" && value !== null && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, path ? `${path}.${k}` : k);
    } else leaves.push(path === "rows" ? "rows.<name>" : path);
  };
  walk(DEFAULT_EXPERIMENT_CONFIG, "");
  assert.deepEqual(EXPERIMENT_SETTINGS.map((s) => s.key).sort(), leaves.sort());
});
