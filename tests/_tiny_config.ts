import { DEFAULT_FINETUNE_CONFIG, type FinetuneConfig } from "../lib/config/finetune_config.ts";

/** A tiny fine-tuning config writing under `dir`. */
export function tinyConfig(
  dir: string,
  patch: Partial<Record<keyof FinetuneConfig, object>> = {},
): FinetuneConfig {
  const d = DEFAULT_FINETUNE_CONFIG;
  return {
    ...d,
    run: { ...d.run, name: "tiny", outDir: dir, ...patch.run },
    data: { ...d.data, count: 30, size: 32, labelFraction: 1, ...patch.data },
    model: { ...d.model, baseWidth: 4, ...patch.model },
    optim: { ...d.optim, lr: 3e-3, warmupEpochs: 0.5, ...patch.optim },
    train: { ...d.train, epochs: 6, batchSize: 8, valEvery: 3, backend: "wasm", ...patch.train },
    eval: { ...d.eval, overlays: 2, ...patch.eval },
  } as FinetuneConfig;
}
