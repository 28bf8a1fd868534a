/**
 * Training and evaluation of the pixel-level actor-critic (PixelDRL-MG) on 2D slices: the loop
 * behind `deno task train:pixel`. Every reported row is "voxel labels (fully supervised)": the env's
 * rewards read the voxel ground truth.
 *
 * - {@link trainPixel}: epochs over the training slices in shuffled batches of `batchSize` episodes
 *   (one update each), stopping at `epochs` or `maxSeconds`; validation Dice after each epoch.
 * - {@link trainCrossEntropyFcn}: the cross-entropy FCN baseline of the same network.
 *
 * The evaluation functions (`evaluatePixelPolicy`, `scorePixelMasks`, the threshold baseline) live in
 * `eval/pixel_eval.ts` and are re-exported here.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { Adam } from "../agents/adam.ts";
import { Rng } from "../data/random.ts";
import type { SplitName } from "../data/split.ts";
import { PixelSegEnv, type PixelSlice } from "../env/pixel/pixel_env.ts";
import type { PixelA2cLearner, PixelA2cOptions } from "../agents/pixel_a2c.ts";
import { evaluatePixelPolicy } from "../eval/pixel_eval.ts";

export {
  bestStepOnCurve,
  evaluatePixelPolicy,
  fitThresholdBaseline,
  type PixelPolicyEvaluation,
  type PixelScores,
  scorePixelMasks,
  type ThresholdBand,
  thresholdMasks,
} from "../eval/pixel_eval.ts";
import type { PixelNetwork } from "../models/pixel_network.ts";

/** Options of {@link trainPixel}. */
export interface PixelTrainOptions {
  /** Passes over the training slices. */
  readonly epochs: number;
  /** Wall-clock budget in seconds (training stops after the update that crosses it). */
  readonly maxSeconds: number;
  /** Seed of the batch order and env resets. */
  readonly seed: number;
  /** Called after every update. */
  readonly onUpdate?: (record: Record<string, number>) => void | Promise<void>;
  /** Called after every epoch with the validation Dice. */
  readonly onEpoch?: (record: Record<string, number>) => void | Promise<void>;
}

/**
 * Trains the learner (see the module doc).
 * @returns updates and epochs run, seconds spent
 */
export async function trainPixel(
  learner: PixelA2cLearner,
  data: Record<SplitName, PixelSlice[]>,
  options: PixelTrainOptions,
): Promise<{ updates: number; epochs: number; seconds: number }> {
  const o: PixelA2cOptions = learner.options, rng = new Rng(options.seed);
  const envs = Array.from(
    { length: o.batchSize },
    () => new PixelSegEnv({ slices: data.train, tMax: o.tMax }),
  );
  const order = data.train.map((_, i) => i);
  const t0 = performance.now();
  let updates = 0, epoch = 0;
  const elapsed = () => (performance.now() - t0) / 1000;
  for (; epoch < options.epochs && elapsed() < options.maxSeconds; epoch++) {
    rng.shuffle(order);
    const lr = learner.learningRateAt(epoch);
    for (
      let start = 0;
      start + o.batchSize <= order.length && elapsed() < options.maxSeconds;
      start += o.batchSize
    ) {
      const obs = envs.map((e, i) => e.reset({ options: { index: order[start + i] } }).observation);
      const ep = await learner.collect(envs, obs);
      const stats = await learner.update(ep, lr);
      updates++;
      await options.onUpdate?.({
        update: updates,
        epoch: epoch + 1,
        seconds: elapsed(),
        meanReward: ep.meanReward,
        ...stats,
      });
    }
    if (data.val.length) {
      const val = await evaluatePixelPolicy(learner, data.val);
      const keep = await initialKeepProbability(learner, data.val);
      await options.onEpoch?.({
        epoch: epoch + 1,
        update: updates,
        seconds: elapsed(),
        valDice: val.diceByStep[o.tMax],
        valDiceStep1: val.diceByStep[1],
        valKeepTruth: keep.truth,
        valKeepOther: keep.other,
      });
    }
  }
  return { updates, epochs: epoch, seconds: elapsed() };
}

