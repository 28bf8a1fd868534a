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
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng, type RngState } from "../data/random.ts";
import { Adam } from "./adam.ts";
import { explainedVariance, type GaeResult } from "./gae.ts";
import type { PolicyNetwork } from "./policy_network.ts";
import type { RolloutBuffer } from "./rollout_buffer.ts";

/** Every PPO hyper-parameter (CleanRL's names and defaults unless stated). */
export interface PpoOptions {
  /** Adam step size. Default 3e-4. */
  readonly learningRate: number;
  /** Linear decay of the learning rate to 0 over the run (CleanRL: true; SB3: false). Default true. */
  readonly annealLearningRate: boolean;
  /** Env steps per game per rollout (SB3 `n_steps`; the paper: 32). Default 32. */
  readonly numSteps: number;
  /** Transitions per minibatch (SB3 `batch_size`; the paper: 8). Default 64. */
  readonly minibatchSize: number;
  /** Passes over each rollout (SB3 `n_epochs`; the paper: 1). Default 4. */
  readonly updateEpochs: number;
  /** Discount. Default 0.99. */
  readonly gamma: number;
  /** GAE lambda. Default 0.95. */
  readonly gaeLambda: number;
  /** Normalise advantages per minibatch. Default true. */
  readonly normalizeAdvantages: boolean;
  /** Surrogate clipping coefficient. Default 0.2. */
  readonly clipCoef: number;
  /** Clip the value loss around the old values with `clipCoef` (CleanRL: true; SB3: false). Default true. */
  readonly clipValueLoss: boolean;
  /** Entropy bonus coefficient (CleanRL 0.01; SB3 and the paper 0). Default 0.01. */
  readonly entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  readonly vfCoef: number;
  /**
   * The value loss is `0.5 * mean((V - R)^2)` before `vfCoef` (CleanRL: true, so vfCoef 0.5 weighs
   * the squared error by 0.25) or the plain mean squared error (SB3's `F.mse_loss`: false, so vf_coef
   * 0.5 weighs it by 0.5). Default true.
   */
  readonly valueLossHalf: boolean;
  /** Global gradient-norm clip. Default 0.5. */
  readonly maxGradNorm: number;
  /** Early stop of the epochs above this mean approx KL; null disables. Default null. */
  readonly targetKl: number | null;
  /** Adam epsilon. Default 1e-5. */
  readonly adamEpsilon: number;
}

/** The defaults (see each field). */
export const DEFAULT_PPO_OPTIONS: PpoOptions = {
  learningRate: 3e-4,
  annealLearningRate: true,
  numSteps: 32,
  minibatchSize: 64,
  updateEpochs: 4,
  gamma: 0.99,
  gaeLambda: 0.95,
  normalizeAdvantages: true,
  clipCoef: 0.2,
  clipValueLoss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  valueLossHalf: true,
  maxGradNorm: 0.5,
  targetKl: null,
  adamEpsilon: 1e-5,
};

/**
 * The SPARS reference's settings: SB3 PPO defaults (constant learning rate, no value clipping, no
 * entropy bonus, vf_coef 0.5 on the plain mean squared error) with n_steps 32, batch 8, 1 epoch.
 */
export const PAPER_PPO_OPTIONS: PpoOptions = {
  ...DEFAULT_PPO_OPTIONS,
  annealLearningRate: false,
  numSteps: 32,
  minibatchSize: 8,
  updateEpochs: 1,
  clipValueLoss: false,
  valueLossHalf: false,
  entCoef: 0,
};

