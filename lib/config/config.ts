/**
 * The typed run configuration and its defaults. Every value a run depends on
 * lives here, with the reason for its default; YAML files in `configs/` hold
 * only what differs.
 *
 * @module
 */

/** Masking strategies (AMLP Table 3 rows and the baselines). */
export const MASK_METHODS = ["random", "mps", "mps_ams", "hpm"] as const;
/** AMLP Table 3 rows; "custom" leaves mask.method, mask.amr and loss as set. */
export const ABLATIONS = [
  "custom",
  "BASE",
  "MPS",
  "AMR",
  "CRCL",
  "MPS-AMR",
  "MPS-CRCL",
  "AMR-CRCL",
  "AMLP",
] as const;
/** Masking order of AMLP Table 4. */
export const MASK_ORDERS = ["hardToEasy", "easyToHard", "random"] as const;
/** Training objectives. */
export const OBJECTIVES = ["mae", "simmim"] as const;
/** tfjs backends. */
export const BACKENDS = ["auto", "webgpu", "wasm", "cpu"] as const;
/** Where medmim's own kernels run. */
export const KERNEL_PLACES = ["auto", "gpu", "cpu"] as const;
/** Data sources. */
export const DATA_SOURCES = ["phantoms", "cache"] as const;

/** A complete, validated configuration. */
export interface Config {
  readonly run: {
    readonly name: string;
    readonly seed: number;
    readonly outDir: string;
  };
  readonly data: {
    readonly source: (typeof DATA_SOURCES)[number];
    readonly cacheDir: string;
    readonly count: number;
    readonly size: number;
  };
  readonly model: {
    readonly baseWidth: number;
  };
  readonly mask: {
    readonly ablation: (typeof ABLATIONS)[number];
    readonly method: (typeof MASK_METHODS)[number];
    readonly order: (typeof MASK_ORDERS)[number];
    readonly amr: {
      readonly enabled: boolean;
      readonly sigma0: number;
      readonly tau: number;
      readonly maxRatio: number;
    };
    readonly hpm: {
      readonly alpha0: number;
      readonly predictorWeight: number;
      readonly emaStart: number;
      readonly emaEnd: number;
    };
    readonly objective: (typeof OBJECTIVES)[number];
    readonly patchSize: number;
    readonly maskRatio: number;
    readonly normPixLoss: boolean;
    readonly fill: number;
  };
  readonly loss: {
    readonly arl: boolean;
    readonly ccl: boolean;
    readonly arlReading: "weight" | "add";
    readonly cclLabel: "relative" | "kmeans";
  };
  readonly optim: {
    readonly lr: number;
    readonly minLr: number;
    readonly weightDecay: number;
    readonly beta1: number;
    readonly beta2: number;
    readonly warmupEpochs: number;
  };
  readonly train: {
    readonly epochs: number;
    readonly batchSize: number;
    readonly ckptEvery: number;
    readonly lossEvery: number;
    readonly backend: (typeof BACKENDS)[number];
    readonly kernels: (typeof KERNEL_PLACES)[number];
    readonly previewCount: number;
  };
}

/** The defaults: a BASE pretraining run on the embedded phantoms that finishes in minutes on a CPU. */
export const DEFAULT_CONFIG: Config = {
  run: {
    name: "base_phantoms", // runs/<name>/ holds everything the run writes
    seed: 0, // seeds data, initialisation, batch order and masks
    outDir: "runs", // parent folder of all runs
  },
  data: {
    source: "phantoms", // "phantoms" (embedded generator) or "cache" (deno task preprocess output)
    cacheDir: "", // the slice cache folder when source is "cache"
    count: 128, // number of phantom images (source "phantoms")
    size: 64, // phantom side in pixels; a multiple of 16 (four 2x2 poolings)
  },
  model: {
    baseWidth: 8, // channels of the first U-Net level; AMLP uses 64, 8 keeps CPU runs short
  },
  mask: {
    ablation: "custom", // a Table 3 row ("BASE" ... "AMLP") sets method, amr and loss at once
    method: "random", // "random" (MAE, BASE), "mps" (AMLP k-means), "mps_ams" (k-means on softmax similarity), "hpm" (hard patches mining)
    order: "hardToEasy", // Table 4: mask likely-lesion patches first, last, or in random order
    amr: {
      enabled: false, // AMR: ratio sigma = sigma0 + ln(epoch) / tau instead of maskRatio
      sigma0: 0.25, // AMLP and MPS-AMS
      tau: 12, // AMLP and MPS-AMS
      maxRatio: 0.9, // clamp (ours; the papers do not clamp)
    },
    hpm: {
      alpha0: 0.5, // HPM: at progress t/T, alpha0 * t/T of the removed patches are the predicted hardest
      predictorWeight: 1, // weight of the ranking loss of the loss predictor beside the MIM loss
      emaStart: 0.999, // EMA teacher decay at the first step (SelfMedHPM)
      emaEnd: 0.9999, // ... rising (cosine) to this at the last step
    },
    objective: "mae", // "mae": L2 on removed patches; "simmim": L1 on removed pixels
    patchSize: 8, // P; 64 px / 8 = an 8 x 8 grid of 64 patches
    maskRatio: 0.5, // fraction of patches removed (fixed for BASE); AMR overrides it per epoch
    normPixLoss: false, // MAE's per-patch target normalisation
    fill: 0, // value of removed pixels; 0 is the mean after z-scoring
  },
  loss: {
    arl: false, // AMLP's attention reconstruction loss (CRCL with ccl)
    ccl: false, // AMLP's category consistency loss
    arlReading: "weight", // "weight": detached L_rrl weights L_pred; "add": L_rrl added as written (zero gradient)
    cclLabel: "relative", // BCE target q = w / (1 + w) from ARL weights; "kmeans": the binary label as written
  },
  optim: {
    lr: 2e-3, // peak AdamW learning rate after warmup
    minLr: 1e-4, // floor of the cosine decay
    weightDecay: 0.05, // decoupled, on conv kernels only (MAE)
    beta1: 0.9,
    beta2: 0.95, // MAE's pretraining betas
    warmupEpochs: 2, // linear warmup length, fractional epochs allowed
  },
  train: {
    epochs: 20,
    batchSize: 8,
    ckptEvery: 5, // also at the last epoch
    lossEvery: 4, // read losses back every k steps (one host-device sync per k steps)
    backend: "auto", // tfjs backend; "auto": webgpu on a hardware GPU, wasm on a software adapter
    kernels: "auto", // WGSL kernels on the GPU, or their TS twins ("cpu"); "auto" follows the backend
    previewCount: 4, // images in the final input / masked / reconstruction PNG grid
  },
};
