/**
 * `@spars/gym/agents`: learned agents and their training algorithm (tfjs): the policy/value
 * network, `PolicyAgent` (env's `Agent` interface), PPO (losses, Adam, GAE, rollouts of a vector
 * env), the opponent pool of self-play (latest / uniform / PFSP), matches between agents, and the
 * weight files of policies and checkpoints. Kept out of the main entry point so that `@spars/gym`
 * loads without tfjs.
 *
 * @module
 */
export { Adam, type AdamOptions, type AdamState } from "./adam.ts";
export { computeGae, explainedVariance, type GaeInputs, type GaeResult } from "./gae.ts";
export { type MatchResult, playMatch } from "./match.ts";
export {
  DEFAULT_POOL_OPTIONS,
  OPPONENT_RULES,
  OpponentPool,
  type OpponentPoolOptions,
  type OpponentRule,
  type PoolSnapshot,
  resolvePoolOptions,
} from "./opponent_pool.ts";
export { type ActionMode, PolicyAgent, type PolicyStep } from "./policy_agent.ts";
export { logSoftmaxRows, OnnxPolicyForward, type PolicyForwardResult } from "./onnx_policy.ts";
export {
  exportPolicyToOnnx,
  POLICY_ONNX_INPUT,
  POLICY_ONNX_LOGITS,
  POLICY_ONNX_VALUE,
} from "./policy_onnx.ts";
export {
  loadPolicy,
  loadPolicyAgent,
  POLICY_FORMAT_VERSION,
  PolicyFileError,
  type PolicyMeta,
  savePolicy,
} from "./policy_io.ts";
export {
  DEFAULT_POLICY_ARCHITECTURE,
  type PolicyArchitecture,
  PolicyNetwork,
  type PolicyOutputs,
  resolvePolicyArchitecture,
} from "./policy_network.ts";
export {
  DEFAULT_PIXEL_A2C_OPTIONS,
  PixelA2cLearner,
  pixelA2cLoss,
  type PixelA2cOptions,
  type PixelEpisode,
  type PixelLossInputs,
  type PixelLossTerms,
  type PixelUpdateStats,
  resolvePixelA2cOptions,
} from "./pixel_a2c.ts";
export { batchFromRollout, type PpoBatch, PpoLearner, type PpoUpdateStats } from "./ppo.ts";
export { ppoLoss, type PpoLossInputs, type PpoLossTerms } from "./ppo_loss.ts";
export { DEFAULT_PPO_OPTIONS, PAPER_PPO_OPTIONS, type PpoOptions, resolvePpoOptions } from "./ppo_options.ts";
export { playReferenceMatch, type ReferenceMatchResult } from "./reference_match.ts";
export {
  type EpisodeRecord,
  type RolloutObserver,
  type RolloutOptions,
  type RolloutStats,
  SelfPlayRollout,
} from "./rollout.ts";
export { RolloutBuffer, type Transition } from "./rollout_buffer.ts";
export {
  decodeWeights,
  encodeWeights,
  type NamedWeight,
  readWeightsFile,
  WeightsFileError,
  writeWeightsFile,
} from "./snapshot.ts";

export type { PpoSamples } from "./ppo_minibatch.ts";

// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { Agent, AgentContext } from "../env/agent.ts";
export type { AgentId, AgentInfo, GameReset, GameStep, PerAgent, SparsGame } from "../env/game.ts";
export type { Box, BoxArray, BoxDtype, Discrete, Space } from "../env/spaces.ts";
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { MapMode, ProbabilityMap } from "../env/probability_map.ts";
export type { ObservationMode } from "../env/observation.ts";
export type { RewardContext, RewardFunction, RewardSchemeName, TieRule } from "../env/rewards.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
export type { SparsConfig } from "../env/config.ts";
export type { SparsGymError } from "../data/errors.ts";
export type { StartRule, WindowGeometry } from "../env/geometry.ts";
export type { VectorEnv, VectorReset, VectorResetArgs, VectorStep } from "../env/vector_env.ts";
