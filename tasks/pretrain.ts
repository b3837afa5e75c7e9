/**
 * `deno task pretrain [--config FILE] [--resume] [--force] [--key.path=value ...]`
 *
 * Masked-image-modeling pretraining of the U-Net or (`model.arch: vit`) a ViT
 * masked autoencoder. With no arguments: BASE (random masking) of the U-Net on
 * the embedded synthetic phantoms.
 */

import { loadConfig } from "../lib/config/pretrain_config.ts";
import { initTf } from "../lib/backend/init_tf.ts";
import { runPretraining } from "../lib/pretrain/run_pretraining.ts";
import { describeMask } from "../lib/masking/make_mask.ts";
import { taskArgs } from "./_help.ts";
import { describeMimNet } from "../lib/model/mim_net.ts";
import { countParams } from "../lib/model/unet.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values, overrides } = taskArgs(TASK_SPECS.pretrain);

await runTask("pretrain", async () => {
  const config = await loadConfig(values.config as string | undefined, overrides);
  const choice = await initTf(config.train.backend);
  console.log(
    `medmim pretrain: run "${config.run.name}", ${describeMimNet(config)}, ${
      config.pretrain.method === "mim" ? describeMask(config) : `method ${config.pretrain.method}`
    }, backend ${choice.backend} (${choice.reason})`,
  );
  const result = await runPretraining(config, {
    resume: values.resume === true,
    force: values.force === true,
  });
  const first = result.epochs[0];
  const last = result.epochs.at(-1);
  if (first && last) {
    const change = (a: number, b: number) =>
      `${a.toFixed(4)} -> ${b.toFixed(4)} (${(100 * (1 - b / a)).toFixed(1)}% lower)`;
    console.log(
      `first -> last epoch loss ${change(first.loss, last.loss)}` +
        (first.reconstruction !== null && last.reconstruction !== null &&
            first.reconstruction !== first.loss
          ? `; reconstruction term ${change(first.reconstruction, last.reconstruction)}`
          : ""),
    );
  }
  console.log(
    `wrote ${result.runDir}/ (config.json, log.jsonl, checkpoint_last.ckpt, preview.png); ` +
      `${countParams(result.net)} parameters`,
  );
});
