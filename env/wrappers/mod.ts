/**
 * Wrappers in the Gymnasium sense for single-agent envs such as `SelfPlayEnv`: each changes one
 * thing and is itself an env, so they compose; `unwrapped` is the innermost env.
 *
 * @module
 */
export { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";
export { TimeLimit } from "./time_limit.ts";
export {
  type EpisodeStatistics,
  type InfoWithEpisode,
  RecordEpisodeStatistics,
} from "./record_episode_statistics.ts";
export { TransformObservation } from "./transform_observation.ts";
export { TransformReward } from "./transform_reward.ts";
export { NormalizeObservation, RunningMeanStd } from "./normalize_observation.ts";
export { type FramePadding, FrameStack } from "./frame_stack.ts";