/**
 * Merges options over the defaults and validates them.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolvePpoOptions(options: Partial<PpoOptions> = {}): PpoOptions {
  const o = { ...DEFAULT_PPO_OPTIONS, ...options };
  const checks: [keyof PpoOptions, boolean, string][] = [
    ["learningRate", o.learningRate >= 0 && Number.isFinite(o.learningRate), "a finite number >= 0"],
    ["numSteps", Number.isInteger(o.numSteps) && o.numSteps >= 1, "an integer >= 1"],
    ["minibatchSize", Number.isInteger(o.minibatchSize) && o.minibatchSize >= 1, "an integer >= 1"],
    ["updateEpochs", Number.isInteger(o.updateEpochs) && o.updateEpochs >= 1, "an integer >= 1"],
    ["gamma", o.gamma >= 0 && o.gamma <= 1, "a value in [0, 1]"],
    ["gaeLambda", o.gaeLambda >= 0 && o.gaeLambda <= 1, "a value in [0, 1]"],
    ["clipCoef", o.clipCoef > 0 && Number.isFinite(o.clipCoef), "a finite number > 0"],
    ["entCoef", Number.isFinite(o.entCoef), "a finite number"],
    ["vfCoef", o.vfCoef >= 0 && Number.isFinite(o.vfCoef), "a finite number >= 0"],
    ["valueLossHalf", typeof o.valueLossHalf === "boolean", "true or false"],
    ["maxGradNorm", o.maxGradNorm > 0, "a number > 0 (Infinity disables clipping)"],
    ["targetKl", o.targetKl === null || o.targetKl > 0, "null or a number > 0"],
    ["adamEpsilon", o.adamEpsilon > 0, "a number > 0"],
  ];
  for (const [name, ok, expected] of checks) {
    if (!ok) throw new InvalidArgumentError(name, `is ${o[name]}`, expected);
  }
  return o;
}

/** Tensors of one minibatch for {@link ppoLoss} (all 1-D of length n except `logits` [n, k]). */
export interface PpoLossInputs {
  /** Current policy logits. */
  readonly logits: tf.Tensor2D;
  /** Current values. */
  readonly values: tf.Tensor1D;
  /** Actions taken (int32). */
  readonly actions: tf.Tensor1D;
  /** Their log-probabilities under the behaviour policy. */
  readonly oldLogProbs: tf.Tensor1D;
  /** Values at collection time. */
  readonly oldValues: tf.Tensor1D;
  /** GAE advantages (not yet normalised). */
  readonly advantages: tf.Tensor1D;
  /** Value targets. */
  readonly returns: tf.Tensor1D;
}

/** The loss and its parts, as scalars. */
export interface PpoLossTerms {
  /** `policyLoss - entCoef * entropy + vfCoef * valueLoss`. */
  readonly loss: tf.Scalar;
  /** Clipped surrogate loss. */
  readonly policyLoss: tf.Scalar;
  /** (Clipped) value loss, with CleanRL's factor 0.5 when `valueLossHalf`. */
  readonly valueLoss: tf.Scalar;
  /** Mean entropy of the current policy. */
  readonly entropy: tf.Scalar;
  /** `mean((r - 1) - log r)`. */
  readonly approxKl: tf.Scalar;
  /** Share of samples with `|r - 1| > clipCoef`. */
  readonly clipFraction: tf.Scalar;
}

/**
 * The PPO loss of one minibatch (steps 1-4 of the module doc). Call inside `tf.tidy` (or a
 * gradient function).
 */
export function ppoLoss(
  x: PpoLossInputs,
  o: Pick<
    PpoOptions,
    "clipCoef" | "clipValueLoss" | "entCoef" | "vfCoef" | "valueLossHalf" | "normalizeAdvantages"
  >,
): PpoLossTerms {
  const n = x.actions.shape[0];
  const logProbAll = tf.logSoftmax(x.logits);
  const newLogProbs = tf.sum(tf.mul(logProbAll, tf.oneHot(x.actions, x.logits.shape[1])), 1);
  const logRatio = tf.sub(newLogProbs, x.oldLogProbs);
  const ratio = tf.exp(logRatio);
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFraction = tf.mean(
    tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), o.clipCoef), "float32"),
  ) as tf.Scalar;

  let advantages: tf.Tensor1D = x.advantages;
  if (o.normalizeAdvantages && n > 1) {
    const mean = tf.mean(advantages);
    const sd = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(advantages, mean))), n - 1));
    advantages = tf.div(tf.sub(advantages, mean), tf.add(sd, 1e-8));
  }
  const unclipped = tf.mul(tf.neg(advantages), ratio);
  const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - o.clipCoef, 1 + o.clipCoef));
  const policyLoss = tf.mean(tf.maximum(unclipped, clipped)) as tf.Scalar;

  let valueLoss: tf.Scalar;
  const half = o.valueLossHalf ? 0.5 : 1;
  const valueError = tf.square(tf.sub(x.values, x.returns));
  if (o.clipValueLoss) {
    const valueClipped = tf.add(
      x.oldValues,
      tf.clipByValue(tf.sub(x.values, x.oldValues), -o.clipCoef, o.clipCoef),
    );
    const clippedError = tf.square(tf.sub(valueClipped, x.returns));
    valueLoss = tf.mul(half, tf.mean(tf.maximum(valueError, clippedError))) as tf.Scalar;
  } else {
    valueLoss = tf.mul(half, tf.mean(valueError)) as tf.Scalar;
  }

  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logProbAll), logProbAll), 1))) as tf.Scalar;
  const loss = tf.add(
    tf.sub(policyLoss, tf.mul(o.entCoef, entropy)),
    tf.mul(o.vfCoef, valueLoss),
  ) as tf.Scalar;
  return { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction };
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: factor `min(1, maxNorm / (norm + 1e-6))`), on plain arrays (new arrays are
 * returned; the inputs are not changed). The norm is accumulated in float64.
 * @returns the clipped gradients and the norm before clipping
 */
