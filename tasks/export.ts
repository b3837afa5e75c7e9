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
import { parseTaskArgs } from "./_cli.ts";
import { runTask } from "./_run_task.ts";

await runTask("export", async () => {
  const { values, overrides } = parseTaskArgs(Deno.args, {
    run: "string",
    checkpoint: "string",
    out: "string",
    help: "boolean",
  });
  if (values.help) {
    console.log(
      "usage: deno task export --run runs/<name> [--checkpoint best|last|FILE] [--out DIR]",
    );
    return;
  }
  if (overrides.length > 0) throw new RangeError(`Unknown argument "${overrides[0]}"`);
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
