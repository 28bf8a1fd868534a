/**
 * `PolicyAgent`: a {@link PolicyNetwork} behind env's `Agent` interface. It samples actions from
 * the categorical policy with its own seeded generator (state saved in checkpoints), or takes the
 * most probable action (`greedy`). `step` also returns the log-probabilities and values that PPO
 * stores in its rollout buffer.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng, type RngState } from "../data/random.ts";
import type { Agent, AgentContext } from "../env/agent.ts";
import type { OnnxRuntime } from "../models/onnx_runtime.ts";
import { OnnxPolicyForward, type PolicyForwardResult } from "./onnx_policy.ts";
import type { PolicyNetwork } from "./policy_network.ts";

/** How actions are chosen: sampled from the policy, or its most probable action. */
export type ActionMode = "sample" | "greedy";

/** What one batched policy step returns, one entry per observation. */
export interface PolicyStep {
  /** Chosen actions, 0..actions-1. */
  readonly actions: Int32Array;
  /** Log-probability of each chosen action under the current policy. */
  readonly logProbs: Float32Array;
  /** State-value estimates. */
  readonly values: Float32Array;
}

/**
 * Picks one action per row of log-probabilities `[n, k]` (row-major): a sample drawn with one
 * `rng.float()` per row by inverse CDF, or the arg-max (lowest index on ties) in `greedy` mode.
 * Returns the actions and their log-probabilities.
 */
export function chooseActions(
  logProbs: Float32Array,
  actionCount: number,
  mode: ActionMode,
  rng: Rng,
): { actions: Int32Array; logProbs: Float32Array } {
  const n = logProbs.length / actionCount;
  const actions = new Int32Array(n), chosen = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const row = logProbs.subarray(i * actionCount, (i + 1) * actionCount);
    let a = 0;
    if (mode === "greedy") {
      for (let k = 1; k < actionCount; k++) if (row[k] > row[a]) a = k;
    } else {
      const u = rng.float();
      let cumulative = 0;
      a = actionCount - 1; // rounding can leave the total a hair below u: fall back to the last action
      for (let k = 0; k < actionCount; k++) {
        cumulative += Math.exp(row[k]);
        if (u < cumulative) {
          a = k;
          break;
        }
      }
    }
    actions[i] = a;
    chosen[i] = row[a];
  }
  return { actions, logProbs: chosen };
}

/** A learned agent. The network is shared, not copied: a frozen opponent needs its own network. */
export class PolicyAgent implements Agent {
  /** Name for reports. */
  readonly name: string;
  /** The network (owned by the caller). */
  readonly network: PolicyNetwork;
  /** How actions are chosen. */
  mode: ActionMode;
  readonly #rng: Rng;
  readonly #onnx?: OnnxPolicyForward;

  /**
   * Wraps a network as an agent.
   * @param network the policy
   * @param options `mode` (default `sample`), `seed` of the sampling generator (default 0), `name`,
   *   `runtime`: run the forward passes on this onnxruntime (the network exported, re-exported
   *   whenever its weights change; equal to tfjs within 1e-4) instead of tfjs, or through this
   *   {@link OnnxPolicyForward} of the same network (one export shared by several agents)
   * @throws {InvalidArgumentError} when a shared forward wraps another network
   */
  constructor(
    network: PolicyNetwork,
    options: { mode?: ActionMode; seed?: number; name?: string; runtime?: OnnxRuntime | OnnxPolicyForward } =
      {},
  ) {
    this.network = network;
    const runtime = options.runtime;
    if (runtime instanceof OnnxPolicyForward && runtime.network !== network) {
      throw new InvalidArgumentError(
        "runtime",
        "is the ONNX forward of another network",
        "this agent's network's",
      );
    }
    if (runtime) {
      this.#onnx = runtime instanceof OnnxPolicyForward ? runtime : new OnnxPolicyForward(network, runtime);
    }
    this.mode = options.mode ?? "sample";
    if (this.mode !== "sample" && this.mode !== "greedy") {
      throw new InvalidArgumentError("mode", `is '${this.mode}'`, "'sample' or 'greedy'");
    }
    this.#rng = new Rng(options.seed ?? 0);
    this.name = options.name ?? `policy(${this.mode})`;
  }

  /** Actions, their log-probabilities and the values of a batch of observations. */
  async step(observations: readonly Float32Array[]): Promise<PolicyStep> {
    if (!observations.length) {
      return { actions: new Int32Array(0), logProbs: new Float32Array(0), values: new Float32Array(0) };
    }
    const { logProbs, values } = await this.#forward(observations);
    const chosen = chooseActions(logProbs, this.network.architecture.actions, this.mode, this.#rng);
    return { actions: chosen.actions, logProbs: chosen.logProbs, values };
  }

  /** One action per observation (the `Agent` interface; contexts are not used). */
  async act(observations: readonly Float32Array[], _contexts?: readonly AgentContext[]): Promise<Int32Array> {
    return (await this.step(observations)).actions;
  }

  /** State values of a batch of observations. */
  async value(observations: readonly Float32Array[]): Promise<Float32Array> {
    if (!observations.length) return new Float32Array(0);
    return (await this.#forward(observations)).values;
  }

  /** True when the forward passes run on onnxruntime (the `runtime` option). */
  get onOnnx(): boolean {
    return this.#onnx !== undefined;
  }

  /** Frees the onnxruntime session, if any (the next forward pass exports again; shared: for all). */
  async release(): Promise<void> {
    await this.#onnx?.release();
  }

  /** Log-probabilities and values, on onnxruntime or tfjs. */
  async #forward(observations: readonly Float32Array[]): Promise<PolicyForwardResult> {
    if (this.#onnx) return await this.#onnx.forward(observations);
    const [logProbTensor, valueTensor] = tf.tidy(() => {
      const out = this.network.forward(this.network.observationTensor(observations));
      return [tf.logSoftmax(out.logits), out.values];
    });
    try {
      return {
        logProbs: await logProbTensor.data() as Float32Array,
        values: new Float32Array(await valueTensor.data() as Float32Array),
      };
    } finally {
      tf.dispose([logProbTensor, valueTensor]);
    }
  }

  /** State of the sampling generator (for checkpoints). */
  getRngState(): RngState {
    return this.#rng.getState();
  }

  /** Restores the sampling generator. */
  setRngState(state: RngState): void {
    this.#rng.setState(state);
  }
}
