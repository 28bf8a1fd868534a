/**
 * `@spars/gym/train`: the training pipelines: self-play PPO training (`trainSelfPlay`), the
 * `deno task train` pipeline (`runPipeline`, `runTrainCli`) with its config and presets, run
 * folders, checkpoints, progress bars and learning curves.
 *
 * @module
 */
export { BackendScorer } from "./backend_scorer.ts";
export {
  type CheckpointExpectation,
  CheckpointFileError,
  listCheckpoints,
  loadCheckpoint,
  loadLatestCheckpoint,
  saveCheckpoint,
  TRAIN_CHECKPOINT_VERSION,
  type TrainerRngStates,
  type TrainerState,
  validateCheckpoint,
} from "./checkpoint.ts";
export {
  type CurvePanel,
  LEARNING_CURVE_COLUMNS,
  LEARNING_CURVE_PANELS,
  learningCurveFrame,
  writeLearningCurve,
} from "./learning_curve.ts";
export { type PipelineOptions, type PipelineResult, runPipeline } from "./pipeline.ts";
export { formatDuration, ProgressBar, type ProgressBarOptions } from "./progress.ts";
export {
  type Every,
  ProgressMonitor,
  type ProgressMonitorOptions,
  type ProgressOptions,
  type ProgressRecord,
  ReferenceEvaluator,
  type ReferenceEvaluatorOptions,
  type ReferenceFields,
} from "./progress_metrics.ts";
export { collectProvenance, type Provenance, withProvenance } from "./provenance.ts";
export {
  appendMetrics,
  createRunFolder,
  defaultRunDir,
  openRunFolder,
  readMetrics,
  type RunFolder,
  RunFolderError,
} from "./run_folder.ts";
export { type RolloutProgress, RolloutTracker, type RolloutTrackerOptions } from "./rollout_tracker.ts";
export {
  type SelfPlayOptions,
  type SelfPlayResult,
  type TrainerView,
  trainSelfPlay,
  type UpdateRecord,
} from "./self_play.ts";
export { runTrainCli, type TrainCliIo } from "./train_cli.ts";
export {
  type PresetName,
  PRESETS,
  SCORER_RUNTIMES,
  type ScorerRuntime,
  type TrainConfig,
} from "./train_config.ts";
export { UsageError } from "./option_values.ts";
export { parseTrainArgs, trainHelp, type TrainRequest } from "./train_options.ts";
export { validationDiceHook, type ValidationDiceOptions } from "./validation.ts";

// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { ActionMode } from "../agents/policy_agent.ts";
export type { AdamState } from "../agents/adam.ts";
export type { Agent, AgentContext } from "../env/agent.ts";
export type { AgentId, AgentInfo, GameReset, GameStep, PerAgent, SparsGame } from "../env/game.ts";
export type { AgentPair, SegmentOptions } from "../eval/segment.ts";
export type { BackendName } from "../models/backend.ts";
export type { Box, BoxArray, BoxDtype, Discrete, Space } from "../env/spaces.ts";
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { IntensityMode, IntensityOptions } from "../data/intensity_options.ts";
export type { FolderLock, LockHolder } from "../data/folder_lock.ts";
export type { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
export type { MapMode, ProbabilityMap } from "../env/probability_map.ts";
export type { MaskRule, MaskRuleKind } from "../eval/mask_rule.ts";
export type { NamedWeight } from "../agents/snapshot.ts";
export type { ObservationMode } from "../env/observation.ts";
export type {
  OpponentPool,
  OpponentPoolOptions,
  OpponentRule,
  PoolSnapshot,
} from "../agents/opponent_pool.ts";
export type { PolicyArchitecture, PolicyNetwork, PolicyOutputs } from "../agents/policy_network.ts";
export type { PpoOptions } from "../agents/ppo_options.ts";
export type { PpoUpdateStats } from "../agents/ppo.ts";
export type { RewardContext, RewardFunction, RewardSchemeName, TieRule } from "../env/rewards.ts";
export type { RgbaFrame } from "../env/png.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { RolloutObserver } from "../agents/rollout.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
export type { SparsConfig } from "../env/config.ts";
export type { StartRule, WindowGeometry } from "../env/geometry.ts";
export type { VectorEnv, VectorReset, VectorResetArgs, VectorStep } from "../env/vector_env.ts";
