/**
 * Preprocesses a dataset into a slice cache (AMLP sec. 4.3).
 *
 * ```sh
 * deno task preprocess --config configs/preprocess_brats.yaml
 * deno task preprocess --layout cases --input ../shared/data/brats2018 \
 *   --modalities FLAIR.nii.gz --label GT_W.nii.gz --mode finetune --output data-cache/brats
 * ```
 *
 * Flags override the YAML file; `--help` lists every key (from
 * `lib/config/preprocess_config.ts`). Progress goes to stderr, the
 * report to stdout and to `<output>/preprocess_report.json`. Bad cases are
 * skipped and listed, one line each naming the file and the field; with
 * `--strict` the first one stops the run with that line (exit code 1). Every
 * other failure (a bad flag or config key, a missing input folder) is one
 * line too (`tasks/_run_task.ts`).
 * `--check` is a dry run: every case is listed, read and checked, and the task
 * says which it would process, which it would reuse from the cache and why it
 * would skip the others, writing nothing. An `images-labels` dataset's
 * `dataset.json` (MSD or nnU-Net v2) names channels, labels and files.
 *
 * @module
 */

import { describeDataset, runPreprocess } from "../lib/data/preprocess/run_preprocess.ts";
import type { DatasetDescription } from "../lib/data/layouts/dataset_json.ts";
import { taskArgs } from "./_help.ts";
import { preprocessConfigFromArgs } from "./_preprocess_args.ts";
import { runTask } from "./_run_task.ts";
import { TASK_SPECS } from "./_task_specs.ts";

const { values } = taskArgs(TASK_SPECS.preprocess);

await runTask("preprocess", async () => {
  const config = await preprocessConfigFromArgs(values);
  console.error(`preprocess: ${JSON.stringify(config)}`);

  const started = performance.now();
  const tty = Deno.stderr.isTerminal();
  let lastDraw = 0;
  /** A bar redrawn in place on a terminal (at most every 100 ms), a line per 10% otherwise. */
  function progress(done: number, total: number, caseId: string): void {
    const now = performance.now();
    const decile = Math.floor((10 * done) / total) !== Math.floor((10 * (done - 1)) / total);
    if (done !== total && (tty ? now - lastDraw < 100 : !decile)) return;
    lastDraw = now;
    const width = 30;
    const filled = Math.round((done / total) * width);
    const elapsed = (now - started) / 1000;
    const eta = (elapsed / done) * (total - done);
    const bar = `[${"#".repeat(filled)}${"-".repeat(width - filled)}]`;
    const line = `${bar} ${done}/${total} cases  ${elapsed.toFixed(1)}s  ETA ${
      eta.toFixed(1)
    }s  ${caseId}`;
    const text = tty
      ? `\r${line.padEnd(110).slice(0, 110)}${done === total ? "\n" : ""}`
      : `${line}\n`;
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  }

  const description = await describeDataset(config);
  if (description) console.log(describe(description));
  const check = values.check === true;
  const report = await runPreprocess(config, check ? undefined : progress, { dryRun: check })
    .catch((error) => {
      if (tty && lastDraw > 0) Deno.stderr.writeSync(new TextEncoder().encode("\n")); // end the bar
      throw error;
    });
  if (check) {
    const why = new Map(report.skipped.map((s) => [s.caseId, s.error]));
    for (const { caseId, action } of report.actions) {
      console.log(
        action === "skip"
          ? `skip    ${caseId}: ${why.get(caseId)}`
          : action === "reuse"
          ? `reuse   ${caseId} (unchanged in ${config.output})`
          : `process ${caseId}`,
      );
    }
    console.log(
      `--check: ${report.cases} cases: ${report.processed} to process, ${report.reused} to reuse, ` +
        `${report.skipped.length} to skip, ${report.slices} slices; nothing written (${config.output})`,
    );
    return;
  }
  for (const s of report.skipped) console.error(`skipped ${s.caseId}: ${s.error}`);
  console.log(
    `${report.cases} cases (${report.processed} processed, ${report.reused} reused, ${report.skipped.length} skipped), ` +
      `${report.slices} slices (+ ${report.evalOnlySlices} for evaluation only) in ${
        report.seconds.toFixed(2)
      } s: ` +
      `${report.casesPerSecond.toFixed(2)} ${config.layout === "busi" ? "images" : "volumes"}/s, ` +
      `${report.slicesPerSecond.toFixed(1)} slices/s -> ${config.output}`,
  );
});

/** One line on a dataset's `dataset.json`. */
function describe(d: DatasetDescription): string {
  const labels = d.labels.map((l) => `${l.values.join("+")} ${l.name}`).join(", ");
  const channels = d.channels.map((c, i) => `${i} ${c}`).join(", ");
  return `${d.path} (${d.format}${d.name ? `, "${d.name}"` : ""}): channels ${channels}; ` +
    `labels ${labels}; file ending ${d.fileEnding}` +
    (d.training.length > 0 ? `; ${d.training.length} training cases listed` : "");
}
