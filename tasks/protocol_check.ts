/**
 * Issue 16's check of the CPU protocol: at 10% (or 5%) labels, does a U-Net fine-tuned
 * from BASE (random-masking MAE) or MPS-AMS pretraining beat one trained from
 * scratch? The validation folds of the README's "The CPU protocol search" (a
 * row of its table: `--folds` with that row's settings), and a test mode. A
 * script (not a deno task):
 *
 * ```sh
 * deno task preprocess --config configs/preprocess_busi.yaml --size 64 --output data-cache/busi_pretrain_64
 * deno task preprocess --config configs/preprocess_busi_finetune.yaml --size 64 --output data-cache/busi_finetune_64
 * deno run --allow-read --allow-write=runs --allow-sys=cpus --allow-env tasks/protocol_check.ts --folds 0,1,2,3,4
 * deno run ... tasks/protocol_check.ts --folds 0,1,2,3,4 --pretrain-set optim.lr=2e-3,optim.minLr=1e-4
 * deno run ... tasks/protocol_check.ts --seeds 0,1,2   # test split (the grid, configs/experiment_busi_cpu.yaml, does this too)
 * ```
 *
 * Every arm runs `protocol: cpu`; `--pretrain-set` and `--finetune-set` add
 * comma-separated `key=value` overrides (e.g. `model.norm=group` on both).
 * `--fraction 0.05` fine-tunes on 5% labels instead of 10% (each fold's
 * labelled images: the first half of its 10% ones).
 *
 * Data: `--data busi` (the two caches above) or `--data phantoms` (200
 * phantoms of `deriveSeed(0, "data")`). Split 0 (`data.splitSeed` 0, 8:1:1)
 * fixes the test patients; pretraining sees every image except them.
 *
 * - Test mode (`--seeds`): for each seed s, BASE and MPS-AMS pretraining with
 *   `run.seed` s, then scratch, BASE and MPS-AMS fine-tuning with `run.seed` s
 *   on split 0 (its val split picks the checkpoint), then the test split.
 *   Writes `<out>/table.md` and `<out>/table.json`: test DSC per seed and the
 *   mean ± std (population) over seeds.
 * - Validation mode (`--folds`): pretraining with seed 0, then fine-tuning on
 *   validation folds carved out of split 0's train + val patients (45
 *   validation patients and as many labelled ones as split 0's --fraction, drawn with
 *   seed 300 + f); the test patients are never read. Prints the best
 *   validation Dice per fold and arm.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { initTf } from "../lib/backend/init_tf.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import type { SliceDataset } from "../lib/data/dataset.ts";
import { openDataset } from "../lib/data/open_dataset.ts";
import { phantomDataset } from "../lib/data/phantoms.ts";
import { makeSplits, type Splits } from "../lib/data/splits.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { writeAtomic } from "../lib/io/checkpoint.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { deriveSeed, makeRng, shuffle } from "../lib/random.ts";

/** Every arm: the CPU protocol (`protocol: cpu`), then `--pretrain-set` / `--finetune-set`. */
const PRETRAIN = ["protocol=cpu"];
/** BASE: random masking at the protocol's fixed ratio (MAE). */
const BASE = ["mask.method=random"];
/** MPS-AMS: k-means on the softmax similarity rows, AMR reaching the protocol's 0.8 at the last epoch. */
const MPS_AMS = ["mask.method=mps_ams", "mask.amr.enabled=true"];
/** Fine-tuning, the same for every arm (`--fraction`: 0.05 or 0.1 of split 0's training patients). */
const finetuneBase = (fraction: number) => ["protocol=cpu", `data.labelFraction=${fraction}`];
/** How a pretrained arm is initialised: the whole U-Net, as the papers (`--finetune-set model.init=encoder`). */
const TRANSFER = ["model.init=encoder_decoder"];

const ARMS = ["scratch", "BASE", "MPS-AMS"] as const;
type Arm = (typeof ARMS)[number];

const { values } = parseArgs({
  args: Deno.args,
  options: {
    data: { type: "string", default: "busi" },
    seeds: { type: "string" },
    folds: { type: "string" },
    out: { type: "string" },
    "pretrain-cache": { type: "string", default: "data-cache/busi_pretrain_64" },
    "finetune-cache": { type: "string", default: "data-cache/busi_finetune_64" },
    "pretrain-set": { type: "string", default: "" },
    "finetune-set": { type: "string", default: "" },
    fraction: { type: "string", default: "0.1" },
  },
});
const busi = values.data === "busi";
if (!busi && values.data !== "phantoms") {
  throw new RangeError(`Cannot run: --data ${values.data} is not busi or phantoms`);
}
const list = (text: string | undefined) =>
  text === undefined ? undefined : text.split(",").map((v) => Number(v.trim()));
const folds = list(values.folds);
const fraction = Number(values.fraction);
if (fraction !== 0.05 && fraction !== 0.1) {
  throw new RangeError(`Cannot run: --fraction ${values.fraction} is not 0.05 or 0.1`);
}
const fractionKey = String(Math.round(100 * fraction));
const FINETUNE = finetuneBase(fraction);
const seeds = list(values.seeds) ?? (folds ? [0] : [0, 1, 2]);
const out = values.out ?? `runs/protocol_${values.data}`;
const extra = (text: string) => text.split(",").map((v) => v.trim()).filter((v) => v !== "");
const pretrainSet = extra(values["pretrain-set"]!), finetuneSet = extra(values["finetune-set"]!);
const dataPt = busi ? ["data.source=cache", `data.cacheDir=${values["pretrain-cache"]}`] : [];
const dataFt = busi ? ["data.source=cache", `data.cacheDir=${values["finetune-cache"]}`] : [];

const choice = await initTf("wasm");
console.log(`protocol check: ${values.data}, backend ${choice.backend}`);

