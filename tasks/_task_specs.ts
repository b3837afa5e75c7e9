/**
 * What every task accepts on its command line: its flags, each with a type
 * and a one-line meaning, and which config schema (if any) its
 * `--section.key=value` overrides belong to. The task scripts parse with these
 * specs (`_cli.ts`), the launcher computes permissions from them
 * (`_grants.ts`), and `--help` prints them.
 *
 * @module
 */

import { DEFAULT_EXPERIMENT_CONFIG } from "../lib/config/experiment_config.ts";
import type { SettingsSchema } from "../lib/config/settings_table.ts";

/** One flag. */
export interface FlagSpec {
  readonly type: "string" | "boolean";
  /** One line: what it does. */
  readonly help: string;
  /** Placeholder of a string flag's value in help, e.g. `FILE`. */
  readonly value?: string;
  /** The value used when the flag is absent, for help. */
  readonly default?: string;
}

/** The config schema whose keys a task takes as `--section.key=value` overrides. */
export type OverrideSchema = "pretrain" | "finetune" | "experiment" | null;

/** One task. */
export interface TaskSpec {
  readonly name: string;
  /** One paragraph: what the task does. */
  readonly summary: string;
  /** Usage line after `deno task <name>`. */
  readonly usage: string;
  readonly flags: Readonly<Record<string, FlagSpec>>;
  readonly overrides: OverrideSchema;
  /** Top-level keys also taken as overrides without a dot (`--seeds=[0]`). */
  readonly overrideKeys?: readonly string[];
  /** The settings `--help` lists (those of `overrides`, or the preprocess keys). */
  readonly settings?: SettingsSchema;
}

const HELP: FlagSpec = { type: "boolean", help: "print this help and exit" };

/** The flags of a training task (pretrain, finetune). */
const RUN_FLAGS: Readonly<Record<string, FlagSpec>> = {
  config: {
    type: "string",
    value: "FILE",
    help: "YAML file of settings that differ from the defaults",
  },
  resume: { type: "boolean", help: "continue the run from its checkpoint_last.ckpt" },
  force: { type: "boolean", help: "delete the run folder and start over" },
  help: HELP,
};