export function clipByGlobalNorm(
  gradients: readonly Float32Array[],
  maxNorm: number,
): { clipped: Float32Array[]; norm: number } {
  let sum = 0;
  for (const g of gradients) for (let k = 0; k < g.length; k++) sum += g[k] * g[k];
  const norm = Math.sqrt(sum);
  const factor = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return {
    clipped: gradients.map((g) => (factor === 1 ? new Float32Array(g) : g.map((v) => v * factor))),
    norm,
  };
}

/** A rollout's valid transitions, compacted, with observations already normalised for the network. */
export interface PpoBatch {
  /** Number of transitions. */
  readonly size: number;
  /** Observations, `size * observationLength`. */
  readonly observations: Float32Array;
  /** Actions. */
  readonly actions: Int32Array;
  /** Behaviour log-probabilities. */
  readonly logProbs: Float32Array;
  /** Values at collection time. */
  readonly values: Float32Array;
  /** Advantages. */
  readonly advantages: Float32Array;
  /** Value targets. */
  readonly returns: Float32Array;
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
    const o = this.options, net = this.network, len = net.observationLength;
    const [z, y, x] = net.architecture.observationShape, c = net.architecture.channels;
    this.optimizer.learningRate = learningRate;
    const sums = new Float64Array(7); // loss, policy, value, entropy, kl, clipfrac, gradnorm
    let minibatches = 0, epochs = 0;
    const order = Array.from({ length: batch.size }, (_, i) => i);
    for (let epoch = 0; epoch < o.updateEpochs && batch.size > 0; epoch++) {
      epochs++;
      this.#rng.shuffle(order);
      let epochKl = 0, epochBatches = 0;
      for (let start = 0; start < batch.size; start += o.minibatchSize) {
        const idx = order.slice(start, start + o.minibatchSize), m = idx.length;
        const obs = new Float32Array(m * len);
        idx.forEach((i, k) => obs.set(batch.observations.subarray(i * len, (i + 1) * len), k * len));
        const gather = (src: Float32Array) => Float32Array.from(idx, (i) => src[i]);
        const { value, grads, aux } = tf.tidy(() => {
          const inputs = tf.tensor5d(obs, [m, z, y, x, c]);
          const actions = tf.tensor1d(Int32Array.from(idx, (i) => batch.actions[i]), "int32");
          const oldLogProbs = tf.tensor1d(gather(batch.logProbs));
          const oldValues = tf.tensor1d(gather(batch.values));
          const advantages = tf.tensor1d(gather(batch.advantages));
          const returns = tf.tensor1d(gather(batch.returns));
          let parts: tf.Tensor | undefined;
          const result = tf.variableGrads(() => {
            const out = net.forward(inputs);
            const t = ppoLoss({ ...out, actions, oldLogProbs, oldValues, advantages, returns }, o);
            parts = tf.keep(tf.stack([t.policyLoss, t.valueLoss, t.entropy, t.approxKl, t.clipFraction]));
            return t.loss;
          }, net.variables as tf.Variable[]);
          return { ...result, aux: parts! };
        });
        const gradTensors = net.variables.map((v) => grads[v.name]);
        const gradients = await Promise.all(gradTensors.map((g) => g.data() as Promise<Float32Array>));
        const { clipped, norm } = clipByGlobalNorm(gradients, o.maxGradNorm);
        await this.optimizer.apply(clipped);
        const s = [(await value.data())[0], ...(await aux.data()), norm];
        tf.dispose([value, aux, ...gradTensors]);
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
