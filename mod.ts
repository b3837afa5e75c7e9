/**
 * medmim: masked-image-modeling pretraining and few-label segmentation of
 * medical images, with WGSL kernels and TensorFlow.js on one GPU device.
 *
 * @example
 * ```ts ignore
 * import { initTf, loadConfig, runPretraining } from "./mod.ts";
 * const config = await loadConfig(undefined, ["train.epochs=2", "run.name=demo"]);
 * await initTf(config.train.backend);
 * const { epochs } = await runPretraining(config);
 * console.log(epochs.map((e) => e.loss));
 * ```
 *
 * @module
 */

export * from "./lib/config/config.ts";
export * from "./lib/config/load_config.ts";
export * from "./lib/config/validate_config.ts";
export * from "./lib/errors.ts";
export * from "./lib/random.ts";
export * from "./lib/patchify.ts";
export * from "./lib/checkpoint.ts";
export * from "./lib/backend/init_tf.ts";
export * from "./lib/gpu/device.ts";
export * from "./lib/backend/select_backend.ts";
export * from "./lib/gpu/shader.ts";
export * from "./lib/gpu/kernels.ts";
export * from "./lib/data/dataset.ts";
export * from "./lib/data/phantoms.ts";
export * from "./lib/data/slice_cache.ts";
export * from "./lib/data/splits.ts";
export * from "./lib/io/nifti_read.ts";
export * from "./lib/io/nifti_write.ts";
export * from "./lib/io/png.ts";
export * from "./lib/masking/random_scores.ts";
export * from "./lib/masking/rank_mask.ts";
export * from "./lib/masking/apply_mask.ts";
export * from "./lib/masking/mps.ts";
export * from "./lib/masking/amr.ts";
export * from "./lib/masking/hpm.ts";
export * from "./lib/loss/patch_loss.ts";
export * from "./lib/loss/arl.ts";
export * from "./lib/loss/ccl.ts";
export * from "./lib/model/unet.ts";
export * from "./lib/model/loss_predictor.ts";
export * from "./lib/model/ema.ts";
export * from "./lib/pretrain/run_pretraining.ts";
export * from "./lib/pretrain/train_step.ts";
export * from "./lib/metrics/mod.ts";
