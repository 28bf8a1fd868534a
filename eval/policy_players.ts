/**
 * A trained policy network as evaluation players ({@link PolicyPlayers}): one network, a fresh
 * seeded {@link PolicyAgent} per (case, side, mode). This module loads tfjs (through agents/); the
 * network-free evaluation (evaluate.ts, players.ts) only sees the `PolicyPlayers` interface.
 *
 * @module
 */
import { OnnxPolicyForward } from "../agents/onnx_policy.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import type { PolicyNetwork } from "../agents/policy_network.ts";
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import type { PolicyActionMode, PolicyPlayers } from "./players.ts";

/** {@link PolicyPlayers} backed by one network (the network is shared, not copied, and not owned). */
export class NetworkPlayers implements PolicyPlayers {
  /** Name for reports. */
  readonly name: string;
  /** The policy network. */
  readonly network: PolicyNetwork;

  readonly #onnx?: OnnxPolicyForward;

  /**
   * Wraps a network.
   * @param network the trained policy
   * @param name name for reports (default `ppo`)
   * @param runtime run every player's forward passes on this onnxruntime (one export shared by all
   *   players; equal to tfjs within 1e-4); absent: tfjs
   */
  constructor(network: PolicyNetwork, name = "ppo", runtime?: OnnxRuntime) {
    this.network = network;
    this.name = name;
    if (runtime) this.#onnx = new OnnxPolicyForward(network, runtime);
  }

  /** A new agent acting in `mode`, its sampling generator seeded with `seed`. */
  player(mode: PolicyActionMode, seed: number): PolicyAgent {
    return new PolicyAgent(this.network, {
      mode,
      seed,
      name: `${this.name} (${mode === "greedy" ? "argmax" : "sampled"})`,
      runtime: this.#onnx,
    });
  }

  /** True when the players' forward passes run on onnxruntime. */
  get onOnnx(): boolean {
    return this.#onnx !== undefined;
  }

  /** Frees the onnxruntime session, if any (not the network). */
  async dispose(): Promise<void> {
    await this.#onnx?.release();
  }
}
