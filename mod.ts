/**
 * SPARS Gym: a reinforcement-learning gym for weakly-supervised 3D medical segmentation by
 * self-play adversarial agents (SPARS). Volumes are z,y,x with x fastest; spacings in mm.
 *
 * Layers (imports point down only): `data/` (volumes, NIfTI, preprocessing, datasets, phantoms),
 * `env/` (the game: spaces, scorers, probability map, envs, render), `models/` (tfjs networks),
 * `agents/` (PPO, self-play), `eval/` (metrics, inference, reports), `train/` (pipelines).
 *
 * @example Play one game with the oracle scorer (an upper bound that reads voxel labels)
 * ```ts
 * import { generatePhantom, OracleScorer, RandomAgent, SparsEnv } from "@spars/gym";
 * const c = generatePhantom({ seed: 1 });
 * const env = new SparsEnv({ scorer: new OracleScorer([c], { target: 2 }), cases: [c], window: [8, 16, 16] });
 * let r = await env.reset({ seed: 0 });
 * const agent = new RandomAgent(0);
 * while (env.agents.length) {
 *   const [a, b] = await agent.act([r.observations.a, r.observations.b]);
 *   r = await env.step({ a, b });
 * }
 * const mask = env.map.mask(0.5);
 * ```
 *
 * @module
 */
// Data: volumes, NIfTI, preprocessing, datasets, splits, phantoms, supervision levels
export { checkSeed, deriveSeed, Rng, type RngState } from "./data/random.ts";
export type { IntensityMode, IntensityOptions } from "./data/intensity_options.ts";
export { CaseCache, type CaseCacheKeyParts } from "./data/case_cache.ts";
export { type Case, diagonalAffine, type Labels, type Vec3, type Volume, voxelCount } from "./data/types.ts";
export {
  DatasetError,
  InvalidArgumentError,
  NiftiError,
  NonFiniteVoxelError,
  ShapeMismatchError,
  SparsGymError,
} from "./data/errors.ts";
export type { NiftiDatatype } from "./data/nifti_voxels.ts";
export type { NiftiHeaderInfo } from "./data/nifti_header.ts";
export type { NonFinitePolicy } from "./data/finite.ts";
export {
  DEFAULT_NIFTI_MAX_BYTES,
  type NiftiLoadOptions,
  type NiftiReadResult,
  readNifti,
  readNiftiLabels,
  type ReadNiftiOptions,
  readNiftiWithInfo,
} from "./data/nifti_read.ts";
export { encodeNifti, writeNifti, type WriteNiftiOptions } from "./data/nifti_write.ts";
export { preprocessCase, type PreprocessOptions } from "./data/preprocess.ts";
export {
  crop,
  cropLabels,
  cropOrPad,
  cropOrPadLabels,
  foregroundBox,
  resampleLabelsToShape,
  resampleLabelsToSpacing,
  resampleToShape,
  resampleToSpacing,
} from "./data/preprocess_geometry.ts";
export { LIVER_WINDOW_HU, windowIntensity, zScoreInMask } from "./data/preprocess_intensity.ts";
export {
  generatePhantom,
  generatePhantomDataset,
  type PhantomDatasetOptions,
  phantomDatasetPlan,
  type PhantomOptions,
} from "./data/phantom.ts";
export { targetMask, tileCase, type TileOptions, type TileResult } from "./data/tile.ts";
export {
  DEFAULT_SPLIT_FRACTIONS,
  type FoldSpec,
  SPLIT_NAMES,
  type SplitFractions,
  splitIds,
  type SplitName,
} from "./data/split.ts";
export {
  type CaseRef,
  type Dataset,
  type DatasetOptions,
  type FolderDatasetOptions,
  openDataset,
  openFolderDataset,
  openLitsDataset,
  openMsdDataset,
  phantomDataset,
  type PhantomDatasetSpec,
} from "./data/dataset.ts";
export {
  describeSupervision,
  isSupervisionLevel,
  parseSupervisionLevel,
  SUPERVISION_LEVELS,
  type SupervisionLevel,
} from "./data/supervision.ts";

