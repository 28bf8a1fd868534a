/**
 * The supervised phase of `deno task train:pixel`, before the actor-critic: the cross-entropy FCN
 * baseline of the same network and, with `--warm-start`, the weights the actor-critic starts from.
 *
 * The warm start is the FCN baseline fine-tuned for `warmSteps` more Adam steps on the mask states
 * its own greedy rollouts visit (`maskStates: "visited"` of {@link trainCrossEntropyFcn}): an FCN
 * trained only on the all-foreground start state segments in one step but empties the mask at its
 * second (it never saw a partial mask), and one trained from the start on noisy masks loses about
 * 0.1 Dice at its first step (README, issue 14). So that the comparison stays fair, the same number
 * of extra steps at the same step size on start states alone gives a second baseline row: "the FCN
 * with the warm start's whole supervised budget".
 *
 * @module
 */
import type { PixelSlice } from "../env/pixel/pixel_env.ts";
import type { PixelNetwork, PixelWeight } from "../models/pixel_network.ts";
import { PixelA2cLearner, type PixelA2cOptions } from "../agents/pixel_a2c.ts";
import { evaluatePixelPolicy, type FcnMaskStates, trainCrossEntropyFcn } from "./pixel_train.ts";

/** Options of {@link runSupervisedPhase}. */
export interface SupervisedPhaseOptions {
  /** The FCN baseline's wall-clock budget in seconds (> 0). */
  readonly maxSeconds: number;
  /** Its step budget (null: only `maxSeconds`). */
  readonly maxSteps: number | null;
  /** Its Adam step size. */
  readonly learningRate: number;
  /** The mask states it trains on (`start` unless reproducing an older table). */
  readonly maskStates: FcnMaskStates;
  /** Build the actor-critic's warm start. */
  readonly warmStart: boolean;
  /** Fine-tuning steps on visited states for the warm start (0: start from the FCN as it is). */
  readonly warmSteps: number;
  /** Their Adam step size. */
  readonly warmLearningRate: number;
  /** Slices per step (the actor-critic's batch). */
  readonly batchSize: number;
  /** Seed of the batch order. */
  readonly seed: number;
  /** Episode length of the rollouts (the actor-critic's `tMax`). */
  readonly tMax: number;
}

/** A trained FCN's figures and test masks (its argmax after one step). */
export interface FcnBaseline {
  /** Adam steps in all (the warm start's and the extended baseline's include the FCN's). */
  readonly steps: number;
  /** Seconds spent on those steps. */
  readonly seconds: number;
  /** Last batch's cross-entropy. */
  readonly loss: number;
  /** Test masks `[y, x]` after one greedy step, in slice order. */
  readonly masks: Uint8Array[];
}

/** Result of {@link runSupervisedPhase}. */
export interface SupervisedPhase {
  /** The FCN baseline (`maxSteps` steps on `maskStates`). */
  readonly fcn: FcnBaseline;
  /** The baseline continued for `warmSteps` steps on start states (null without a warm start or steps). */
  readonly extended: FcnBaseline | null;
  /** Weights the actor-critic starts from (null: random init, no `--warm-start`). */
  readonly warmWeights: PixelWeight[] | null;
  /** The warm start's own test masks after `tMax` greedy steps, before any RL (null without it). */
  readonly warmMasks: Uint8Array[] | null;
}

/**
 * Trains the FCN baseline in `network` (fresh weights) and, with a warm start, the extended baseline
 * and the warm start from copies of it; `network` ends holding the warm start (or the FCN).
 * Test masks are argmax rollouts on `test`. Voxel labels (fully supervised) throughout.
 */
export async function runSupervisedPhase(
  network: PixelNetwork,
  train: readonly PixelSlice[],
  test: readonly PixelSlice[],
  a2c: PixelA2cOptions,
  o: SupervisedPhaseOptions,
): Promise<SupervisedPhase> {
  const base = { batchSize: o.batchSize, tMax: o.tMax };
  const r = await trainCrossEntropyFcn(network, train, {
    ...base,
    maxSeconds: o.maxSeconds,
    maxSteps: o.maxSteps ?? Infinity,
    learningRate: o.learningRate,
    seed: o.seed,
    maskStates: o.maskStates,
  });
  const fcn = { ...r, masks: await rolloutMasks(network, test, a2c, 1) };
  if (!o.warmStart) return { fcn, extended: null, warmWeights: null, warmMasks: null };
  let extended: FcnBaseline | null = null;
  if (o.warmSteps > 0) {
    const fcnWeights = network.getWeights();
    // The same extra steps, seed and step size on start states: the baseline with the same budget.
    const more = { ...base, maxSeconds: Infinity, maxSteps: o.warmSteps, learningRate: o.warmLearningRate };
    const e = await trainCrossEntropyFcn(network, train, { ...more, seed: o.seed + 1, maskStates: "start" });
    extended = {
      steps: r.steps + e.steps,
      seconds: r.seconds + e.seconds,
      loss: e.loss,
      masks: await rolloutMasks(network, test, a2c, 1),
    };
    network.setWeights(fcnWeights);
    await trainCrossEntropyFcn(network, train, { ...more, seed: o.seed + 1, maskStates: "visited" });
  }
  return {
    fcn,
    extended,
    warmWeights: network.getWeights(),
    warmMasks: await rolloutMasks(network, test, a2c, o.tMax),
  };
}

async function rolloutMasks(
  network: PixelNetwork,
  slices: readonly PixelSlice[],
  a2c: PixelA2cOptions,
  tMax: number,
): Promise<Uint8Array[]> {
  const learner = new PixelA2cLearner(network, { ...a2c, tMax }, 0);
  const { masks } = await evaluatePixelPolicy(learner, slices);
  learner.dispose();
  return masks;
}
