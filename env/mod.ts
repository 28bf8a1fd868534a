/**
 * `@spars/gym/env`: the games alone, without tfjs, data loaders or evaluation: the SPARS window game
 * (`SparsEnv` two-agent Parallel view, `SelfPlayEnv` single-agent Gymnasium view, `VectorEnv`,
 * `SelfPlayVectorEnv`), the patch game and the pixel game, spaces, wrappers, scorers, rewards, the
 * probability map, baseline agents, renderers, checkers, the registry mechanism and typed errors.
 * Volumes are z,y,x with x fastest; spacings in mm.
 *
 * The registry here knows no game: the ready-made task ids (`SparsGym/Spars-Oracle-v0`, ...) are
 * registered by importing `@spars/gym` (the root entry point imports `tasks/`, which sits above
 * `env/`). With this entry point alone, `registry()` lists only what you `register`.
 *
 * @example Play one game with the oracle scorer (an upper bound that reads voxel labels)
 * ```ts
 * import { generatePhantom, OracleScorer, RandomAgent, SparsEnv } from "@spars/gym/env";
 * const c = generatePhantom({ seed: 1 });
 * const env = new SparsEnv({ scorer: new OracleScorer([c], { target: 2 }), cases: [c], window: [8, 16, 16] });
 * let r = await env.reset({ seed: 0 });
 * const agent = new RandomAgent(0);
 * while (env.agents.length) {
 *   const [a, b] = await agent.act([r.observations.a, r.observations.b]);
 *   r = await env.step({ a, b });
 * }
 * ```
 *
 * @module
 */
// What the games are played on (from data/): cases, phantoms, seeds, and the error base classes
export { type Case, type Labels, type Vec3, type Volume } from "../data/types.ts";
export { generatePhantom, type PhantomOptions } from "../data/phantom.ts";
export { Rng, type RngState } from "../data/random.ts";
export type { SplitName } from "../data/split.ts";
export { InvalidArgumentError, ShapeMismatchError, SparsGymError } from "../data/errors.ts";

// Errors of the env layer
export { EnvStateError } from "./errors.ts";
export { RegistryError } from "./registry.ts";
export { EnvCheckError } from "./checkers.ts";

// The SPARS game: envs (Parallel, single-agent, vector), its options and pieces
export {
  type AgentId,
  type AgentInfo,
  AGENTS,
  type GameReset,
  type GameStep,
  type PerAgent,
  SparsGame,
} from "./game.ts";
export { type ResetArgs, SparsEnv, type SparsEnvOptions } from "./spars_env.ts";
export {
  type OpponentFunction,
  SelfPlayEnv,
  type SelfPlayEnvOptions,
  type SingleReset,
  type SingleStep,
} from "./self_play_env.ts";
export {
  VectorEnv,
  type VectorEnvOptions,
  type VectorReset,
  type VectorResetArgs,
  type VectorStep,
} from "./vector_env.ts";
export {
  SelfPlayVectorEnv,
  type SelfPlayVectorEnvOptions,
  type SelfPlayVectorReset,
  type SelfPlayVectorStep,
} from "./self_play_vector_env.ts";
export { DEFAULT_SPARS_CONFIG, resolveConfig, type SparsConfig } from "./config.ts";
export { MOVE_COUNT, MOVE_NAMES, type StartRule, WindowGeometry } from "./geometry.ts";
export {
  observationChannels,
  ObservationEncoder,
  type ObservationMode,
  observationSpace,
} from "./observation.ts";
export { MAP_MODES, type MapMode, ProbabilityMap } from "./probability_map.ts";
export {
  REWARD_SCHEMES,
  type RewardContext,
  type RewardFunction,
  rewardFunction,
  type RewardOptions,
  type RewardSchemeName,
  type TieRule,
} from "./rewards.ts";

// Scorers (the reward model's contract; the classifier scorer is in @spars/gym/models)
export { checkScores, type Scorer, type ScoreRequest, scoreRequests } from "./scorer.ts";
export { OracleScorer, type OracleScorerOptions } from "./oracle_scorer.ts";
export { type MapReduction, MapScorer } from "./map_scorer.ts";
export {
  CachedScorer,
  type CachedScorerOptions,
  type CacheStats,
  DEFAULT_SCORE_CACHE_ENTRIES,
} from "./cached_scorer.ts";

// Agents: the contract and the baselines
export type { Agent, AgentContext } from "./agent.ts";
export { GreedyAgent, RandomAgent } from "./baseline_agents.ts";