const labelled = await openDataset(
  await loadFinetuneConfig(undefined, [...dataFt, "run.seed=0"]),
  { slices: "all" },
);
const ids = new Set<string>();
for (let i = 0; i < labelled.length; i++) {
  const slice = labelled.get(i);
  if (slice.label !== null) ids.add(slice.caseId);
}
const split0 = makeSplits([...ids], { seed: 0 });
const testIds = new Set(split0.test);

/** Every pretraining image except split 0's test patients. */
async function pretrainingData(): Promise<SliceDataset> {
  const all = busi
    ? await openDataset(await loadConfig(undefined, dataPt))
    : phantomDataset({ seed: deriveSeed(0, "data"), count: 200, size: 64 });
  const keep: number[] = [];
  for (let i = 0; i < all.length; i++) if (!testIds.has(all.get(i).caseId)) keep.push(i);
  return {
    size: all.size,
    channels: all.channels,
    length: keep.length,
    get: (i) => all.get(keep[i]!),
  };
}

/**
 * Validation fold f: 45 val patients and as many labelled ones as split 0's
 * `--fraction`, never a test patient (at 5%, the first half of the 10% fold's).
 */
function foldSplits(f: number): Splits {
  const pool = [...split0.train, ...split0.val].sort();
  shuffle(pool, makeRng(deriveSeed(300 + f, "fold")));
  const val = pool.slice(0, 45), train = pool.slice(45);
  const count = split0.labelFractions[fractionKey]!.length;
  return {
    seed: 300 + f,
    ratios: [8, 1, 1],
    train,
    val,
    test: split0.test,
    labelFractions: { [fractionKey]: train.slice(0, count) },
  };
}

const ptData = await pretrainingData();
console.log(
  `pretraining images: ${ptData.length} (split 0's ${testIds.size} test patients left out)`,
);

async function pretrain(arm: "BASE" | "MPS-AMS", seed: number): Promise<string> {
  const name = `pretrain_${arm === "BASE" ? "base" : "mps_ams"}_s${seed}`;
  const done = `${out}/${name}/checkpoint_last.ckpt`;
  if (await Deno.stat(`${out}/${name}/done`).then(() => true, () => false)) return done;
  const config = await loadConfig(undefined, [
    ...dataPt,
    ...PRETRAIN,
    ...(arm === "BASE" ? BASE : MPS_AMS),
    ...pretrainSet,
    `run.seed=${seed}`,
    `run.name=${name}`,
    `run.outDir=${out}`,
    "train.backend=wasm",
  ]);
  const result = await runPretraining(config, { force: true, dataset: ptData, progress: null });
  console.log(
    `${name}: reconstruction ${result.epochs[0]?.reconstruction?.toFixed(4)} -> ` +
      `${result.epochs.at(-1)?.reconstruction?.toFixed(4)}`,
  );
  await Deno.writeTextFile(`${out}/${name}/done`, "");
  return done;
}

async function finetune(arm: Arm, seed: number, checkpoint: string, fold?: number) {
  const name = `finetune_${arm.toLowerCase().replace("-", "_")}_s${seed}` +
    (fold === undefined ? "" : `_f${fold}`);
  const config = await loadFinetuneConfig(undefined, [
    ...dataFt,
    ...FINETUNE,
    ...(arm === "scratch" ? [] : [...TRANSFER, `model.checkpoint=${checkpoint}`]),
    ...finetuneSet,
    `run.seed=${seed}`,
    `run.name=${name}`,
    `run.outDir=${out}`,
    "train.backend=wasm",
    ...(fold === undefined ? [] : ["train.valEvery=3"]),
  ]);
  return await runFinetune(config, {
    force: true,
    progress: null,
    log: () => {},
    ...(fold === undefined ? {} : { splits: foldSplits(fold) }),
  });
}

const rows: { seed: number; fold?: number; arm: Arm; val: number; test?: number }[] = [];
for (const seed of seeds) {
  const checkpoints = {
    BASE: await pretrain("BASE", seed),
    "MPS-AMS": await pretrain("MPS-AMS", seed),
  };
  for (const fold of folds ?? [undefined]) {
    for (const arm of ARMS) {
      const f = await finetune(arm, seed, arm === "scratch" ? "" : checkpoints[arm], fold);
      const row: (typeof rows)[number] = { seed, arm, val: f.bestDice };
      if (fold !== undefined) row.fold = fold;
      else {
        const e = await runEvaluate(f.runDir, { log: () => {} });
        row.test = e.summaries[e.headline]!.dsc.mean;
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  }
}

const stats = (xs: number[]) => {
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const std = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
  return `${(100 * mean).toFixed(2)} ± ${(100 * std).toFixed(2)}`;
};
const key = folds ? "val" : "test";
const lines = [
  `| arm | ${folds ? "validation" : "test"} DSC (%) per ${folds ? "fold" : "seed"} | mean ± std |`,
  "|---|---|---|",
  ...ARMS.map((arm) => {
    const xs = rows.filter((r) => r.arm === arm).map((r) => r[key]!);
    return `| ${arm} | ${xs.map((x) => (100 * x).toFixed(2)).join(", ")} | ${stats(xs)} |`;
  }),
];
const table = lines.join("\n") + "\n";
await Deno.mkdir(out, { recursive: true });
await writeAtomic(`${out}/table.md`, table);
await writeAtomic(
  `${out}/table.json`,
  JSON.stringify(
    {
      pretrain: [...PRETRAIN, ...pretrainSet],
      base: BASE,
      mpsAms: MPS_AMS,
      finetune: [...FINETUNE, ...TRANSFER, ...finetuneSet],
      rows,
    },
    null,
    2,
  ) +
    "\n",
);
console.log(`\n${table}`);