// The patch game ("Competing for pixels"): a 2D grid of patches claimed by two agents
export { PatchGrid, type PatchSizeGroup } from "./env/patch/grid.ts";
export {
  DEFAULT_PATCH_CONFIG,
  PATCH_AGENTS,
  type PatchAgentId,
  type PatchConfig,
  resolvePatchConfig,
} from "./env/patch/config.ts";
export {
  PATCH_CHANNELS,
  patchChannels,
  PatchObservationEncoder,
  patchObservationSpace,
} from "./env/patch/observation.ts";
export {
  PatchGame,
  type PatchInfo,
  type PatchPerAgent,
  type PatchReset,
  type PatchStep,
} from "./env/patch/game.ts";
export { renderPatchAnsi, renderPatchRgb } from "./env/patch/render.ts";
export { PatchEnv, type PatchEnvOptions, type PatchResetArgs } from "./env/patch/patch_env.ts";
export {
  GreedyPatchAgent,
  type PatchAgent,
  type PatchAgentContext,
  RandomPatchAgent,
} from "./env/patch/agents.ts";
export {
  PatchSelfPlayEnv,
  type PatchSelfPlayOptions,
  type PatchSingleReset,
  type PatchSingleStep,
} from "./env/patch/self_play.ts";
export { PatchVectorEnv, type PatchVectorEnvOptions, type PatchVectorStep } from "./env/patch/vector_env.ts";

// The pixel game: per-pixel actions on 2D slices, rewards from voxel labels
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
} from "./env/pixel/pixel_env.ts";
export { phantomPixelSlices, type PhantomSliceOptions, sliceThroughTarget } from "./env/pixel/pixel_data.ts";
export { ACTION_COLORS, renderPixelEnv } from "./env/pixel/pixel_render.ts";
export { checkPixelEnv } from "./env/pixel/pixel_check.ts";

