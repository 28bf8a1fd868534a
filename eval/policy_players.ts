/**
 * A trained policy network as evaluation players ({@link PolicyPlayers}): one network, a fresh
 * seeded {@link PolicyAgent} per (case, side, mode). This module loads tfjs (through agents/); the
 * network-free evaluation (evaluate.ts, players.ts) only sees the `PolicyPlayers` interface.
 *
 * @module
 */
import { PolicyAgent } from "../agents/policy_agent.ts";
import type { PolicyNetwork } from "../agents/policy_network.ts";
import type { PolicyActionMode, PolicyPlayers } from "./players.ts";

/** {@link PolicyPlayers} backed by one network (the network is shared, not copied, and not owned). */
export class NetworkPlayers implements PolicyPlayers {
  /** Name for reports. */
  readonly name: string;
  /** The policy network. */
  readonly network: PolicyNetwork;

  /**
   * Wraps a network.
   * @param network the trained policy
   * @param name name for reports (default `ppo`)
   */
  constructor(network: PolicyNetwork, name = "ppo") {
    this.network = network;
    this.name = name;
  }

  /** A new agent acting in `mode`, its sampling generator seeded with `seed`. */
  player(mode: PolicyActionMode, seed: number): PolicyAgent {
    return new PolicyAgent(this.network, {
      mode,
      seed,
      name: `${this.name} (${mode === "greedy" ? "argmax" : "sampled"})`,
    });
  }
}
