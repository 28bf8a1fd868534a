/**
 * Who plays the two sides in the evaluation of a learned policy. Two identical deterministic players
 * (one argmax policy on both sides, from one start) walk the same windows every step, so one
 * trajectory is counted twice; by default the sides are therefore distinct players:
 * - side a: the policy in the row's mode (`agents`: sampled actions; `agents-argmax`: its most
 *   probable action), seeded per case;
 * - side b, by `pairing`: `sampled` (default) the same policy sampling with its OWN seed; `random`
 *   or `greedy` a baseline agent; `agent` a given agent (e.g. a frozen pool member); `argmax-twins`
 *   side a's own player object on both sides (for `agents-argmax`: argmax against argmax, the old
 *   behaviour; only when asked).
 *
 * A policy is given either as {@link PolicyPlayers} (a factory of players in each mode: what a run
 * folder's policy network gives) or as fixed agents (an `AgentPair`), used as given by the `agents`
 * row (`pairing` other than `sampled` replaces side b of a single fixed agent).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Agent } from "../env/agent.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import type { AgentPair } from "./segment.ts";

/** How a policy chooses actions: sampled from its distribution, or the most probable (argmax). */
export type PolicyActionMode = "sample" | "greedy";

/** What plays side b against the policy (see the module doc). */
export type Pairing = "sampled" | "random" | "greedy" | "agent" | "argmax-twins";

/** Every pairing, default first. */
export const PAIRINGS: readonly Pairing[] = ["sampled", "random", "greedy", "agent", "argmax-twins"];

/** A learned policy that can make players in either mode (one network, many seeded players). */
export interface PolicyPlayers {
  /** Name for reports. */
  readonly name: string;
  /**
   * A new player acting in `mode`; `seed` seeds its sampling generator.
   * @param mode `sample` or `greedy` (argmax)
   * @param seed seed of the player's generator
   */
  player(mode: PolicyActionMode, seed: number): Agent;
}

/** True when `policy` is a {@link PolicyPlayers} factory (it has `player()` and no `act()`). */
export function isPolicyPlayers(policy: unknown): policy is PolicyPlayers {
  const p = policy as { player?: unknown; act?: unknown } | undefined;
  return typeof p?.player === "function" && typeof p?.act !== "function";
}

/** The policy's action mode of a policy row. */
export function rowMode(method: "agents" | "agents-argmax"): PolicyActionMode {
  return method === "agents-argmax" ? "greedy" : "sample";
}

/** A 32-bit seed from a base seed and strings (FNV-1a over the parts). */
export function mixSeed(seed: number, ...parts: string[]): number {
  let h = (2166136261 ^ (Math.trunc(seed) >>> 0)) >>> 0;
  for (const part of parts) {
    for (let i = 0; i < part.length; i++) h = Math.imul(h ^ part.charCodeAt(i), 16777619);
    h = Math.imul(h ^ 0x2f, 16777619);
  }
  return h >>> 0;
}

/** Options of {@link policyPlayers}. */
export interface PairingOptions {
  /** What plays side b (default `sampled`). */
  readonly pairing?: Pairing;
  /** Side b for pairing `agent`. */
  readonly opponent?: Agent;
  /** Base seed (players are seeded from it, the case id, the row and the side). */
  readonly seed: number;
  /** Case id (players are seeded per case, so results do not depend on the case order). */
  readonly caseId: string;
}

/**
 * The two players of a policy row on one case (see the module doc).
 * @throws {InvalidArgumentError} naming `pairing` for an unknown pairing, `agent` without
 *   `opponent`, or `agents-argmax` with fixed agents (they have no argmax mode to choose)
 */
export function policyPlayers(
  method: "agents" | "agents-argmax",
  policy: PolicyPlayers | AgentPair,
  options: PairingOptions,
): AgentPair {
  const pairing = options.pairing ?? "sampled";
  if (!PAIRINGS.includes(pairing)) {
    throw new InvalidArgumentError("pairing", `is '${pairing}'`, PAIRINGS.join(" | "));
  }
  if (pairing === "agent" && typeof options.opponent?.act !== "function") {
    throw new InvalidArgumentError("pairing", "is 'agent' but no opponent agent was given", "an opponent");
  }
  const seedOf = (side: string) => mixSeed(options.seed, options.caseId, method, side);
  const sideB = (): Agent | undefined =>
    pairing === "random"
      ? new RandomAgent(seedOf("b"))
      : pairing === "greedy"
      ? new GreedyAgent(seedOf("b"))
      : pairing === "agent"
      ? options.opponent
      : undefined;
  if (!isPolicyPlayers(policy)) {
    if (method !== "agents") {
      throw new InvalidArgumentError(
        "methods",
        `include '${method}' but the policy is fixed agents`,
        "a policy that can act in argmax mode (PolicyPlayers)",
      );
    }
    const b = sideB();
    return b && "act" in policy ? { a: policy, b } : policy;
  }
  const a = policy.player(rowMode(method), seedOf("a"));
  if (pairing === "argmax-twins") return { a, b: a };
  return { a, b: sideB() ?? policy.player("sample", seedOf("b")) };
}
