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
// data
export * from "./data/types.ts";
export * from "./data/errors.ts";
export { checkSeed, deriveSeed, Rng, type RngState } from "./data/random.ts"; // not fmix32
export * from "./data/resample.ts";
export * from "./data/phase_grids.ts";
export * from "./data/nifti_read.ts";
export * from "./data/nifti_write.ts";
export * from "./data/preprocess.ts";
export * from "./data/phantom.ts";
export * from "./data/tile.ts";
export * from "./data/split.ts";
export * from "./data/dataset.ts";
export { CaseCache, type CaseCacheKeyParts } from "./data/case_cache.ts"; // not stableJson
export * from "./data/supervision.ts";
// env
export * from "./env/errors.ts";
export * from "./env/geometry.ts";
export * from "./env/spaces.ts";
export * from "./env/spaces_multi.ts";
export * from "./env/spaces_flatten.ts";
export * from "./env/scorer.ts";
export * from "./env/window_sum.ts";
export * from "./env/oracle_scorer.ts";
export * from "./env/map_scorer.ts";
export * from "./env/cached_scorer.ts";
export * from "./env/rewards.ts";
export * from "./env/probability_map.ts";
export * from "./env/observation.ts";
export * from "./env/config.ts";
export {
  type AgentId,
  type AgentInfo,
  AGENTS,
  type GameReset,
  type GameStep,
  type PerAgent,
  SparsGame,
} from "./env/game.ts"; // not the internal validators checkAction, checkAgentKeys
export * from "./env/agent.ts";
export * from "./env/baseline_agents.ts";
export { type ResetArgs, SparsEnv, type SparsEnvOptions } from "./env/spars_env.ts"; // not encoderPool
export * from "./env/self_play_env.ts";
export * from "./env/vector_env.ts";
export * from "./env/self_play_vector_env.ts";
export * from "./env/checkers.ts";
export {
  decodePng,
  encodePng,
  type RgbaFrame,
  rgbaToRgb,
  type RgbFrame,
  rgbToRgba,
  writePng,
} from "./env/png.ts"; // not crc32 (internal)
export * from "./env/frame.ts";
export * from "./env/render.ts";
export * from "./env/registry.ts";
export * from "./env/wrappers/mod.ts";
// the patch game ("Competing for pixels")
export * from "./env/patch/mod.ts";
export * from "./env/pixel/mod.ts";
// ready-made tasks (registered on import; the classifier task loads tfjs only when made)
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
// eval
export * from "./eval/metrics.ts";
export * from "./eval/surface_distance.ts";
export * from "./eval/components.ts";
export * from "./eval/plot.ts";
export * from "./eval/segment.ts";
export * from "./eval/metered_scorer.ts";
export * from "./eval/trajectory_map.ts";
export * from "./eval/dense_baseline.ts";
export * from "./eval/sweep.ts";
export * from "./eval/method_results.ts";
export * from "./eval/evaluate.ts";
export * from "./eval/report.ts";
export * from "./eval/mask_rule.ts";
export * from "./eval/presence_gate.ts";
export * from "./eval/refine.ts";
export * from "./eval/episode_map.ts";
export * from "./eval/players.ts";
export * from "./eval/rule_sweep.ts";
export * from "./eval/evaluate_sweep.ts";
