/**
 * The pretraining config's `pretrain` and `augment` sections: which
 * self-supervised method trains the U-Net, and the settings of the contrastive
 * ones (MPS-AMS Table 1's SimCLR, BYOL and SwAV baselines), with their
 * defaults, value rules and the checks across sections.
 *
 * `pretrain.method: mim` (the default) is masked image modeling, configured by
 * `mask.*` and `loss.*`; `simclr`, `byol` and `swav` train the encoder on two
 * augmented views per image (`augment.*`) and ignore masking, so a masking
 * setting that would be silently dropped is refused instead.
 *
 * @module
 */

import { ConfigError } from "../errors.ts";
import { describedRule, intRule, oneOfRule, realRule, type ValueRule } from "./check_shape.ts";

/** Pretraining methods: masked image modeling, or a contrastive baseline. */
export const PRETRAIN_METHODS = ["mim", "simclr", "byol", "swav"] as const;

/** The `pretrain` section. */
export interface PretrainSection {
  readonly method: (typeof PRETRAIN_METHODS)[number];
  /** Hidden units of the projector and BYOL's predictor. */
  readonly hidden: number;
  /** Projection size D. */
  readonly projection: number;
  readonly simclr: {
    readonly temperature: number;
  };
  readonly byol: {
    readonly emaStart: number;
    readonly emaEnd: number;
  };
  readonly swav: {
    readonly prototypes: number;
    readonly temperature: number;
    readonly epsilon: number;
    readonly sinkhornIterations: number;
    readonly freezePrototypesEpochs: number;
    readonly queueLength: number;
  };
}

/** The `augment` section (what each does: `lib/data/augment_params.ts`). */
export interface AugmentSection {
  /** Smallest crop area as a fraction of the image, in (0, 1]. */
  readonly cropMinScale: number;
  /** Largest crop aspect ratio (>= 1); the ratio is log-uniform in [1/r, r]. */
  readonly cropMaxRatio: number;
  /** Probability of a horizontal flip. */
  readonly flipHorizontal: number;
  /** Probability of a vertical flip. */
  readonly flipVertical: number;
  /** Largest rotation in degrees. */
  readonly rotateDegrees: number;
  /** Probability of the intensity jitter (gamma, contrast, brightness together). */
  readonly jitterProbability: number;
  /** Largest brightness shift, in z-score units. */
  readonly brightness: number;
  /** Largest relative contrast change. */
  readonly contrast: number;
  /** Largest gamma (>= 1); gamma is log-uniform in [1/g, g]. */
  readonly gamma: number;
  /** Probability of a Gaussian blur. */
  readonly blurProbability: number;
  /** Largest blur sigma in pixels (the kernel's taps reach 4 pixels, so 2 at most). */
  readonly blurSigma: number;
  /** Probability of Gaussian noise. */
  readonly noiseProbability: number;
  /** Largest noise standard deviation, in z-score units. */
  readonly noiseStd: number;
}

/** Defaults of the `pretrain` section. */
export const DEFAULT_PRETRAIN: PretrainSection = {
  method: "mim", // "mim" (mask.*, loss.*), or a contrastive baseline: "simclr", "byol", "swav"
  hidden: 256, // projector / predictor hidden units (the papers: 2048-4096 on a 2048-d ResNet-50 embedding)
  projection: 128, // projection size D (SimCLR, SwAV: 128; BYOL: 256)
  simclr: {
    temperature: 0.5, // NT-Xent tau; SimCLR's CIFAR-10 setting (small images, small batches)
  },
  byol: {
    emaStart: 0.99, // target decay at step 0; BYOL: 0.996 for 1000 epochs, 0.99 for shorter runs
    emaEnd: 1, // ... rising (cosine) to 1 at the last step, as BYOL
  },
  swav: {
    prototypes: 64, // K; SwAV: 3000 for ImageNet (1000 classes); 64 for ~1e2-1e3 images (see the README)
    temperature: 0.1, // softmax temperature of the swapped prediction (SwAV)
    epsilon: 0.05, // Sinkhorn-Knopp entropy weight (SwAV)
    sinkhornIterations: 3, // (SwAV)
    freezePrototypesEpochs: 1, // prototypes get no update in the first epoch(s) (SwAV: 1)
    queueLength: 128, // projections kept per view for Sinkhorn-Knopp (SwAV: a queue when the batch is < 256); 0: none
  },
};

