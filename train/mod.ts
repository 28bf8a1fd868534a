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
export * from "./provenance.ts";
export * from "./run_folder.ts";
export * from "./rollout_tracker.ts";
export * from "./self_play.ts";
export * from "./train_cli.ts";
export * from "./train_config.ts";
export * from "./train_options.ts";
export * from "./validation.ts";
// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { AdamState } from "../agents/adam.ts";
export type {
  OpponentPool,
  OpponentPoolOptions,
  OpponentRule,
  PoolSnapshot,
} from "../agents/opponent_pool.ts";
export type { ActionMode } from "../agents/policy_agent.ts";
export type { PolicyArchitecture, PolicyNetwork, PolicyOutputs } from "../agents/policy_network.ts";
export type { PpoOptions, PpoUpdateStats } from "../agents/ppo.ts";
export type { RolloutObserver } from "../agents/rollout.ts";
export type { NamedWeight } from "../agents/snapshot.ts";
export type { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
export type { FolderLock, LockHolder } from "../data/folder_lock.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { Agent, AgentContext } from "../env/agent.ts";
export type { SparsConfig } from "../env/config.ts";
export type { AgentId, AgentInfo, GameReset, GameStep, PerAgent, SparsGame } from "../env/game.ts";
export type { StartRule, WindowGeometry } from "../env/geometry.ts";
export type { ObservationMode } from "../env/observation.ts";
export type { RgbaFrame } from "../env/png.ts";
export type { MapMode, ProbabilityMap } from "../env/probability_map.ts";
export type { RewardContext, RewardFunction, RewardSchemeName, TieRule } from "../env/rewards.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
export type { Box, BoxArray, BoxDtype, Discrete, Space } from "../env/spaces.ts";
export type { VectorEnv, VectorReset, VectorResetArgs, VectorStep } from "../env/vector_env.ts";
export type { MaskRule, MaskRuleKind } from "../eval/mask_rule.ts";
export type { AgentPair, SegmentOptions } from "../eval/segment.ts";
export type { BackendName } from "../models/backend.ts";
