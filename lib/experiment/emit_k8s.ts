/**
 * `--emit k8s`: the grid as one Kubernetes Indexed Job: completion index i
 * runs cell i (`--cell env` reads `JOB_COMPLETION_INDEX`) on a shared run
 * folder (a ReadWriteMany volume claim). Pretraining cells have the lowest
 * indices; a fine-tuning pod whose checkpoint is not there yet waits for it
 * (`--wait`), so the Job needs no ordering of its own.
 *
 * @module
 */

import { stringify } from "yaml";
import { experimentArgs } from "./job_command.ts";
import type { GridPlan } from "./plan_grid.ts";

/**
 * The Indexed Job manifest.
 *
 * @param plan The grid.
 * @param options The config file and overrides to repeat.
 * @returns YAML text.
 */
export function emitK8s(
  plan: GridPlan,
  options: { readonly config: string; readonly overrides: readonly string[] },
): string {
  const k = plan.config.emit.k8s;
  const name = `medmim-${plan.config.name}`.toLowerCase().replace(/[^a-z0-9-]+/g, "-").slice(0, 50)
    .replace(/-+$/, "");
  const runs = plan.config.outDir.startsWith("/")
    ? plan.config.outDir
    : `${k.workDir}/${plan.config.outDir}`;
  const manifest = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: {
      name,
      labels: { app: "medmim", grid: name },
      annotations: {
        "medmim/cells": `${plan.cells.length} cells; index i runs cell i; pretraining cells ` +
          `0-${plan.cells.filter((c) => c.stage === "pretrain").length - 1}`,
      },
    },
    spec: {
      completionMode: "Indexed",
      completions: plan.cells.length,
      parallelism: Math.min(k.parallelism, plan.cells.length),
      backoffLimit: 2 * plan.cells.length,
      template: {
        metadata: { labels: { app: "medmim", grid: name } },
        spec: {
          restartPolicy: "Never",
          containers: [{
            name: "cell",
            image: k.image,
            workingDir: k.workDir,
            command: ["deno"],
            args: [...experimentArgs(options), "--cell", "env", "--wait", "86400"],
            env: [{
              name: "MEDMIM_WASM_THREADS",
              value: k.cpu.replace(/m$/, "") === k.cpu ? k.cpu : "1",
            }],
            resources: {
              requests: { cpu: k.cpu, memory: k.memory },
              limits: { memory: k.memory },
            },
            volumeMounts: [{ name: "runs", mountPath: runs }],
          }],
          volumes: [{ name: "runs", persistentVolumeClaim: { claimName: k.pvc } }],
        },
      },
    },
  };
  return `# Grid "${plan.config.name}": kubectl apply -f this file; collect with --collect on the same folder.\n` +
    stringify(manifest, { lineWidth: 0 });
}
