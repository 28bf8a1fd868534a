/**
 * One PPO minibatch step, shared by the window game's learner (`ppo.ts`) and the patch game's
 * masked update (`patch_policy.ts`): gather the minibatch's rows, take the gradient of
 * {@link ppoLoss} (with an optional additive logit bias, the patch game's action masks), clip it to
 * a global norm and apply one Adam step.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { Adam } from "./adam.ts";
import type { PolicyOutputs } from "./policy_network.ts";
import { clipByGlobalNorm, ppoLoss } from "./ppo_loss.ts";
import type { PpoOptions } from "./ppo_options.ts";

/**
 * What a PPO step needs of a network: its input shape, its action count, its trainable variables
 * and a forward pass (`PolicyNetwork` and the patch game's `PatchPolicyNetwork` both are one).
 */
export interface TrainablePolicy {
  /** Observation shape z,y,x, channels per cell, and actions (logits per observation). */
  readonly architecture: {
    readonly observationShape: readonly [number, number, number];
    readonly channels: number;
    readonly actions: number;
  };
  /** Floats per observation: z*y*x*channels. */
  readonly observationLength: number;
  /** The trainable variables (the gradient's order). */
  readonly variables: readonly tf.Variable[];
  /** Logits `[n, actions]` and values `[n]` of `[n, z, y, x, channels]` inputs (inside `tf.tidy`). */
  forward(input: tf.Tensor5D): PolicyOutputs;
}

/** The arrays minibatches are gathered from: one entry per transition (index i). */
export interface PpoSamples {
  /** Observations, `observationLength` floats each (z,y,x,c), already as the network reads them. */
  readonly observations: Float32Array;
  /** Actions taken. */
  readonly actions: Int32Array;
  /** Behaviour log-probabilities. */
  readonly logProbs: Float32Array;
  /** Values at collection time. */
  readonly values: Float32Array;
  /** GAE advantages (not normalised). */
  readonly advantages: Float32Array;
  /** Value targets. */
  readonly returns: Float32Array;
}

/** What {@link ppoMinibatchStep} returns, in this order: the names of its 7 statistics. */
export const MINIBATCH_STATISTICS: readonly string[] = [
  "loss",
  "policyLoss",
  "valueLoss",
  "entropy",
  "approxKl",
  "clipFraction",
  "gradNorm",
];

/**
 * One gradient step on the transitions `indices` of `samples`.
 *
 * @param network the network trained (its variables are those of `optimizer`)
 * @param optimizer Adam over `network.variables`; its learning rate is used as set
 * @param samples the batch
 * @param indices the minibatch's transition indices (m >= 1 of them)
 * @param options loss and clipping options
 * @param logitBias optional `[m, actions]` values added to the logits (row j for `indices[j]`)
 * @returns the 7 statistics named by {@link MINIBATCH_STATISTICS} (gradNorm before clipping)
 */
export async function ppoMinibatchStep(
  network: TrainablePolicy,
  optimizer: Adam,
  samples: PpoSamples,
  indices: readonly number[],
  options: PpoOptions,
  logitBias?: Float32Array,
): Promise<number[]> {
  const len = network.observationLength, k = network.architecture.actions, m = indices.length;
  const [z, y, x] = network.architecture.observationShape, c = network.architecture.channels;
  const obs = new Float32Array(m * len);
  indices.forEach((i, j) => obs.set(samples.observations.subarray(i * len, (i + 1) * len), j * len));
  const gather = (src: Float32Array) => Float32Array.from(indices, (i) => src[i]);
  const { value, grads, aux } = tf.tidy(() => {
    const inputs = tf.tensor5d(obs, [m, z, y, x, c]);
    const bias = logitBias ? tf.tensor2d(logitBias, [m, k]) : undefined;
    const actions = tf.tensor1d(Int32Array.from(indices, (i) => samples.actions[i]), "int32");
    const oldLogProbs = tf.tensor1d(gather(samples.logProbs));
    const oldValues = tf.tensor1d(gather(samples.values));
    const advantages = tf.tensor1d(gather(samples.advantages));
    const returns = tf.tensor1d(gather(samples.returns));
    let parts: tf.Tensor | undefined;
    const result = tf.variableGrads(() => {
      const out = network.forward(inputs);
      const logits = bias ? tf.add(out.logits, bias) as tf.Tensor2D : out.logits;
      const t = ppoLoss(
        { logits, values: out.values, actions, oldLogProbs, oldValues, advantages, returns },
        options,
      );
      parts = tf.keep(tf.stack([t.policyLoss, t.valueLoss, t.entropy, t.approxKl, t.clipFraction]));
      return t.loss;
    }, network.variables as tf.Variable[]);
    return { ...result, aux: parts! };
  });
  const gradTensors = network.variables.map((v) => grads[v.name]);
  try {
    const gradients = await Promise.all(gradTensors.map((g) => g.data() as Promise<Float32Array>));
    const { clipped, norm } = clipByGlobalNorm(gradients, options.maxGradNorm);
    await optimizer.apply(clipped);
    return [(await value.data())[0], ...(await aux.data()), norm];
  } finally {
    tf.dispose([value, aux, ...gradTensors]);
  }
}
