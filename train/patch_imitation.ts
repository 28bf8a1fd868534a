/**
 * Imitation of the greedy player before self-play (`train:patch --imitate-steps N`): the learned
 * agent's network is first trained by cross-entropy to choose what the greedy baseline chooses on
 * the states of greedy-vs-greedy games of the TRAINING cases, then PPO continues from it. Why: a
 * learner that reads the image only (the paper's setting) has to infer from rewards alone which
 * patches the scorer rates highly and stayed below greedy over every budget tried; greedy's
 * choices, computed from the same scorer the rewards come from, say so directly. Supervision stays
 * the scorer's (the classifier's "crops labelled from voxel masks"); no label is read.
 *
 * Loss per state: `-log softmax(logits + mask bias)[greedy action]` (illegal actions masked as in
 * play). Adam; minibatches drawn uniformly with replacement; the value head is not trained here.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Rng } from "../data/random.ts";
import type { Case } from "../data/types.ts";
import { GreedyPatchAgent } from "../env/patch/agents.ts";
import type { PatchEnv } from "../env/patch/patch_env.ts";
import { Adam } from "../agents/adam.ts";
import { playPatchGame } from "../eval/patch_eval.ts";
import { MASKED_LOGIT, type PatchPolicyModel } from "../agents/patch_policy.ts";

/** States of greedy-vs-greedy games and greedy's action in each. */
export interface GreedyDemonstrations {
  /** Observations (copies), each `observationLength` floats. */
  readonly observations: Float32Array[];
  /** Action masks (copies), each n + 1 entries. */
  readonly masks: Uint8Array[];
  /** Greedy's action in each state (n = terminate). */
  readonly actions: Int32Array;
}

/** Options of {@link imitateGreedy}. */
export interface ImitationOptions {
  /** Gradient steps. */
  readonly steps: number;
  /** States per step. Default 64. */
  readonly batchSize?: number;
  /** Adam learning rate. Default 1e-3. */
  readonly learningRate?: number;
  /** Seed of the minibatch draws. */
  readonly seed: number;
}

/**
 * Plays greedy against itself once on every case of `cases` in `env` and records each state with
 * greedy's action (the mover's observation and mask; both players see the same board).
 */
export async function greedyDemonstrations(
  env: PatchEnv,
  cases: readonly Case[],
): Promise<GreedyDemonstrations> {
  const greedy = new GreedyPatchAgent();
  const observations: Float32Array[] = [], masks: Uint8Array[] = [], actions: number[] = [];
  for (const c of cases) {
    await playPatchGame(env, greedy, c, (observation, mask, action) => {
      observations.push(observation.slice());
      masks.push(mask.slice());
      actions.push(action);
    });
  }
  return { observations, masks, actions: Int32Array.from(actions) };
}

/** Share of `demos` states where `network`'s masked argmax equals the demonstrated action. */
export function imitationAccuracy(network: PatchPolicyModel, demos: GreedyDemonstrations): number {
  if (!demos.actions.length) return NaN;
  const k = demos.masks[0].length;
  const logits = tf.tidy(() =>
    network.forward(network.observationTensor(demos.observations)).logits.dataSync()
  );
  let right = 0;
  demos.actions.forEach((a, i) => {
    let best = -1, bestLogit = -Infinity;
    for (let j = 0; j < k; j++) {
      const l = demos.masks[i][j] ? logits[i * k + j] : -Infinity;
      if (l > bestLogit) [best, bestLogit] = [j, l];
    }
    if (best === a) right++;
  });
  return right / demos.actions.length;
}

/**
 * Trains `network` to imitate the demonstrations (see the module doc).
 * @returns the mean loss of each step
 */
export async function imitateGreedy(
  network: PatchPolicyModel,
  demos: GreedyDemonstrations,
  options: ImitationOptions,
): Promise<number[]> {
  const n = demos.actions.length;
  if (!n || options.steps <= 0) return [];
  const k = demos.masks[0].length, m = Math.min(options.batchSize ?? 64, n);
  const optimizer = new Adam(network.variables, { learningRate: options.learningRate ?? 1e-3 });
  const rng = new Rng(options.seed), losses: number[] = [];
  for (let step = 0; step < options.steps; step++) {
    const idx = Array.from({ length: m }, () => rng.int(n));
    const bias = new Float32Array(m * k), onehot = new Float32Array(m * k);
    idx.forEach((i, j) => {
      for (let a = 0; a < k; a++) bias[j * k + a] = demos.masks[i][a] ? 0 : MASKED_LOGIT;
      onehot[j * k + demos.actions[i]] = 1;
    });
    const { value, grads } = tf.tidy(() => {
      const inputs = network.observationTensor(idx.map((i) => demos.observations[i]));
      const b = tf.tensor2d(bias, [m, k]), target = tf.tensor2d(onehot, [m, k]);
      return tf.variableGrads(() => {
        const logp = tf.logSoftmax(tf.add(network.forward(inputs).logits, b));
        return tf.neg(tf.mean(tf.sum(tf.mul(logp, target), 1))) as tf.Scalar;
      }, network.variables as tf.Variable[]);
    });
    // The value head is not in the loss: zero gradients for it (Adam then leaves it unchanged).
    const gradTensors = network.variables.map((v) => grads[v.name] ?? tf.zerosLike(v));
    try {
      await optimizer.apply(await Promise.all(gradTensors.map((g) => g.data() as Promise<Float32Array>)));
      losses.push((await value.data())[0]);
    } finally {
      tf.dispose([value, ...gradTensors]);
    }
  }
  return losses;
}
