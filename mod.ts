/**
 * medmim: masked-image-modeling pretraining and few-label segmentation of
 * medical images, with WGSL kernels and TensorFlow.js on one GPU device.
 *
 * The pipeline, one function per step, each taking a config object that
 * holds only what differs from the defaults (`lib/pipeline/pipeline.ts`; the
 * README has a whole script):
 *
 * @example
 * ```ts ignore
 * import { evaluate, finetune, pretrain, resultsTable } from "./mod.ts";
 * const pre = await pretrain({ run: { name: "pre" }, train: { epochs: 2 } });
 * const ft = { run: { name: "ft" }, model: { init: "encoder", checkpoint: pre.checkpoint } } as const;
 * await finetune(ft);
 * console.log(resultsTable([["from pre", await evaluate(ft)]]));
 * ```
 *
 * @module
 */

// base, io, config
export * from "./lib/errors.ts";
export * from "./lib/random.ts";
export * from "./lib/patchify.ts";
export * from "./lib/io/checkpoint.ts";
export * from "./lib/io/nifti_read.ts";
export * from "./lib/io/nifti_write.ts";
export * from "./lib/io/png.ts";
export * from "./lib/config/common.ts";
export * from "./lib/config/load_config.ts";
export * from "./lib/config/pretrain_config.ts";
export * from "./lib/config/contrastive_config.ts";
export * from "./lib/config/finetune_config.ts";
export * from "./lib/config/preprocess_config.ts";
// gpu, kernels, backends
export * from "./lib/gpu/device.ts";
export * from "./lib/gpu/shader.ts";
export * from "./lib/kernels/kernel_context.ts";
export * from "./lib/kernels/registry.ts";
export * from "./lib/kernels/random_scores.ts";
export * from "./lib/kernels/rank_mask.ts";
export * from "./lib/kernels/apply_mask.ts";
export * from "./lib/kernels/patch_loss.ts";
export * from "./lib/kernels/patch_loss_grad.ts";
export * from "./lib/kernels/token_ids.ts";
export * from "./lib/kernels/token_gather.ts";
export * from "./lib/kernels/token_loss.ts";
export * from "./lib/kernels/token_loss_grad.ts";
export * from "./lib/kernels/augment_views.ts";
export * from "./lib/backend/select_backend.ts";
export * from "./lib/backend/init_tf.ts";
// data, masking, model, loss, metrics
export * from "./lib/data/dataset.ts";
export * from "./lib/data/phantoms.ts";
export * from "./lib/data/slice_cache.ts";
export * from "./lib/data/splits.ts";
export * from "./lib/data/augment.ts";
export * from "./lib/data/augment_params.ts";
export * from "./lib/masking/make_mask.ts";
export * from "./lib/masking/mask_count.ts";
export * from "./lib/masking/mps.ts";
export * from "./lib/mask_ratio.ts";
export * from "./lib/masking/hpm.ts";
export * from "./lib/model/unet.ts";
export * from "./lib/model/loss_predictor.ts";
export * from "./lib/model/ema.ts";
export * from "./lib/model/vit.ts";
export * from "./lib/model/vit_mae.ts";
export * from "./lib/model/unetr.ts";
export * from "./lib/model/mim_net.ts";
export * from "./lib/model/seg_net.ts";
export * from "./lib/model/contrastive_net.ts";
export * from "./lib/model/mlp_head.ts";
export * from "./lib/model/prototypes.ts";
export * from "./lib/model/l2_normalize.ts";
export * from "./lib/loss/mim_loss.ts";
export * from "./lib/loss/arl.ts";
export * from "./lib/loss/ccl.ts";
export * from "./lib/loss/total_loss.ts";
export * from "./lib/loss/token_loss_op.ts";
export * from "./lib/loss/nt_xent.ts";
export * from "./lib/loss/byol_loss.ts";
export * from "./lib/loss/sinkhorn.ts";
export * from "./lib/loss/swav_loss.ts";
export * from "./lib/metrics/mod.ts";
// pipelines
export * from "./lib/pipeline/pipeline.ts";
export * from "./lib/data/preprocess/run_preprocess.ts";
export * from "./lib/export/run_export.ts";
export * from "./lib/export/safetensors.ts";
export * from "./lib/pretrain/run_pretraining.ts";
export * from "./lib/pretrain/train_step.ts";
export * from "./lib/pretrain/contrastive_step.ts";
export * from "./lib/finetune/run_finetune.ts";
export * from "./lib/evaluate/run_evaluate.ts";
// the experiment grid
export * from "./lib/config/experiment_config.ts";
export * from "./lib/experiment/plan_grid.ts";
export * from "./lib/experiment/pretrain_kinds.ts";
export * from "./lib/experiment/run_cell.ts";
export * from "./lib/experiment/run_grid.ts";
export * from "./lib/experiment/collect.ts";
export * from "./lib/viz/line_chart_svg.ts";
