/**
 * `@spars/gym/train`: the training pipelines: self-play PPO training (`trainSelfPlay`), the
 * `deno task train` pipeline (`runPipeline`, `runTrainCli`) with its config and presets, run
 * folders, checkpoints, progress bars and learning curves.
 *
 * @module
 */
export * from "./backend_scorer.ts";
export * from "./checkpoint.ts";
export * from "./learning_curve.ts";
export * from "./pipeline.ts";
export * from "./progress.ts";
export * from "./progress_metrics.ts";
export * from "./run_folder.ts";
export * from "./rollout_tracker.ts";
export * from "./self_play.ts";
export * from "./train_cli.ts";
export * from "./train_config.ts";
export * from "./train_options.ts";
export * from "./validation.ts";
