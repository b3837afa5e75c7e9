/**
 * `deno task evaluate (--run runs/<name> | --config FILE [--key.path=value ...]) [--checkpoint last]`
 *
 * Predicts the test split of a fine-tuning run with its best checkpoint and
 * writes per-case metrics, the summary and tables, predictions and overlays
 * to `runs/<name>/eval/` (AMLP sec. 4.6: per 3D scan, then averaged).
 */

import { initTf } from "../lib/backend/init_tf.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { runEvaluate } from "../lib/evaluate/run_evaluate.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values, overrides } = taskArgs(TASK_SPECS.evaluate);

await runTask("evaluate", async () => {
  const checkpoint = values.checkpoint ?? "best";
  if (checkpoint !== "best" && checkpoint !== "last") {
    throw new RangeError(`--checkpoint is "${checkpoint}", not "best" or "last"`);
  }
  let runDir = values.run as string | undefined;
  const config = await loadFinetuneConfig(values.config as string | undefined, overrides);
  runDir ??= `${config.run.outDir}/${config.run.name}`;
  const choice = await initTf(config.train.backend);
  console.log(`medmim evaluate: ${runDir}, backend ${choice.backend}`);
  const result = await runEvaluate(runDir, { checkpoint, edt: config.eval.edt });
  console.log(await Deno.readTextFile(`${result.evalDir}/metrics.md`));
  console.log(`predictions: ${result.predictionGrid}`);
  console.log(
    `wrote ${result.evalDir}/ (cases.csv, summary.json, metrics.md, predictions/, overlays/)`,
  );
});
