/**
 * Proximal policy optimisation (Schulman et al. 2017), the update half, readable top to bottom as
 * CleanRL's `ppo.py`: the rollout (see `rollout.ts`) fills a buffer, `computeGae` turns it into
 * advantages and returns, and {@link PpoLearner.update} runs several epochs of shuffled minibatches:
 *
 * 1. normalise the minibatch advantages (mean 0, unbiased sd 1; skipped for one sample),
 * 2. clipped surrogate: `max(-A r, -A clip(r, 1-c, 1+c))` with `r = pi_new(a|s) / pi_old(a|s)`,
 * 3. value loss `0.5 (V - R)^2` (CleanRL; `(V - R)^2` as SB3 when `valueLossHalf` is false), clipped
 *    around the old values as CleanRL when `clipValueLoss`,
 * 4. `loss = policy - entCoef * entropy + vfCoef * value`,
 * 5. gradients clipped to a global L2 norm of `maxGradNorm`, one Adam step (eps 1e-5),
 * 6. stop the epochs early when the mean approx KL of an epoch exceeds `targetKl` (if set).
 *
 * The learning rate is annealed linearly to 0 over the run when `annealLearningRate`. Logged per
 * update (means over minibatches): policy loss, value loss, entropy, approx KL
 * (`mean((r - 1) - log r)`), clip fraction (`mean(|r - 1| > c)`), gradient norm, and the explained
 * variance of the rollout's values.
 *
 * @module
 */
import { Rng, type RngState } from "../data/random.ts";
import { Adam } from "./adam.ts";
import { explainedVariance, type GaeResult } from "./gae.ts";
import type { PolicyNetwork } from "./policy_network.ts";
import { ppoMinibatchStep, type PpoSamples } from "./ppo_minibatch.ts";
import { type PpoOptions, resolvePpoOptions } from "./ppo_options.ts";
import type { RolloutBuffer } from "./rollout_buffer.ts";

// The options and the loss live in their own modules; this one stays their public entry point.
export * from "./ppo_loss.ts";
export * from "./ppo_options.ts";

/** A rollout's valid transitions, compacted, with observations already normalised for the network. */
export interface PpoBatch extends PpoSamples {
  /** Number of transitions (observations hold `size * observationLength` floats). */
  readonly size: number;
}

/** Compacts the valid entries of a rollout and its GAE result into a {@link PpoBatch}. */
export function batchFromRollout(buffer: RolloutBuffer, gae: GaeResult, network: PolicyNetwork): PpoBatch {
  const indices = buffer.validIndices(), n = indices.length, len = buffer.observationLength;
  const observations = new Float32Array(n * len);
  const pick = <T extends Float32Array | Int32Array>(src: T, dst: T) => {
    indices.forEach((i, k) => (dst[k] = src[i]));
    return dst;
  };
  indices.forEach((i, k) => observations.set(buffer.observations.subarray(i * len, (i + 1) * len), k * len));
  network.normalizeInPlace(observations);
  return {
    size: n,
    observations,
    actions: pick(buffer.actions, new Int32Array(n)),
    logProbs: pick(buffer.logProbs, new Float32Array(n)),
    values: pick(buffer.values, new Float32Array(n)),
    advantages: pick(gae.advantages, new Float32Array(n)),
    returns: pick(gae.returns, new Float32Array(n)),
  };
}

/** Statistics of one update (means over its minibatches). */
export interface PpoUpdateStats {
  /** Learning rate used. */
  readonly learningRate: number;
  /** Total loss. */
  readonly loss: number;
  /** Clipped surrogate loss. */
  readonly policyLoss: number;
  /** Value loss. */
  readonly valueLoss: number;
  /** Policy entropy (nats). */
  readonly entropy: number;
  /** Approximate KL divergence old -> new. */
  readonly approxKl: number;
  /** Share of clipped ratios. */
  readonly clipFraction: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Explained variance of the collected values w.r.t. the returns. */
  readonly explainedVariance: number;
  /** Epochs run (fewer than configured after a target-KL stop). */
  readonly epochs: number;
  /** Minibatches run. */
  readonly minibatches: number;
  /** Transitions in the batch. */
  readonly samples: number;
}

/** The optimiser side of PPO: Adam over a network, a seeded shuffler, and the update loop. */
export class PpoLearner {
  /** The network trained. */
  readonly network: PolicyNetwork;
  /** Its optimiser (state saved in checkpoints). */
  readonly optimizer: Adam;
  /** Hyper-parameters. */
  readonly options: PpoOptions;
  readonly #rng: Rng;

  /**
   * Creates the optimiser (Adam) over the network's variables.
   * @param network the learner's network
   * @param options PPO options over {@link DEFAULT_PPO_OPTIONS}
   * @param seed seed of the minibatch shuffling
   */
  constructor(network: PolicyNetwork, options: Partial<PpoOptions> = {}, seed = 0) {
    this.network = network;
    this.options = resolvePpoOptions(options);
    this.optimizer = new Adam(network.variables, {
      learningRate: this.options.learningRate,
      epsilon: this.options.adamEpsilon,
    });
    this.#rng = new Rng(seed);
  }

  /** The learning rate of update `update` (1-based) of `totalUpdates`, annealed linearly when enabled. */
  learningRateAt(update: number, totalUpdates: number): number {
    if (!this.options.annealLearningRate) return this.options.learningRate;
    return this.options.learningRate * Math.max(0, 1 - (update - 1) / Math.max(1, totalUpdates));
  }

  /** Runs the epochs of minibatch updates on one batch (see the module doc). */
  async update(batch: PpoBatch, learningRate: number): Promise<PpoUpdateStats> {
    const o = this.options;
    this.optimizer.learningRate = learningRate;
    const sums = new Float64Array(7); // loss, policy, value, entropy, kl, clipfrac, gradnorm
    let minibatches = 0, epochs = 0;
    const order = Array.from({ length: batch.size }, (_, i) => i);
    for (let epoch = 0; epoch < o.updateEpochs && batch.size > 0; epoch++) {
      epochs++;
      this.#rng.shuffle(order);
      let epochKl = 0, epochBatches = 0;
      for (let start = 0; start < batch.size; start += o.minibatchSize) {
        const idx = order.slice(start, start + o.minibatchSize);
        const s = await ppoMinibatchStep(this.network, this.optimizer, batch, idx, o);
        for (let k = 0; k < 7; k++) sums[k] += s[k];
        epochKl += s[4];
        epochBatches++;
        minibatches++;
      }
      if (o.targetKl !== null && epochKl / epochBatches > o.targetKl) break;
    }
    const mean = (k: number) => (minibatches ? sums[k] / minibatches : NaN);
    return {
      learningRate,
      loss: mean(0),
      policyLoss: mean(1),
      valueLoss: mean(2),
      entropy: mean(3),
      approxKl: mean(4),
      clipFraction: mean(5),
      gradNorm: mean(6),
      explainedVariance: explainedVariance(batch.values, batch.returns),
      epochs,
      minibatches,
      samples: batch.size,
    };
  }

  /** State of the minibatch shuffler (for checkpoints). */
  getRngState(): RngState {
    return this.#rng.getState();
  }

  /** Restores the minibatch shuffler. */
  setRngState(state: RngState): void {
    this.#rng.setState(state);
  }

  /** Frees the optimiser state (not the network). */
  dispose(): void {
    this.optimizer.dispose();
  }
}
