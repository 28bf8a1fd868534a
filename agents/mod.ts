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
export * from "./ppo.ts";
export * from "./reference_match.ts";
export * from "./rollout.ts";
export * from "./rollout_buffer.ts";
export * from "./snapshot.ts";