/** Defaults of the `augment` section: SimCLR's recipe for grayscale, z-scored medical images. */
export const DEFAULT_AUGMENT: AugmentSection = {
  cropMinScale: 0.3, // random resized crop: area in [0.3, 1] (SimCLR 0.08 on ImageNet; lesions are small)
  cropMaxRatio: 4 / 3, // aspect ratio log-uniform in [3/4, 4/3] (SimCLR)
  flipHorizontal: 0.5, // left-right flip
  flipVertical: 0, // ultrasound and axial slices have a meaningful up-down (skin / anterior on top)
  rotateDegrees: 15, // small rotations
  jitterProbability: 0.8, // intensity jitter, SimCLR's colour-jitter probability
  brightness: 0.4, // additive shift in [-0.4, 0.4] standard deviations
  contrast: 0.4, // factor in [0.6, 1.4] around the image mean
  gamma: 1.5, // gamma in [1/1.5, 1.5] on the image's [min, max] range
  blurProbability: 0.5, // SimCLR: 0.5
  blurSigma: 1, // sigma in [0.1, 1] px (SimCLR: [0.1, 2] at 224 px)
  noiseProbability: 0.5,
  noiseStd: 0.1, // noise std in [0, 0.1] standard deviations
};

/** Value rules of both sections, by dotted key. */
export const CONTRASTIVE_RULES: Readonly<Record<string, ValueRule>> = {
  "pretrain.method": oneOfRule(PRETRAIN_METHODS),
  "pretrain.hidden": intRule(1, 65536),
  "pretrain.projection": intRule(1, 65536),
  "pretrain.simclr.temperature": realRule(1e-3, 100),
  "pretrain.byol.emaStart": realRule(0, 1),
  "pretrain.byol.emaEnd": realRule(0, 1),
  "pretrain.swav.prototypes": intRule(2, 65536),
  "pretrain.swav.temperature": realRule(1e-3, 100),
  "pretrain.swav.epsilon": realRule(1e-3, 100),
  "pretrain.swav.sinkhornIterations": intRule(1, 1000),
  "pretrain.swav.freezePrototypesEpochs": intRule(0),
  "pretrain.swav.queueLength": intRule(0, 1 << 20),
  "augment.cropMinScale": describedRule(
    "number in (0, 1]",
    (v) => realRule(0, 1)(v) ?? ((v as number) > 0 ? undefined : `${v} is not above 0`),
  ),
  "augment.cropMaxRatio": realRule(1, 10),
  "augment.flipHorizontal": realRule(0, 1),
  "augment.flipVertical": realRule(0, 1),
  "augment.rotateDegrees": realRule(0, 180),
  "augment.jitterProbability": realRule(0, 1),
  "augment.brightness": realRule(0, 10),
  "augment.contrast": realRule(0, 1, true),
  "augment.gamma": realRule(1, 10),
  "augment.blurProbability": realRule(0, 1),
  "augment.blurSigma": realRule(0, 2),
  "augment.noiseProbability": realRule(0, 1),
  "augment.noiseStd": realRule(0, 10),
};