/** Mean policy probabilities of "keep" (action 1) at the initial all-foreground state. */
export interface KeepProbability {
  /** Over truth pixels (G = 1): should rise towards 1. */
  readonly truth: number;
  /** Over the other pixels (G = 0): should fall towards 0. */
  readonly other: number;
}

/**
 * The learner's mean probability of "keep" at the all-foreground start, over truth pixels and over
 * the rest, on `slices`: the diagnostic that separates "has not learned which pixels are
 * foreground" (both equal) from "ranks them but greedy rounds all to background" (truth > other,
 * both < 0.5). Slices without truth pixels contribute nothing to `truth` (NaN when none has any).
 */
export async function initialKeepProbability(
  learner: PixelA2cLearner,
  slices: readonly PixelSlice[],
): Promise<KeepProbability> {
  const a = learner.network.config.actions;
  let sumTruth = 0, nTruth = 0, sumOther = 0, nOther = 0;
  for (const s of slices) {
    const [h, w] = s.shape, p = h * w, obs = new Float32Array(p * 2);
    for (let i = 0; i < p; i++) [obs[2 * i], obs[2 * i + 1]] = [s.image[i], 1];
    const probs = tf.tidy(() => tf.softmax(learner.network.forward(tf.tensor4d(obs, [1, h, w, 2])).logits));
    const pr = (await probs.data()) as Float32Array;
    probs.dispose();
    for (let i = 0; i < p; i++) {
      const keep = pr[i * a + 1];
      if (s.truth[i]) [sumTruth, nTruth] = [sumTruth + keep, nTruth + 1];
      else [sumOther, nOther] = [sumOther + keep, nOther + 1];
    }
  }
  return { truth: sumTruth / nTruth, other: sumOther / nOther };
}

/** Options of {@link trainCrossEntropyFcn}. */
export interface FcnTrainOptions {
  /** Wall-clock budget in seconds. */
  readonly maxSeconds: number;
  /** Step budget (default Infinity: only `maxSeconds` stops); a fixed count makes runs load-independent. */
  readonly maxSteps?: number;
  /** Adam step size. */
  readonly learningRate: number;
  /** Slices per step. */
  readonly batchSize: number;
  /** Seed of the batch order. */
  readonly seed: number;
  /** The mask channels it trains on (see {@link trainCrossEntropyFcn}). */
  readonly maskStates: FcnMaskStates;
  /** Episode length of the `visited` states' rollouts (the actor-critic's `tMax`; default 10). */
  readonly tMax?: number;
}

/**
 * The mask channels the cross-entropy FCN sees: `start` only the all-foreground initial state;
 * `random` half the samples a random mask (each pixel foreground with a per-sample probability
 * q ~ U(0, 1)); `visited` half the samples the state its own greedy policy reaches on that slice
 * (the DAgger-style choice: the states a rollout of the warm-started policy meets).
 */
export type FcnMaskStates = "start" | "random" | "visited";

/** The accepted {@link FcnMaskStates}. */
export const FCN_MASK_STATES: readonly FcnMaskStates[] = ["start", "random", "visited"];

/**
 * The supervised baseline of the same network ("a one-step thresholded FCN of the same trunk trained
 * by cross-entropy"): the policy head at the initial all-foreground state is trained by per-pixel
 * cross-entropy towards "keep" on truth pixels and "set background" elsewhere (voxel labels, fully
 * supervised); its argmax after one step is the baseline's mask (softmax > 0.5 = threshold 0.5).
 * With `maskStates` other than `start`, half the samples show another mask channel with the same
 * targets: the optimal action of the paper's two-action MDP does not depend on the mask, and the
 * warm-started policy then acts on the states after step 1 as well. `random` shows pixel noise;
 * `visited` shows, per slice, the state of a rollout of the network's own greedy actions: each
 * time the slice is drawn for it, the shown mask is advanced by the argmax of that same forward
 * pass (a pixel stays foreground when it was and the argmax keeps it), and after `tMax` steps or at
 * a fixed point (a step that changed nothing) the rollout restarts from all foreground. Those are
 * the states the warm-started policy meets, not a noise it never sees. The same weights can then
 * warm-start the actor-critic.
 * @returns steps run and seconds spent
 */
