/**
 * The learned agent of the patch game and its masked PPO update.
 *
 * Network: any {@link PatchPolicyModel} over the whole-image observation `[oz, oy, ox, 2]`
 * (intensity with taken patches zeroed, taken mask; already in [0, 1]) with `n + 1` logits (n
 * patches + terminate): the fully convolutional `PatchPolicyNetwork` (`agents/patch_network.ts`,
 * one logit per patch from that patch's features; `train:patch`'s default) or the package's dense
 * `PolicyNetwork` (`intensityWindow: null`; `train:patch --network dense`).
 *
 * Masking: illegal actions (taken patches, `info.action_mask[k] = 0`) get `MASKED_LOGIT` added to
 * their logit, both when acting and inside the PPO loss, so their probability is exactly 0 in
 * float32 and the ratio and entropy are those of the masked distribution. A large finite value
 * instead of -inf: `exp(-inf) * -inf` is NaN in the entropy term, `0 * -1e9` is 0.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { PatchAgent, PatchAgentContext } from "../env/patch/agents.ts";
import type { Adam } from "./adam.ts";
import { explainedVariance } from "./gae.ts";
import { type ActionMode, chooseActions } from "./policy_agent.ts";
import type { NamedWeight } from "./snapshot.ts";
import { ppoMinibatchStep, type PpoSamples, type TrainablePolicy } from "./ppo_minibatch.ts";
import type { PpoOptions } from "./ppo_options.ts";

/** Added to the logit of an illegal action. */
export const MASKED_LOGIT = -1e9;

/** Packs action masks (each `k` entries, 1 = legal) into an additive logit bias `[n * k]`. */
export function maskBias(masks: readonly Uint8Array[], k: number): Float32Array {
  const out = new Float32Array(masks.length * k);
  masks.forEach((m, i) => {
    if (m.length !== k) throw new InvalidArgumentError(`masks[${i}]`, `has ${m.length} entries`, `${k}`);
    for (let j = 0; j < k; j++) out[i * k + j] = m[j] ? 0 : MASKED_LOGIT;
  });
  return out;
}

/**
 * A network the patch game's learned agent can play and train: a {@link TrainablePolicy} that also
 * packs observations, copies its weights (snapshots of the opponent pool) and frees them.
 */
export interface PatchPolicyModel extends TrainablePolicy {
  /** Observations (each `observationLength` floats, z,y,x,c) as one `[n, z, y, x, c]` tensor. */
  observationTensor(observations: readonly Float32Array[]): tf.Tensor5D;
  /** A copy of the weights. */
  getWeights(): Promise<NamedWeight[]>;
  /** Overwrites the weights (same names and shapes). */
  setWeights(weights: readonly NamedWeight[]): void;
  /** Frees the variables. */
  dispose(): void;
}

/** Actions, log-probabilities (of the masked policy) and values of a batch. */
export interface MaskedPolicyStep {
  /** Chosen actions (always legal when the mask allows any action). */
  readonly actions: Int32Array;
  /** Their log-probabilities. */
  readonly logProbs: Float32Array;
  /** State values. */
  readonly values: Float32Array;
}

/** A {@link PatchPolicyModel} playing the patch game with masked logits. */
export class PatchPolicyAgent implements PatchAgent {
  /** Name for reports. */
  readonly name: string;
  /** The network (owned by the caller). */
  readonly network: PatchPolicyModel;
  /** `sample` or `greedy` (argmax). */
  mode: ActionMode;
  readonly #rng: Rng;

  /**
   * Wraps a network.
   * @param network policy with `actions = n + 1`
   * @param options `mode` (default sample), `seed` (default 0), `name`
   */
  constructor(network: PatchPolicyModel, options: { mode?: ActionMode; seed?: number; name?: string } = {}) {
    this.network = network;
    this.mode = options.mode ?? "sample";
    this.#rng = new Rng(options.seed ?? 0);
    this.name = options.name ?? `patch-policy(${this.mode})`;
  }

