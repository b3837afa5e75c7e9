/**
 * The protocol presets: `protocol: paper` is the papers' own settings, and
 * `protocol: cpu` the same ratios, patch grid and learning-rate rules scaled
 * to a 2-core machine. A preset sits between the defaults and the user's own
 * settings (YAML file, then overrides), so every key the user sets still wins.
 * Sources: AMLP sec. 4.3-4.5 (AdamW 1e-4, 800 epochs, 256 patches, batch
 * 36-48; fine-tuning AdamW 1e-4, weight decay 1e-4, cosine, 70 epochs) and
 * MPS-AMS sec. 3.1.2 (Adam 2e-4, base mask ratio 75%, tau 12, warmup-cosine
 * fine-tuning). Where they are silent the values are MAE's, and the README's
 * "Deviations from the papers" table lists every one.
 *
 * @module
 */

/** The protocols a config can name. */
export const PROTOCOLS = ["custom", "paper", "cpu"] as const;

/** Pretraining presets (partial pretraining configs). */
export const PRETRAIN_PRESETS: Readonly<Record<string, unknown>> = {
  paper: {
    data: { size: 160 }, // AMLP sec. 4.3: d = 160 (BraTS); Hecktor 144
    model: { baseWidth: 64 }, // AMLP sec. 4.5's U-Net
    mask: {
      maskRatio: 0.75, // MPS-AMS's base (MAE) masks 75%
      patchSize: 10, // AMLP: 256 patches, a 16 x 16 grid of the 160 px BraTS slices (Hecktor 144 px: 9)
      amr: { sigma0: 0.25, tau: 12 }, // "a final masking ratio of nearly 80%" at epoch 800
    },
    optim: {
      lr: 1e-4, // AMLP: AdamW 1e-4 (MPS-AMS: Adam 2e-4)
      minLr: 0, // silent; cosine to 0 as MAE
      weightDecay: 0.05, // silent; MAE's pretraining value
      beta1: 0.9,
      beta2: 0.95, // silent; MAE's pretraining betas
      warmupEpochs: 40, // silent; MAE's 40 of 800
    },
    train: { epochs: 800, batchSize: 36 }, // AMLP: 800 epochs, batch 36 (BraTS), 48 (Hecktor)
  },
  cpu: {
    model: { baseWidth: 16 },
    data: { size: 64 },
    mask: { maskRatio: 0.75, patchSize: 4, amr: { finalRatio: 0.8 } }, // 16 x 16 grid, ~0.8 at the end
    optim: { lr: 2e-4, minLr: 0, weightDecay: 0.05, beta1: 0.9, beta2: 0.95, warmupEpochs: 2 },
    train: { epochs: 40, batchSize: 16 },
  },
};

/** Fine-tuning presets (partial fine-tuning configs). */
export const FINETUNE_PRESETS: Readonly<Record<string, unknown>> = {
  paper: {
    data: { size: 160 }, // AMLP sec. 4.3: d = 160 (BraTS); Hecktor 144
    model: { baseWidth: 64 }, // from a checkpoint the papers fine-tune the whole U-Net: model.init encoder_decoder
    optim: {
      lr: 1e-4, // AMLP: AdamW 1e-4 (MPS-AMS: Adam 2e-4)
      minLr: 0, // cosine decay
      weightDecay: 1e-4, // AMLP and MPS-AMS
      beta1: 0.9,
      beta2: 0.999, // silent; Adam's defaults
      warmupEpochs: 5, // MPS-AMS: "warmup-cosine-lr", length not given
    },
    train: { epochs: 70, batchSize: 32 }, // 70 epochs (both); batch 32 (MPS-AMS BUSI)
  },
  cpu: {
    model: { baseWidth: 16 },
    data: { size: 64 },
    optim: { lr: 2e-4, minLr: 0, weightDecay: 1e-4, beta1: 0.9, beta2: 0.999, warmupEpochs: 5 },
    train: { epochs: 60, batchSize: 8 },
  },
};
