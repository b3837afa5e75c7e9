import { fileURLToPath } from "node:url";
import { loadExperimentConfig } from "../lib/config/experiment_config.ts";
import { type GridPlan, planGrid } from "../lib/experiment/plan_grid.ts";

const config = (name: string) => fileURLToPath(new URL(`../configs/${name}`, import.meta.url));

/** The smoke grid's config file. */
export const SMOKE_GRID = config("experiment_smoke.yaml");

/**
 * Overrides that shrink the smoke grid to seconds: 30 phantoms of 32 px,
 * width 4, 2 epochs per stage, under `outDir`.
 */
export function tinyOverrides(outDir: string, name = "tiny"): string[] {
  return [
    `outDir=${outDir}`,
    `name=${name}`,
    "data.count=30",
    "data.size=32",
    "baseWidth=4",
    "backend=wasm",
    "pretrain.train.epochs=2",
    "pretrain.train.ckptEvery=1",
    "pretrain.train.previewCount=2",
    "finetune.train.epochs=2",
    "finetune.train.valEvery=1",
    "finetune.optim.warmupEpochs=0.5",
  ];
}

/** A tiny grid: scratch, MAE (BASE), SimMIM x 5%, 10% x seeds 0, 1 (row files relative to the repository root, the tests' folder). */
export async function tinyGrid(outDir: string, extra: string[] = []): Promise<GridPlan> {
  const grid = await loadExperimentConfig(SMOKE_GRID, [
    ...tinyOverrides(outDir),
    "rows.MPS-AMS=null",
    ...extra,
  ]);
  return await planGrid(grid);
}

/** What a test records as the machine. */
export const TEST_MACHINE = {
  hostname: "test",
  os: "test",
  cpus: 1,
  memoryGiB: 0,
  deno: Deno.version.deno,
  v8: Deno.version.v8,
  tfjs: "test",
  medmim: "test",
  backend: "wasm",
  backendReason: "test",
};
