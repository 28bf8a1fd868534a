/**
 * A {@link PolicyNetwork}'s forward pass on onnxruntime (the fastest CPU path for the small batches
 * of rollouts: `deno task bench:torch`), kept in step with the network's weights: before each call it
 * checks whether any variable was assigned since the last export (tfjs gives every assignment, by
 * the optimiser or `setWeights`, a new data id) and re-exports if so, so it never runs stale
 * weights. Outputs equal the tfjs forward within 1e-4 (tests/policy_onnx_test.ts).
 *
 * @module
 */
import type { DataId } from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import type { OnnxRuntime, OnnxSession } from "../models/onnx_runtime.ts";
import type { PolicyNetwork } from "./policy_network.ts";
import {
  exportPolicyToOnnx,
  POLICY_ONNX_INPUT,
  POLICY_ONNX_LOGITS,
  POLICY_ONNX_VALUE,
} from "./policy_onnx.ts";

/** Log-probabilities and values of a batch. */
export interface PolicyForwardResult {
  /** Log-softmax of the logits, [n, actions] row-major. */
  readonly logProbs: Float32Array;
  /** State values, [n]. */
  readonly values: Float32Array;
}

/** Log-softmax of each row of `logits` ([n, k] row-major), in place; returns `logits`. */
export function logSoftmaxRows(logits: Float32Array, k: number): Float32Array {
  for (let r = 0; r < logits.length; r += k) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) if (logits[r + j] > max) max = logits[r + j];
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits[r + j] - max);
    const shift = max + Math.log(sum);
    for (let j = 0; j < k; j++) logits[r + j] -= shift;
  }
  return logits;
}

/** The forward pass of one network on onnxruntime (one session, re-exported when weights change). */
export class OnnxPolicyForward {
  readonly #network: PolicyNetwork;
  readonly #runtime: OnnxRuntime;
  #session?: OnnxSession;
  #exportedIds: DataId[] = [];
  #input = new Float32Array(0);
  /** The last call's completion: calls run one after another (they share `#input` and the session). */
  #queue: Promise<unknown> = Promise.resolve();
  /** The network whose forward pass this runs. */
  get network(): PolicyNetwork {
    return this.#network;
  }

  /** Exports taken so far (1 after the first call; +1 after each change of the weights). */
  exports = 0;

  /**
   * Prepares the forward pass of `network`; the first {@link forward} exports it.
   * @param network the policy (read, never modified)
   * @param runtime a loaded onnxruntime (`loadOnnxRuntime`)
   */
  constructor(network: PolicyNetwork, runtime: OnnxRuntime) {
    this.#network = network;
    this.#runtime = runtime;
  }

  /**
   * Log-probabilities and values of `observations` (each `network.observationLength` floats, z,y,x,c,
   * raw: the intensity window is applied here as in the tfjs path).
   * @throws {InvalidArgumentError} when an observation has the wrong length (as the tfjs path)
   */
  forward(observations: readonly Float32Array[]): Promise<PolicyForwardResult> {
    // Agents sharing this forward (evaluation players) may call it concurrently.
    const result = this.#queue.then(() => this.#forward(observations));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #forward(observations: readonly Float32Array[]): Promise<PolicyForwardResult> {
    const net = this.#network, a = net.architecture, n = observations.length, len = net.observationLength;
    const session = await this.#current();
    if (this.#input.length < n * len) this.#input = new Float32Array(n * len);
    const input = this.#input.subarray(0, n * len);
    observations.forEach((o, i) => {
      if (o.length !== len) {
        throw new InvalidArgumentError(`observations[${i}]`, `has ${o.length} values`, `${len}`);
      }
      input.set(o, i * len);
    });
    net.normalizeInPlace(input);
    const out = await session.run({
      [POLICY_ONNX_INPUT]: this.#runtime.tensor(input, [n, ...a.observationShape, a.channels]),
    });
    return {
      logProbs: logSoftmaxRows(Float32Array.from(out[POLICY_ONNX_LOGITS].data as Float32Array), a.actions),
      values: Float32Array.from(out[POLICY_ONNX_VALUE].data as Float32Array),
    };
  }

  /** Frees the session (a later {@link forward} exports again). */
  async release(): Promise<void> {
    const session = this.#session;
    this.#session = undefined;
    this.#exportedIds = [];
    await session?.release();
  }

  async #current(): Promise<OnnxSession> {
    const ids = this.#network.variables.map((v) => v.dataId);
    if (this.#session && ids.every((id, i) => id === this.#exportedIds[i])) return this.#session;
    await this.release();
    // One thread: rollout batches are a few observations, below what parallel kernels repay.
    this.#session = await this.#runtime.createSession(await exportPolicyToOnnx(this.#network), {
      intraOpThreads: 1,
    });
    this.#exportedIds = ids;
    this.exports++;
    return this.#session;
  }
}