/** The tasks, by name. */
export const TASK_SPECS = {
  pretrain: {
    name: "pretrain",
    summary:
      "Masked-image-modeling pretraining of the U-Net; writes <run.outDir>/<run.name>/ (config.json, " +
      "log.jsonl, checkpoints, preview.png). With no arguments: BASE on the built-in phantoms.",
    usage: "[--config FILE] [--resume | --force] [--section.key=value ...]",
    flags: RUN_FLAGS,
    overrides: "pretrain",
  },
  finetune: {
    name: "finetune",
    summary:
      "Fine-tunes the U-Net for segmentation from scratch or from a pretraining checkpoint, on " +
      "data.labelFraction of the training patients; keeps the best checkpoint by validation Dice.",
    usage: "[--config FILE] [--resume | --force] [--section.key=value ...]",
    flags: RUN_FLAGS,
    overrides: "finetune",
  },
  evaluate: {
    name: "evaluate",
    summary:
      "Predicts the test split of a fine-tuning run and writes per-case metrics, the summary, " +
      "tables, predictions and overlays to <run>/eval/.",
    usage: "(--run DIR | --config FILE [--section.key=value ...]) [--checkpoint best|last]",
    flags: {
      run: {
        type: "string",
        value: "DIR",
        help: "the fine-tuning run folder, e.g. runs/finetune_phantoms",
      },
      config: {
        type: "string",
        value: "FILE",
        help: "the run's fine-tuning config (the run folder is <run.outDir>/<run.name>)",
      },
      checkpoint: {
        type: "string",
        value: "best|last",
        default: "best",
        help: "which checkpoint to evaluate",
      },
      help: HELP,
    },
    overrides: "finetune",
  },
  export: {
    name: "export",
    summary:
      "Writes a run's U-Net for other tools to <run>/export/: model.safetensors (PyTorch names and " +
      "layout), tfjs/model.json + weights.bin (a tfjs LayersModel) and export.json.",
    usage: "--run DIR [--checkpoint best|last|FILE] [--out DIR]",
    flags: {
      run: { type: "string", value: "DIR", help: "the run folder, e.g. runs/finetune_phantoms" },
      checkpoint: {
        type: "string",
        value: "best|last|FILE",
        default: "best, else last",
        help: "which checkpoint to export",
      },
      out: { type: "string", value: "DIR", default: "<run>/export", help: "output folder" },
      help: HELP,
    },
    overrides: null,
  },
  preprocess: {
    name: "preprocess",
    summary:
      "Preprocesses a dataset (BUSI, case folders, images/ + labels/ with an optional dataset.json) " +
      "into a slice cache; flags override the YAML file's keys.",
    usage: "[--config FILE] [--check] [--strict] [--layout L] [--input DIR] [--output DIR] ...",
    flags: {
      config: { type: "string", value: "FILE", help: "YAML file of preprocess settings" },
      check: {
        type: "boolean",
        help: "dry run: list what would be processed, reused or skipped and why; write nothing",
      },
      input: { type: "string", value: "DIR", help: "sets input" },
      output: { type: "string", value: "DIR", help: "sets output" },
      layout: { type: "string", value: "busi|cases|images-labels", help: "sets layout" },
      size: { type: "string", value: "N", help: "sets size" },
      spacing: { type: "string", value: "X,Y,Z", help: "sets spacing (mm)" },
      modalities: { type: "string", value: "A,B", help: "sets modalities (comma-separated)" },
      label: { type: "string", value: "NAME", help: "sets label" },
      mode: { type: "string", value: "pretrain|finetune", help: "sets mode" },
      limit: { type: "string", value: "N", help: "sets limit" },
      strict: { type: "boolean", help: "sets strict" },
      help: HELP,
    },
    overrides: null,
    settings: "preprocess",
  },
  "draw-masks": {
    name: "draw-masks",
    summary:
      "Draws which patches random, MPS and MPS-AMS masking remove on a few BUSI images (or phantoms), " +
      "one PNG per image, and prints the share of removed patches that touch the lesion.",
    usage: "[--source busi|phantoms] [--data DIR] [--count N] [--out DIR] ...",
    flags: {
      source: {
        type: "string",
        value: "busi|phantoms",
        default: "busi if --data exists",
        help: "images to draw",
      },
      data: {
        type: "string",
        value: "DIR",
        default: "../shared/data/busi",
        help: "the BUSI folder",
      },
      count: { type: "string", value: "N", default: "4", help: "number of images" },
      cases: { type: "string", value: "A,B", help: 'BUSI case ids, e.g. "benign/benign (4)"' },
      size: { type: "string", value: "N", default: "128", help: "image side after resizing" },
      "patch-size": { type: "string", value: "N", default: "16", help: "patch side" },
      ratio: { type: "string", value: "R", default: "0.25", help: "mask ratio" },
      seed: { type: "string", value: "N", default: "0", help: "seed of the random masks" },
      scale: { type: "string", value: "N", default: "2", help: "pixel upscaling of the PNGs" },
      intensity: {
        type: "string",
        value: "pipeline|unit",
        default: "pipeline",
        help: "intensity scaling before masking (see lib/data/lesion_images.ts)",
      },
      out: { type: "string", value: "DIR", default: "runs/draw_masks", help: "output folder" },
      help: HELP,
    },
    overrides: null,
  },
  experiment: {
    name: "experiment",
    summary:
      "A paper-shaped grid: pretraining rows x label fractions x seeds, each cell pretrain -> " +
      "finetune -> evaluate, one pretraining checkpoint per row, then the tables (markdown, CSV, " +
      "JSON) and report.html under <outDir>/<name>/report/. Cells are idempotent jobs: run them " +
      "all here, one at a time (--cell, e.g. as a Slurm array or a Kubernetes Indexed Job), or " +
      "emit the job files. Without --config: configs/experiment_smoke.yaml (phantoms, minutes).",
    usage:
      "[--config FILE] [--list | --cell N|env [--wait S] | --collect | --emit slurm|k8s] [--force] " +
      "[--key.path=value ...]",
    flags: {
      config: {
        type: "string",
        value: "FILE",
        default: "configs/experiment_smoke.yaml",
        help: "the grid's YAML file",
      },
      list: { type: "boolean", help: "print every cell with its state and exit" },
      cell: {
        type: "string",
        value: "N|env",
        help: "run cell N only; env: N from SLURM_ARRAY_TASK_ID or JOB_COMPLETION_INDEX",
      },
      wait: {
        type: "string",
        value: "S",
        default: "0",
        help: "with --cell: wait up to S seconds for the cell's pretraining checkpoint",
      },
      collect: { type: "boolean", help: "write the tables and report.html of the finished cells" },
      emit: {
        type: "string",
        value: "slurm|k8s",
        help: "write Slurm job-array or Kubernetes Indexed Job files to <grid>/jobs/",
      },
      force: { type: "boolean", help: "start the selected cells over, whatever their state" },
      help: HELP,
    },
    overrides: "experiment",
    settings: "experiment",
    overrideKeys: Object.keys(DEFAULT_EXPERIMENT_CONFIG),
  },
  bench: {
    name: "bench",
    summary:
      "One table of medmim's speed on this machine (WGSL kernels vs TS twins, U-Net and ViT-MAE " +
      "steps per backend, PyTorch), saved as JSON under runs/bench/.",
    usage:
      "[--steps=6] [--sizes=64,128,160] [--widths=16,32] [--vit-cases=64:8:128:4:4:64:2:4] [--skip=kernels,webgpu,torch,unet,vit,ceiling] " +
      "[--wasm-kernels=medmim|stock] ...",
    flags: {
      steps: { type: "string", value: "N", default: "6", help: "timed U-Net steps per row" },
      "webgpu-steps": { type: "string", value: "N", default: "3", help: "steps of the webgpu row" },
      sizes: { type: "string", value: "A,B", default: "64,128,160", help: "image sides" },
      widths: { type: "string", value: "A,B", default: "16,32", help: "U-Net base widths" },
      batch: { type: "string", value: "N", default: "8", help: "batch size" },
      "vit-cases": {
        type: "string",
        value: "S:P:D:B:H:DD:DB:DH,...",
        default: "64:8:128:4:4:64:2:4,128:16:192:12:3:128:4:4",
        help: "ViT-MAE rows: size:patch:width:depth:heads:decoderWidth:decoderDepth:decoderHeads",
      },
      "torch-threads": { type: "string", value: "N", default: "2", help: "PyTorch threads" },
      skip: {
        type: "string",
        value: "A,B",
        default: "",
        help: "parts to skip: kernels, webgpu, torch, unet, vit, ceiling (the wasm SIMD ceiling)",
      },
      "wasm-kernels": {
        type: "string",
        value: "medmim|stock",
        default: "medmim",
        help: "on wasm, medmim's own Conv2D / Conv2DBackpropFilter / streaming kernels, or " +
          "tfjs-backend-wasm's and XNNPACK's (stock), to compare",
      },
      help: HELP,
    },
    overrides: null,
  },
  docs: {
    name: "docs",
    summary:
      "Writes the README's tables of settings from the config room's defaults, rules and doc " +
      "strings (the text of every task's --help).",
    usage: "[--check]",
    flags: {
      check: { type: "boolean", help: "only check that README.md is up to date (exit 1 if not)" },
      help: HELP,
    },
    overrides: null,
  },
} as const satisfies Record<string, TaskSpec>;

/** A task's name. */
export type TaskName = keyof typeof TASK_SPECS;
