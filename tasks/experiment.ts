/**
 * `deno task experiment [--pretrain FILE] [--scratch FILE] [--base FILE] [--reuse-pretrain] [--out DIR]`
 *
 * Issue #5's comparison from configs alone, on the phantoms at 10% labels:
 * BASE pretraining -> fine-tuning (a) from scratch and (b) from the BASE
 * checkpoint -> evaluation of both on the same test split -> one markdown table
 * (`<out>/table.md`, default `runs/exp_phantoms_10pct/`) with both rows.
 *
 * The same sequence by hand:
 * ```sh
 * deno task pretrain --config configs/pretrain_phantoms_base.yaml --force
 * deno task finetune --config configs/finetune_phantoms_scratch.yaml --force
 * deno task finetune --config configs/finetune_phantoms_base.yaml --force
 * deno task evaluate --run runs/exp_finetune_scratch
 * deno task evaluate --run runs/exp_finetune_base
 * ```
 */

import { initTf } from "../lib/backend/init_tf.ts";
import { writeAtomic } from "../lib/io/checkpoint.ts";
import { loadConfig } from "../lib/config/pretrain_config.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { summaryMarkdown } from "../lib/evaluate/write_report.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import type { MetricsSummary } from "../lib/metrics/mod.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values } = taskArgs(TASK_SPECS.experiment);

await runTask("experiment", async () => {
  const start = performance.now();
  const seconds = () => ((performance.now() - start) / 1000).toFixed(0);
  const pretrainConfig = await loadConfig(
    (values.pretrain as string | undefined) ?? "configs/pretrain_phantoms_base.yaml",
  );
  const scratchConfig = await loadFinetuneConfig(
    (values.scratch as string | undefined) ?? "configs/finetune_phantoms_scratch.yaml",
  );
  const baseConfig = await loadFinetuneConfig(
    (values.base as string | undefined) ?? "configs/finetune_phantoms_base.yaml",
  );
  const out = (values.out as string | undefined) ?? "runs/exp_phantoms_10pct";
  const choice = await initTf(pretrainConfig.train.backend);
  console.log(`medmim experiment: backend ${choice.backend} (${choice.reason})`);

  const ckpt = `${pretrainConfig.run.outDir}/${pretrainConfig.run.name}/checkpoint_last.ckpt`;
  if (ckpt !== baseConfig.model.checkpoint) {
    console.log(
      `note: the BASE fine-tuning reads "${baseConfig.model.checkpoint}", pretraining writes "${ckpt}"`,
    );
  }
  const haveCkpt = await Deno.stat(ckpt).then(() => true, () => false);
  if (values["reuse-pretrain"] === true && haveCkpt) {
    console.log(`[${seconds()} s] 1/3 pretrain: reusing ${ckpt}`);
  } else {
    console.log(`[${seconds()} s] 1/3 pretrain: ${pretrainConfig.run.name}`);
    const p = await runPretraining(pretrainConfig, { force: true });
    console.log(`  loss ${p.epochs[0]?.loss.toFixed(4)} -> ${p.epochs.at(-1)?.loss.toFixed(4)}`);
  }
  const rows: [string, MetricsSummary][] = [];
  const details: Record<string, unknown> = {};
  for (
    const [label, config] of [["(a) scratch", scratchConfig], ["(b) BASE", baseConfig]] as const
  ) {
    console.log(`[${seconds()} s] 2/3 finetune ${label}: ${config.run.name}`);
    const f = await runFinetune(config, { force: true });
    console.log(`  best val Dice ${f.bestDice.toFixed(4)} at epoch ${f.bestEpoch}`);
    console.log(`[${seconds()} s] 3/3 evaluate ${label}`);
    const e = await runEvaluate(f.runDir);
    const summary = e.summaries[e.headline];
    if (!summary) {
      throw new RangeError(`Cannot build table: no "${e.headline}" summary for ${config.run.name}`);
    }
    rows.push([`${label}: init ${config.model.init} (${config.run.name})`, summary]);
    details[label] = {
      run: f.runDir,
      init: f.init,
      bestValDice: f.bestDice,
      bestEpoch: f.bestEpoch,
      summary,
    };
  }
  await Deno.mkdir(out, { recursive: true });
  const table = summaryMarkdown(rows);
  const head =
    `# Phantoms, ${
      100 * scratchConfig.data.labelFraction
    }% labels: scratch vs BASE pretraining\n\n` +
    `Test split (${rows[0]?.[1].n} phantoms), metrics per image, mean ± std (population). ` +
    `Pretraining: ${pretrainConfig.run.name}, ${pretrainConfig.train.epochs} epochs on ${pretrainConfig.data.count} ` +
    `other phantoms (run.seed ${pretrainConfig.run.seed}).\n\n`;
  await writeAtomic(`${out}/table.md`, head + table);
  await writeAtomic(`${out}/table.json`, JSON.stringify(details, null, 2) + "\n");
  console.log(`\n${table}`);
  console.log(`[${seconds()} s] wrote ${out}/table.md and table.json`);
});
