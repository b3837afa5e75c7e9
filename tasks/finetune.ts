/**
 * `deno task finetune [--config FILE] [--resume] [--force] [--key.path=value ...]`
 *
 * Fine-tunes the U-Net for segmentation (AMLP sec. 4.5) from scratch or from a
 * pretraining checkpoint, on `data.labelFraction` of the training patients.
 * Writes `runs/<name>/{config.json, splits.json, log.jsonl, checkpoint_best.ckpt,
 * checkpoint_last.ckpt}`.
 */

import { initTf } from "../lib/backend/init_tf.ts";
import { loadFinetuneConfig } from "../lib/config/finetune_config.ts";
import { runFinetune } from "../lib/finetune/run_finetune.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values, overrides } = taskArgs(TASK_SPECS.finetune);

await runTask("finetune", async () => {
  const config = await loadFinetuneConfig(values.config as string | undefined, overrides);
  const choice = await initTf(config.train.backend);
  console.log(
    `medmim finetune: run "${config.run.name}", init ${config.model.init}, ` +
      `${100 * config.data.labelFraction}% labels, backend ${choice.backend} (${choice.reason})`,
  );
  const result = await runFinetune(config, {
    resume: values.resume === true,
    force: values.force === true,
  });
  const first = result.epochs[0];
  const last = result.epochs.at(-1);
  if (first && last) {
    console.log(
      `first epoch loss ${first.loss.toFixed(4)}, last epoch loss ${last.loss.toFixed(4)}`,
    );
  }
  console.log(`best val Dice ${result.bestDice.toFixed(4)} at epoch ${result.bestEpoch}`);
  console.log(
    `wrote ${result.runDir}/ (config.json, splits.json, log.jsonl, checkpoint_best.ckpt, checkpoint_last.ckpt)`,
  );
});