  /** Masked actions, log-probabilities and values. */
  async step(observations: readonly Float32Array[], masks: readonly Uint8Array[]): Promise<MaskedPolicyStep> {
    const k = this.network.architecture.actions;
    const bias = maskBias(masks, k);
    const [lp, v] = tf.tidy(() => {
      const out = this.network.forward(this.network.observationTensor(observations));
      const logits = tf.add(out.logits, tf.tensor2d(bias, [observations.length, k]));
      return [tf.logSoftmax(logits), out.values];
    });
    try {
      const logProbs = await lp.data() as Float32Array;
      const values = new Float32Array(await v.data() as Float32Array);
      const chosen = chooseActions(logProbs, k, this.mode, this.#rng);
      return { actions: chosen.actions, logProbs: chosen.logProbs, values };
    } finally {
      tf.dispose([lp, v]);
    }
  }

  /** One action per observation, masked by each context's action mask. */
  async act(
    observations: readonly Float32Array[],
    contexts: readonly PatchAgentContext[],
  ): Promise<Int32Array> {
    return (await this.step(observations, contexts.map((c) => c.actionMask))).actions;
  }
}

/** One PPO batch with its action masks. */
export interface MaskedPpoBatch extends PpoSamples {
  /** Transitions. */
  readonly size: number;
  /** Observations `size * observationLength` (in [0, 1]; no window applied). */
  readonly observations: Float32Array;
  /** Masks `size * actions` (1 = legal). */
  readonly masks: Uint8Array;
  /** Actions. */
  readonly actions: Int32Array;
  /** Behaviour log-probabilities. */
  readonly logProbs: Float32Array;
  /** Values at collection. */
  readonly values: Float32Array;
  /** Advantages. */
  readonly advantages: Float32Array;
  /** Value targets. */
  readonly returns: Float32Array;
}

/** Means of one update. */
export interface MaskedPpoStats {
  /** Policy loss. */
  readonly policyLoss: number;
  /** Value loss. */
  readonly valueLoss: number;
  /** Entropy of the masked policy (nats). */
  readonly entropy: number;
  /** Approximate KL. */
  readonly approxKl: number;
  /** Clip fraction. */
  readonly clipFraction: number;
  /** Gradient norm before clipping. */
  readonly gradNorm: number;
  /** Explained variance. */
  readonly explainedVariance: number;
}

/**
 * The PPO update of `agents/ppo.ts` (same loss via `ppoLoss`, global-norm clip, Adam) with the
 * masks added to the logits. Shuffling by `rng`.
 */
export async function maskedPpoUpdate(
  network: TrainablePolicy,
  optimizer: Adam,
  batch: MaskedPpoBatch,
  options: PpoOptions,
  learningRate: number,
  rng: Rng,
): Promise<MaskedPpoStats> {
  const k = network.architecture.actions;
  optimizer.learningRate = learningRate;
  const sums = new Float64Array(6);
  let count = 0;
  const order = Array.from({ length: batch.size }, (_, i) => i);
  for (let epoch = 0; epoch < options.updateEpochs; epoch++) {
    rng.shuffle(order);
    for (let start = 0; start < batch.size; start += options.minibatchSize) {
      const idx = order.slice(start, start + options.minibatchSize);
      const bias = new Float32Array(idx.length * k);
      idx.forEach((i, j) => {
        for (let a = 0; a < k; a++) bias[j * k + a] = batch.masks[i * k + a] ? 0 : MASKED_LOGIT;
      });
      const s = await ppoMinibatchStep(network, optimizer, batch, idx, options, bias);
      for (let j = 0; j < 6; j++) sums[j] += s[j + 1]; // without the total loss
      count++;
    }
  }
  const mean = (j: number) => (count ? sums[j] / count : NaN);
  return {
    policyLoss: mean(0),
    valueLoss: mean(1),
    entropy: mean(2),
    approxKl: mean(3),
    clipFraction: mean(4),
    gradNorm: mean(5),
    explainedVariance: explainedVariance(batch.values, batch.returns),
  };
}