// Spaces
export { Box, type BoxArray, type BoxDtype, Dict, Discrete, type Space } from "./spaces.ts";
export { type DiscreteMask, MultiBinary, MultiDiscrete, Tuple } from "./spaces_multi.ts";
export { flatdim, flatten, flattenSpace, unflatten } from "./spaces_flatten.ts";

// Wrappers (Gymnasium semantics, composable; `env.unwrapped`)
export { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./wrappers/base.ts";
export { TimeLimit } from "./wrappers/time_limit.ts";
export {
  type EpisodeStatistics,
  type InfoWithEpisode,
  RecordEpisodeStatistics,
} from "./wrappers/record_episode_statistics.ts";
export { TransformObservation } from "./wrappers/transform_observation.ts";
export { TransformReward } from "./wrappers/transform_reward.ts";
export { NormalizeObservation, RunningMeanStd } from "./wrappers/normalize_observation.ts";
export { type FramePadding, FrameStack } from "./wrappers/frame_stack.ts";

// The registry mechanism (`make` / `spec` / `register`, versioned ids)
export {
  type EnvFactory,
  type EnvSpec,
  make,
  type ParsedEnvId,
  parseEnvId,
  register,
  type RegisterOptions,
  registry,
  spec,
  unregister,
} from "./registry.ts";

// Checkers (ports of Gymnasium's check_env and PettingZoo's parallel_api_test)
export {
  checkEnv,
  type CheckOptions,
  checkParallelEnv,
  type GymEnvLike,
  type ParallelEnvLike,
} from "./checkers.ts";

// Rendering and image writers
export {
  RENDER_MODES,
  renderAnsi,
  type Rendered,
  renderGame,
  type RenderMode,
  type RenderOptions,
  renderRgb,
} from "./render.ts";
export { renderSlice, type Rgb, sideBySide, type SliceRenderOptions, type WindowOutline } from "./frame.ts";
export {
  decodePng,
  encodePng,
  type RgbaFrame,
  rgbaToRgb,
  type RgbFrame,
  rgbToRgba,
  writePng,
} from "./png.ts";
export { type ApngOptions, encodeApng, writeApng } from "./apng.ts";

// The patch game ("Competing for pixels")
export { PatchGrid, type PatchSizeGroup } from "./patch/grid.ts";
export {
  DEFAULT_PATCH_CONFIG,
  PATCH_AGENTS,
  type PatchAgentId,
  type PatchConfig,
  resolvePatchConfig,
} from "./patch/config.ts";
export {
  PATCH_CHANNELS,
  patchChannels,
  PatchObservationEncoder,
  patchObservationSpace,
} from "./patch/observation.ts";
export {
  PatchGame,
  type PatchInfo,
  type PatchPerAgent,
  type PatchReset,
  type PatchStep,
} from "./patch/game.ts";
export { renderPatchAnsi, renderPatchRgb } from "./patch/render.ts";
export { PatchEnv, type PatchEnvOptions, type PatchResetArgs } from "./patch/patch_env.ts";
export {
  GreedyPatchAgent,
  type PatchAgent,
  type PatchAgentContext,
  RandomPatchAgent,
} from "./patch/agents.ts";
export { fitSpatialPrior, type SpatialPrior, SpatialPriorPatchAgent } from "./patch/spatial_prior.ts";
export {
  PatchSelfPlayEnv,
  type PatchSelfPlayOptions,
  type PatchSingleReset,
  type PatchSingleStep,
} from "./patch/self_play.ts";
export { PatchVectorEnv, type PatchVectorEnvOptions, type PatchVectorStep } from "./patch/vector_env.ts";

// The pixel game (PixelDRL-MG): per-pixel actions on 2D slices, rewards from voxel labels
export {
  type InitialMask,
  KEEP,
  PAPER_ACTIONS,
  type PixelAction,
  type PixelEnvOptions,
  type PixelInfo,
  pixelRewardMap,
  PixelSegEnv,
  type PixelSlice,
  type PixelStepResult,
  SET_BACKGROUND,
  SET_FOREGROUND,
} from "./pixel/pixel_env.ts";
export { phantomPixelSlices, type PhantomSliceOptions, sliceThroughTarget } from "./pixel/pixel_data.ts";
export { ACTION_COLORS, renderPixelEnv } from "./pixel/pixel_render.ts";
export { checkPixelEnv } from "./pixel/pixel_check.ts";
