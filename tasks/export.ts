/**
 * `deno task export --run runs/<name> [--checkpoint best|last|FILE] [--out DIR]`
 *
 * Writes a run's U-Net for other tools to `runs/<name>/export/`:
 * `model.safetensors` (PyTorch names and layout, see
 * `lib/export/torch_layout.ts`), `tfjs/model.json` + `tfjs/weights.bin` (a
 * tfjs LayersModel) and `export.json` (the layout statement and every
 * tensor's names and shapes).
 *
 * @module
 */

import * as tf from "@tensorflow/tfjs";
import { runExport } from "../lib/export/run_export.ts";
import { taskArgs } from "./_help.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values } = taskArgs(TASK_SPECS.export);

await runTask("export", async () => {
  const runDir = values.run as string | undefined;
  if (!runDir) throw new RangeError("Cannot export: --run runs/<name> is required");
  tf.enableProdMode();
  await tf.setBackend("cpu");
  const result = await runExport(runDir, {
    ...(values.checkpoint ? { checkpoint: values.checkpoint as string } : {}),
    ...(values.out ? { out: values.out as string } : {}),
  });
  const a = result.architecture;
  console.log(
    `medmim export: ${result.checkpoint} (U-Net: ${a.inChannels} in, ${a.outChannels} out, ` +
      `base width ${a.baseWidth}; ${result.tensors} tensors)`,
  );
  console.log(`wrote ${result.outDir}/ (${result.files.join(", ")})`);
});