export async function trainCrossEntropyFcn(
  network: PixelNetwork,
  slices: readonly PixelSlice[],
  options: FcnTrainOptions,
): Promise<{ steps: number; seconds: number; loss: number }> {
  const rng = new Rng(options.seed), [h, w] = slices[0].shape, p = h * w;
  const adam = new Adam(network.variables, { learningRate: options.learningRate, epsilon: 1e-8 });
  const order = slices.map((_, i) => i), t0 = performance.now();
  let steps = 0, loss = NaN;
  const maxSteps = options.maxSteps ?? Infinity, tMax = options.tMax ?? 10;
  const rollouts: RolloutState[] = slices.map(() => ({ mask: new Uint8Array(p).fill(1), step: 0 }));
  while ((performance.now() - t0) / 1000 < options.maxSeconds && steps < maxSteps) {
    rng.shuffle(order);
    const pick = order.slice(0, Math.min(options.batchSize, order.length)), b = pick.length;
    const obs = new Float32Array(b * p * 2), labels = new Int32Array(b * p);
    const rolled: (RolloutState | null)[] = pick.map((k, j) => {
      const s = slices[k], shown = options.maskStates !== "start" && rng.float() < 0.5;
      const rollout = shown && options.maskStates === "visited" ? rollouts[k] : null;
      // Mask channel: all foreground (the initial state), or a state later steps visit.
      const q = shown && options.maskStates === "random" ? rng.float() : 1;
      for (let i = 0; i < p; i++) {
        obs[(j * p + i) * 2] = s.image[i];
        obs[(j * p + i) * 2 + 1] = rollout ? rollout.mask[i] : q === 1 || rng.float() < q ? 1 : 0;
        labels[j * p + i] = s.truth[i]; // 1 = keep, 0 = set background
      }
      return rollout;
    });
    let kept: tf.Tensor | null = null; // the logits, kept past the tidy for the rollouts' argmax
    const { value, grads } = tf.tidy(() => {
      const x = tf.tensor4d(obs, [b, h, w, 2]), y = tf.oneHot(tf.tensor1d(labels, "int32"), 2);
      return tf.variableGrads(() => {
        const logits = tf.reshape(network.forward(x).logits, [b * p, network.config.actions]);
        if (options.maskStates === "visited") kept = tf.keep(logits);
        return tf.neg(tf.mean(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1))) as tf.Scalar;
      }, network.variables);
    });
    if (kept) {
      const argmax = tf.argMax(kept, 1);
      advanceRollouts(rolled, (await argmax.data()) as Int32Array, p, tMax);
      tf.dispose([argmax, kept]);
    }
    const used = network.variables.filter((v) => grads[v.name]);
    const g = await Promise.all(
      network.variables.map((v) =>
        grads[v.name]
          ? grads[v.name].data() as Promise<Float32Array>
          : Promise.resolve(new Float32Array(v.size))
      ),
    );
    await adam.apply(g);
    loss = (await value.data())[0];
    tf.dispose([value, ...used.map((v) => grads[v.name])]);
    steps++;
  }
  return { steps, seconds: (performance.now() - t0) / 1000, loss };
}

/** One slice's rollout of the FCN's own greedy policy (the `visited` mask states). */
interface RolloutState {
  /** The current mask `[y, x]`, 1 = foreground. */
  readonly mask: Uint8Array;
  /** Steps taken since the last restart from all foreground. */
  step: number;
}

/**
 * Applies the greedy actions (argmax over actions per pixel, `[sample, pixel]`; 0 = set background)
 * to the rollouts shown in this batch (null = a sample not from a rollout) and restarts those that
 * reached `tMax` steps or a fixed point (a step that changed nothing: every later state would be the
 * same, an empty mask included, so showing it again teaches nothing new). A batch draws distinct
 * slices, so each rollout advances at most once.
 */
function advanceRollouts(
  rolled: readonly (RolloutState | null)[],
  argmax: Int32Array,
  p: number,
  tMax: number,
) {
  rolled.forEach((r, j) => {
    if (!r) return;
    let changed = false;
    for (let i = 0; i < p; i++) {
      if (r.mask[i] === 1 && argmax[j * p + i] === 0) [r.mask[i], changed] = [0, true];
    }
    if (++r.step >= tMax || !changed) {
      r.mask.fill(1);
      r.step = 0;
    }
  });
}