/** One line per key of both sections (`--help` and the README's settings table). */
export const CONTRASTIVE_DOCS: Readonly<Record<string, string>> = {
  "pretrain.method":
    "mim: masked image modeling (the mask and loss sections); simclr, byol, swav: MPS-AMS Table 1's contrastive rows",
  "pretrain.hidden": "contrastive: hidden units of the projector (and BYOL's predictor)",
  "pretrain.projection": "contrastive: projection size D",
  "pretrain.simclr.temperature": "SimCLR: NT-Xent temperature",
  "pretrain.byol.emaStart": "BYOL: target network decay at the first step",
  "pretrain.byol.emaEnd": "BYOL: target decay at the last step (rising on a cosine)",
  "pretrain.swav.prototypes": "SwAV: number of prototypes K",
  "pretrain.swav.temperature": "SwAV: softmax temperature of the swapped prediction",
  "pretrain.swav.epsilon": "SwAV: Sinkhorn-Knopp entropy weight",
  "pretrain.swav.sinkhornIterations": "SwAV: Sinkhorn-Knopp normalisation rounds",
  "pretrain.swav.freezePrototypesEpochs": "SwAV: epochs at the start with the prototypes frozen",
  "pretrain.swav.queueLength":
    "SwAV: projections queued per view for Sinkhorn-Knopp, used once full; 0: none",
  "augment.cropMinScale":
    "contrastive views: smallest random-resized-crop area, a fraction of the image",
  "augment.cropMaxRatio": "contrastive views: crop aspect ratio log-uniform in [1/r, r]",
  "augment.flipHorizontal": "contrastive views: probability of a left-right flip",
  "augment.flipVertical": "contrastive views: probability of an up-down flip",
  "augment.rotateDegrees": "contrastive views: largest rotation, degrees",
  "augment.jitterProbability":
    "contrastive views: probability of the gamma/contrast/brightness jitter",
  "augment.brightness": "contrastive views: largest brightness shift, in standard deviations",
  "augment.contrast": "contrastive views: largest relative contrast change, about the image mean",
  "augment.gamma":
    "contrastive views: gamma log-uniform in [1/g, g] on the image's [min, max] range",
  "augment.blurProbability": "contrastive views: probability of a Gaussian blur",
  "augment.blurSigma": "contrastive views: largest blur sigma, pixels (drawn in [0.1, blurSigma])",
  "augment.noiseProbability": "contrastive views: probability of Gaussian noise",
  "augment.noiseStd": "contrastive views: largest noise standard deviation, in standard deviations",
};

/** The fields of a pretraining config the cross-section checks read. */
interface Checked {
  readonly pretrain: PretrainSection;
  readonly mask: {
    readonly ablation: string;
    readonly method: string;
    readonly objective: string;
    readonly amr: { readonly enabled: boolean };
  };
  readonly loss: { readonly arl: boolean; readonly ccl: boolean };
  readonly train: { readonly batchSize: number };
  readonly model: { readonly arch: string };
}

/**
 * Refuses settings a contrastive method would silently ignore or cannot run with.
 *
 * @param config A pretraining config that passed the shape and value checks.
 * @throws {ConfigError} Naming the key: a masking or MIM-loss setting with a
 *   contrastive method, a batch of one, or a BYOL decay that falls.
 */
export function checkPretrainMethod(config: Checked): void {
  const method = config.pretrain.method;
  if (config.pretrain.byol.emaEnd < config.pretrain.byol.emaStart) {
    throw new ConfigError(
      "pretrain.byol.emaEnd",
      `${config.pretrain.byol.emaEnd} is below pretrain.byol.emaStart ${config.pretrain.byol.emaStart}`,
    );
  }
  if (method === "mim") return;
  const ignored: [string, boolean, string][] = [
    ["mask.ablation", config.mask.ablation !== "custom", config.mask.ablation],
    ["mask.method", config.mask.method !== "random", config.mask.method],
    ["mask.objective", config.mask.objective !== "mae", config.mask.objective],
    ["mask.amr.enabled", config.mask.amr.enabled, "true"],
    ["loss.arl", config.loss.arl, "true"],
    ["loss.ccl", config.loss.ccl, "true"],
  ];
  for (const [key, set, value] of ignored) {
    if (set) {
      throw new ConfigError(
        key,
        `${value} configures masked image modeling, which pretrain.method "${method}" does not run; ` +
          `leave it at its default or use pretrain.method "mim"`,
      );
    }
  }
  if (config.model.arch !== "unet") {
    throw new ConfigError(
      "model.arch",
      `"${config.model.arch}" is not the U-Net; pretrain.method "${method}" trains the U-Net encoder (model.arch "unet")`,
    );
  }
  const { queueLength } = config.pretrain.swav;
  if (method === "swav" && queueLength > 0 && queueLength < config.train.batchSize) {
    throw new ConfigError(
      "pretrain.swav.queueLength",
      `${queueLength} is shorter than a batch (train.batchSize ${config.train.batchSize}); use 0 for no queue`,
    );
  }
  if (config.train.batchSize < 2) {
    throw new ConfigError(
      "train.batchSize",
      `${config.train.batchSize} is too small for pretrain.method "${method}" (negatives and batch norm need 2 or more)`,
    );
  }
}
