/**
 * `@spars/gym/agents`: learned agents and their training algorithm (tfjs): the policy/value
 * network, `PolicyAgent` (env's `Agent` interface), PPO (losses, Adam, GAE, rollouts of a vector
 * env), the opponent pool of self-play (latest / uniform / PFSP), matches between agents, and the
 * weight files of policies and checkpoints. Kept out of the main entry point so that `@spars/gym`
 * loads without tfjs.
 *
 * @module
 */
export * from "./adam.ts";
export * from "./gae.ts";
export * from "./match.ts";
export * from "./opponent_pool.ts";
export * from "./orthogonal_init.ts";
export * from "./policy_agent.ts";
export * from "./policy_io.ts";
export * from "./policy_network.ts";
export * from "./pixel_a2c.ts";
export * from "./ppo.ts";
export * from "./ppo_minibatch.ts";
export * from "./reference_match.ts";
export * from "./rollout.ts";
export * from "./rollout_buffer.ts";
export * from "./snapshot.ts";
// Types the exports above refer to, defined in other layers (so that the API docs resolve them).
export type { SparsGymError } from "../data/errors.ts";
export type { Rng, RngState } from "../data/random.ts";
export type { Case, Labels, Vec3, Volume } from "../data/types.ts";
export type { Agent, AgentContext } from "../env/agent.ts";
export type { SparsConfig } from "../env/config.ts";
export type { AgentId, AgentInfo, GameReset, GameStep, PerAgent, SparsGame } from "../env/game.ts";
export type { StartRule, WindowGeometry } from "../env/geometry.ts";
export type { ObservationMode } from "../env/observation.ts";
export type { MapMode, ProbabilityMap } from "../env/probability_map.ts";
export type { RewardContext, RewardFunction, RewardSchemeName, TieRule } from "../env/rewards.ts";
export type { Scorer, ScoreRequest } from "../env/scorer.ts";
export type { Box, BoxArray, BoxDtype, Discrete, Space } from "../env/spaces.ts";
export type { VectorEnv, VectorReset, VectorResetArgs, VectorStep } from "../env/vector_env.ts";