// Gymnasium-style wrappers (composable; `env.unwrapped`)
export { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./env/wrappers/base.ts";
export { TimeLimit } from "./env/wrappers/time_limit.ts";
export {
  type EpisodeStatistics,
  type InfoWithEpisode,
  RecordEpisodeStatistics,
} from "./env/wrappers/record_episode_statistics.ts";
export { TransformObservation } from "./env/wrappers/transform_observation.ts";
export { TransformReward } from "./env/wrappers/transform_reward.ts";
export { NormalizeObservation, RunningMeanStd } from "./env/wrappers/normalize_observation.ts";
export { type FramePadding, FrameStack } from "./env/wrappers/frame_stack.ts";

// The env registry (`make` / `spec` / `register`, versioned ids)
export {
  type EnvFactory,
  type EnvSpec,
  make,
  type ParsedEnvId,
  parseEnvId,
  register,
  type RegisterOptions,
  registry,
  RegistryError,
  spec,
  unregister,
} from "./env/registry.ts";

// The SPARS game: spaces, scorers, rewards, probability map, envs, render, checkers
export {
  type AgentId,
  type AgentInfo,
  AGENTS,
  type GameReset,
  type GameStep,
  type PerAgent,
  SparsGame,
} from "./env/game.ts";
export { type ResetArgs, SparsEnv, type SparsEnvOptions } from "./env/spars_env.ts";
export {
  decodePng,
  encodePng,
  type RgbaFrame,
  rgbaToRgb,
  type RgbFrame,
  rgbToRgba,
  writePng,
} from "./env/png.ts";
export { EnvStateError } from "./env/errors.ts";
export { MOVE_COUNT, MOVE_NAMES, type StartRule, WindowGeometry } from "./env/geometry.ts";
export { Box, type BoxArray, type BoxDtype, Dict, Discrete, type Space } from "./env/spaces.ts";
export { type DiscreteMask, MultiBinary, MultiDiscrete, Tuple } from "./env/spaces_multi.ts";
export { flatdim, flatten, flattenSpace, unflatten } from "./env/spaces_flatten.ts";
export { checkScores, type Scorer, type ScoreRequest, scoreRequests } from "./env/scorer.ts";
export { OracleScorer, type OracleScorerOptions } from "./env/oracle_scorer.ts";
export { type MapReduction, MapScorer } from "./env/map_scorer.ts";
export {
  CachedScorer,
  type CachedScorerOptions,
  type CacheStats,
  DEFAULT_SCORE_CACHE_ENTRIES,
} from "./env/cached_scorer.ts";
export {
  REWARD_SCHEMES,
  type RewardContext,
  type RewardFunction,
  rewardFunction,
  type RewardOptions,
  type RewardSchemeName,
  type TieRule,
} from "./env/rewards.ts";
export { MAP_MODES, type MapMode, ProbabilityMap } from "./env/probability_map.ts";
export { observationChannels, type ObservationMode, observationSpace } from "./env/observation.ts";
export { DEFAULT_SPARS_CONFIG, resolveConfig, type SparsConfig } from "./env/config.ts";
export type { Agent, AgentContext } from "./env/agent.ts";
export { GreedyAgent, RandomAgent } from "./env/baseline_agents.ts";
export {
  type OpponentFunction,
  SelfPlayEnv,
  type SelfPlayEnvOptions,
  type SingleReset,
  type SingleStep,
} from "./env/self_play_env.ts";
export {
  VectorEnv,
  type VectorEnvOptions,
  type VectorReset,
  type VectorResetArgs,
  type VectorStep,
} from "./env/vector_env.ts";
export {
  SelfPlayVectorEnv,
  type SelfPlayVectorEnvOptions,
  type SelfPlayVectorReset,
  type SelfPlayVectorStep,
} from "./env/self_play_vector_env.ts";
export {
  checkEnv,
  type CheckOptions,
  checkParallelEnv,
  EnvCheckError,
  type GymEnvLike,
  type ParallelEnvLike,
} from "./env/checkers.ts";
export {
  renderSlice,
  type Rgb,
  sideBySide,
  type SliceRenderOptions,
  type WindowOutline,
} from "./env/frame.ts";
export {
  RENDER_MODES,
  renderAnsi,
  type Rendered,
  renderGame,
  type RenderMode,
  type RenderOptions,
  renderRgb,
} from "./env/render.ts";

// Ready-made tasks (registered on import; a classifier task loads tfjs only when made)
export {
  buildSparsTask,
  DEFAULT_TASK_OPTIONS,
  makeClassifierTask,
  makeOracleTask,
  PAPER_TASK_OPTIONS,
  type PhantomDataOptions,
  type SparsTaskOptions,
  taskCases,
} from "./tasks/spars_tasks.ts";
export {
  makePhantomTask,
  PHANTOM_TASK_ID,
  SHIPPED_CLASSIFIER_SHA256,
  shippedClassifierPath,
} from "./tasks/phantom_task.ts";
export {
  BRATS_FLAIR_TASK_ID,
  BRATS_FLAIR_TASK_OPTIONS,
  realTaskCases,
  realTaskFactory,
  type RealTaskOptions,
  STS_CT_TASK_ID,
  STS_CT_TASK_OPTIONS,
} from "./tasks/real_tasks.ts";
export {
  type GamePhantoms,
  makePatchTask,
  makePixelTask,
  PATCH_TASK_ID,
  PATCH_TASK_OPTIONS,
  patchTaskCases,
  type PatchTaskOptions,
  PIXEL_TASK_ID,
  PIXEL_TASK_OPTIONS,
  pixelTaskEnv,
  type PixelTaskOptions,
} from "./tasks/game_tasks.ts";
export {
  PIXEL_BRATS_TASK_ID,
  PIXEL_BRATS_TASK_OPTIONS,
  PIXEL_LIVER_TASK_ID,
  PIXEL_LIVER_TASK_OPTIONS,
  pixelRealTaskFactory,
  type PixelRealTaskOptions,
} from "./tasks/pixel_real_tasks.ts";

// Evaluation: metrics, segmentation by agents, baselines, sweeps, reports
export type { GateChoice } from "./eval/presence_gate.ts";
export {
  type AgentFactory,
  type AgentFactoryOptions,
  type AgentModule,
  loadAgentModule,
} from "./eval/agent_module.ts";
export {
  type Confusion,
  confusion,
  dice,
  iou,
  type OverlapOptions,
  precision,
  scoreSegmentation,
  type SegmentationScores,
  sensitivity,
  specificity,
  summarize,
  type Summary,
  volumeDifference,
} from "./eval/metrics.ts";
export {
  averageSurfaceDistance,
  hausdorff95,
  surfaceDistances,
  type SurfaceScores,
  surfaceScores,
} from "./eval/surface_distance.ts";
export {
  connectedComponents,
  type Connectivity,
  diceBySize,
  type LesionDetection,
  lesionDetection,
  type LesionResult,
} from "./eval/components.ts";
export { plotLines, type PlotOptions, type Series } from "./eval/plot.ts";
export {
  type AgentPair,
  segment,
  type SegmentOptions,
  type SegmentResult,
  type SegmentTimings,
} from "./eval/segment.ts";
export { mapFromTrajectories, type Trajectory, type WindowScores } from "./eval/trajectory_map.ts";
export { denseBaseline, type DenseBaselineOptions, type DenseBaselineResult } from "./eval/dense_baseline.ts";
export { DenseScoreCache, type DenseScoreCacheOptions, type DenseScoreStore } from "./eval/dense_cache.ts";
export {
  DEFAULT_TAUS,
  runSweep,
  type SweepCase,
  type SweepGrid,
  type SweepMethod,
  type SweepOptions,
  type SweepResult,
  windowAblation,
  type WindowAblationRow,
} from "./eval/sweep.ts";
export {
  type CaseMethodResult,
  type CaseResult,
  METHOD_IDS,
  METHOD_LABELS,
  type MethodId,
  type MethodSetting,
  type MethodSummary,
  type RunOutput,
  type StartsCaseResult,
  type StartsSummary,
} from "./eval/method_results.ts";
export { runEvaluation } from "./eval/evaluate.ts";
export {
  DEFAULT_EVAL_STARTS,
  type EvaluationOptions,
  type EvaluationProgress,
  type EvaluationResult,
  type GivenSetting,
  runnableMethods,
} from "./eval/evaluation_options.ts";
export { evaluationMarkdown } from "./eval/report_markdown.ts";
export {
  type CaseArtifacts,
  evaluationJson,
  parseEvaluationJson,
  type ReportOptions,
  ReportWriter,
} from "./eval/report.ts";
export { deconvolvedMap, DEFAULT_DECONV_ITERATIONS } from "./eval/deconvolved_map.ts";
export {
  applyMaskRule,
  DEFAULT_SWEPT_RULE_KINDS,
  formatMaskRule,
  MASK_RULE_KINDS,
  type MaskRule,
  type MaskRuleKind,
  parseMaskRule,
} from "./eval/mask_rule.ts";
export {
  DEFAULT_REFINE_RADIUS,
  DEFAULT_REFINE_TOP,
  type RefineOptions,
  refineWindows,
} from "./eval/refine.ts";
export { type EpisodeMap, episodeMap, type EpisodeMapOptions } from "./eval/episode_map.ts";
export { type Pairing, PAIRINGS, type PolicyActionMode, type PolicyPlayers } from "./eval/players.ts";
export type { RuleChoice, RuleSweepCase } from "./eval/rule_sweep.ts";
export type { ValidationOptions } from "./eval/evaluate_sweep.ts";
