/**
 * Multiple-instance (MIL) training of the presence classifier from image-level labels only: a
 * volume is a bag of windows (`mil_data.ts`), the bag's score pools its windows' scores, and the
 * loss is binary cross-entropy on the bag's presence label. Voxel labels never reach this file
 * (it receives {@link MilBag}s, which have none). Supervision level: "image-level".
 *
 * Per step, `bagsPerStep` bags (class-balanced: positive and negative alternate) each contribute
 * `topK + randomK` instances, trained in one batch:
 * - `topK`: the instances with the highest CURRENT score in the bag's score cache (each instance's
 *   score from the last step that trained it; unseen instances have none). In a positive bag these
 *   are the likely witnesses (the windows holding the target); in a negative bag the hardest
 *   negatives;
 * - `randomK`: instances drawn uniformly among the others (exploration: they fill the cache and find
 *   witnesses the cache does not know yet).
 * After the step the trained instances' scores (training-mode forward) go back into the cache.
 *
 * Loss per bag:
 * - positive bag: BCE(pool(p_1..p_k), 1), the pool a named option ({@link MilPooling}):
 *   `max`; `lse`, the smooth maximum (1/r) log(mean exp(r p_i)) of sharpness r; `noisy-or`,
 *   1 - prod(1 - p_i);
 * - negative bag: every window of a tumour-free volume is tumour-free (a valid weak constraint), so
 *   each sampled instance gets BCE(p_i, 0), averaged over the bag's instances.
 * The step's loss is the mean over its bags. Adam, flips and intensity jitter (presence is
 * invariant under both), and batch-norm statistics recomputed after each epoch over random
 * instances (as `classifier_training.ts`, whose {@link EpochMetrics} and {@link TrainingHistory}
 * this reuses).
 *
 * Validation (image-level too): every window of a validation bag on a coarser lattice
 * (`validationStride`, default half the window) is scored in inference mode; the bag score is the
 * max. Early stopping on the validation bag loss, best weights restored.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { recalibrateBatchNorm } from "./batch_norm3d.ts";
import { modelInputChannels, modelInputShape } from "./classifier.ts";
import type { IntensityWindow } from "./classifier_input.ts";
import { binaryMetrics } from "./classifier_metrics.ts";
import {
  augmentInto,
  type ClassBalance,
  type EpochMetrics,
  EpochSampler,
  type TrainingHistory,
} from "./classifier_training.ts";
import { BagInstances, defaultInstanceStride, type MilBag, strideOf } from "./mil_data.ts";

/** How a bag's instance scores become the bag score (see the module note). */
export type MilPooling = "max" | "lse" | "noisy-or";

/** The values of {@link MilPooling}. */
export const MIL_POOLINGS: readonly MilPooling[] = ["max", "lse", "noisy-or"];

/** Options of {@link trainMil}. */
export interface TrainMilOptions {
  /** Instance size z,y,x: the game's window. */
  window: Vec3;
  /** Intensity window of the inputs (as the scorer's). */
  intensityWindow: IntensityWindow;
  /** Lattice step of the training instances (default a quarter of the window per axis). */
  stride?: number | Vec3;
  /** Lattice step of the validation instances (default half the window per axis). */
  validationStride?: number | Vec3;
  /** Bag pooling of positive bags (default "max"). */
  pooling?: MilPooling;
  /** Sharpness r of "lse" pooling (default 5). */
  lseSharpness?: number;
  /** Top-scoring instances per bag and step (default 2). */
  topK?: number;
  /** Uniformly drawn other instances per bag and step (default 2). */
  randomK?: number;
  /** Bags per step (default 4). */
  bagsPerStep?: number;
  /** Steps per epoch (default: one pass over the training bags, ceil(bags / bagsPerStep)). */
  stepsPerEpoch?: number;
  /** Maximum epochs (default 20). */
  epochs?: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Seed of bag order, instance draws and augmentation (default 0). */
  seed?: number;
  /** Epochs without a validation-loss improvement before stopping (default 5; 0 disables). */
  patience?: number;
  /** Random flips along each axis (default true). */
  flips?: boolean;
  /** Intensity jitter amplitude (default 0.05; 0 disables). */
  intensityJitter?: number;
  /** Random training instances over which batch-norm statistics are recomputed per epoch (default 256; 0 = off). */
  recalibrationSamples?: number;
  /** Called after each step. */
  onStep?: (epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after each epoch. */
  onEpoch?: (metrics: EpochMetrics) => void;
}

/**
 * Bag probabilities [B] of instance probabilities [B, K] (see {@link MilPooling}).
 *
 * @param p instance probabilities, one row per bag
 * @param pooling the pool
 * @param sharpness r of "lse"
 */
export function poolInstances(p: tf.Tensor2D, pooling: MilPooling, sharpness = 5): tf.Tensor1D {
  return tf.tidy(() => {
    if (pooling === "max") return tf.max(p, 1) as tf.Tensor1D;
    if (pooling === "lse") {
      const k = p.shape[1];
      return tf.div(tf.sub(tf.logSumExp(tf.mul(p, sharpness), 1), Math.log(k)), sharpness) as tf.Tensor1D;
    }
    const logMiss = tf.sum(tf.log(tf.clipByValue(tf.sub(1, p), 1e-7, 1)), 1);
    return tf.sub(1, tf.exp(logMiss)) as tf.Tensor1D;
  });
}

/**
 * The MIL loss (scalar) of instance probabilities [B, K] and bag labels [B]: BCE of the pooled score
 * for positive bags, the mean instance BCE against 0 for negative bags, averaged over bags.
 */
export function milLoss(p: tf.Tensor2D, labels: tf.Tensor1D, pooling: MilPooling, sharpness = 5): tf.Scalar {
  return tf.tidy(() => {
    const eps = 1e-7;
    const bag = tf.clipByValue(poolInstances(p, pooling, sharpness), eps, 1 - eps);
    const positive = tf.neg(tf.log(bag));
    const negative = tf.mean(tf.neg(tf.log(tf.clipByValue(tf.sub(1, p), eps, 1))), 1);
    const perBag = tf.add(tf.mul(labels, positive), tf.mul(tf.sub(1, labels), negative));
    return tf.mean(perBag) as tf.Scalar;
  });
}

/**
 * The instances of one bag for one step: the `topK` highest scores of `cache` (NaN = never scored;
 * fewer than `topK` scored fills with random ones), then `randomK` drawn uniformly among the rest.
 * Distinct indices; `topK + randomK` must not exceed the cache length.
 */
export function selectInstances(cache: Float32Array, topK: number, randomK: number, rng: Rng): number[] {
  const scored: number[] = [];
  for (let i = 0; i < cache.length; i++) if (!Number.isNaN(cache[i])) scored.push(i);
  scored.sort((a, b) => cache[b] - cache[a]);
  const picked = scored.slice(0, topK);
  const taken = new Set(picked);
  const want = topK + randomK;
  while (picked.length < want) {
    const i = rng.int(cache.length);
    if (!taken.has(i)) taken.add(i), picked.push(i);
  }
  return picked;
}

/** Scores every instance of `instances` in inference mode, in batches. */
export async function scoreInstances(
  model: tfl.LayersModel,
  instances: BagInstances,
  batchSize = 16,
): Promise<Float32Array> {
  const [d, h, w] = modelInputShape(model), c = modelInputChannels(model), voxels = d * h * w * c;
  const out = new Float32Array(instances.count), buffer = new Float32Array(batchSize * voxels);
  for (let start = 0; start < instances.count; start += batchSize) {
    const n = Math.min(batchSize, instances.count - start);
    for (let i = 0; i < n; i++) instances.write(start + i, buffer.subarray(i * voxels, (i + 1) * voxels));
    const p = tf.tidy(
      () => (model.predict(tf.tensor5d(buffer.subarray(0, n * voxels), [n, d, h, w, c])) as tf.Tensor),
    );
    out.set(await p.data() as Float32Array, start);
    p.dispose();
  }
  return out;
}

function balance(bags: readonly MilBag[]): ClassBalance {
  const positives = bags.filter((b) => b.presence === 1).length;
  return { positives, negatives: bags.length - positives };
}

/**
 * Trains `model` in place by MIL on `train` bags, validating on `validation` bags after each epoch
 * (see the module note), and restores the weights of the epoch with the lowest validation bag loss.
 *
 * @param model a classifier from `buildClassifier`
 * @param train training bags (image-level labels only)
 * @param validation validation bags (may be empty: no early stopping then)
 * @param options see {@link TrainMilOptions}
 * @returns the per-epoch history; `trainAccuracy` is the bag accuracy of the pooled sampled scores
 * @throws {DatasetError} without training bags
 * @throws {InvalidArgumentError} on a bad option (named), or when a bag has fewer instances than `topK + randomK`
 */
export async function trainMil(
  model: tfl.LayersModel,
  train: readonly MilBag[],
  validation: readonly MilBag[],
  options: TrainMilOptions,
): Promise<TrainingHistory> {
  const o = {
    pooling: options.pooling ?? "max",
    lseSharpness: options.lseSharpness ?? 5,
    topK: options.topK ?? 2,
    randomK: options.randomK ?? 2,
    bagsPerStep: options.bagsPerStep ?? 4,
    epochs: options.epochs ?? 20,
    learningRate: options.learningRate ?? 1e-3,
    seed: options.seed ?? 0,
    patience: options.patience ?? 5,
    flips: options.flips ?? true,
    intensityJitter: options.intensityJitter ?? 0.05,
    recalibrationSamples: options.recalibrationSamples ?? 256,
  };
  const checks: [string, boolean, string][] = [
    ["pooling", MIL_POOLINGS.includes(o.pooling), MIL_POOLINGS.join(" | ")],
    ["lseSharpness", o.lseSharpness > 0, "a number > 0"],
    ["topK", Number.isInteger(o.topK) && o.topK >= 0, "an integer >= 0"],
    [
      "randomK",
      Number.isInteger(o.randomK) && o.randomK >= 0 && o.topK + o.randomK >= 1,
      "an integer >= 0, topK + randomK >= 1",
    ],
    ["bagsPerStep", Number.isInteger(o.bagsPerStep) && o.bagsPerStep >= 1, "an integer >= 1"],
    ["epochs", Number.isInteger(o.epochs) && o.epochs >= 1, "an integer >= 1"],
    ["learningRate", o.learningRate > 0, "a number > 0"],
    ["patience", Number.isInteger(o.patience) && o.patience >= 0, "an integer >= 0"],
    ["intensityJitter", o.intensityJitter >= 0 && o.intensityJitter < 1, "a number in [0, 1)"],
    [
      "recalibrationSamples",
      Number.isInteger(o.recalibrationSamples) && o.recalibrationSamples >= 0,
      "an integer >= 0",
    ],
  ];
  for (const [name, ok, expected] of checks) {
    if (!ok) throw new InvalidArgumentError(name, `is ${(o as Record<string, unknown>)[name]}`, expected);
  }
  if (train.length === 0) throw new DatasetError("train", "has no bags", "at least one training bag");
  const stepsPerEpoch = options.stepsPerEpoch ?? Math.ceil(train.length / o.bagsPerStep);
  if (!(Number.isInteger(stepsPerEpoch) && stepsPerEpoch >= 1)) {
    throw new InvalidArgumentError("stepsPerEpoch", `is ${stepsPerEpoch}`, "an integer >= 1");
  }
  const inputShape = modelInputShape(model), channels = modelInputChannels(model);
  const voxels = inputShape[0] * inputShape[1] * inputShape[2] * channels; // values per instance
  const stride = strideOf(options.stride ?? defaultInstanceStride(options.window), "stride");
  const validationStride = strideOf(
    options.validationStride ?? options.window.map((w) => Math.max(1, Math.round(w / 2))) as unknown as Vec3,
    "validationStride",
  );
  const bags = train.map((b) =>
    new BagInstances(b, options.window, stride, inputShape, options.intensityWindow)
  );
  const k = o.topK + o.randomK;
  const small = bags.find((b) => b.count < k);
  if (small) {
    throw new InvalidArgumentError(
      "topK + randomK",
      `is ${k} but bag ${small.bag.id} has ${small.count} instances`,
      "at most the instances of every bag (a finer stride or fewer instances)",
    );
  }
  const valBags = validation.map((b) =>
    new BagInstances(b, options.window, validationStride, inputShape, options.intensityWindow)
  );
  const caches = bags.map((b) => new Float32Array(b.count).fill(NaN));
  const rng = new Rng(o.seed);
  const sampler = new EpochSampler(train.map((b) => b.presence), rng, true);
  const optimizer = tf.train.adam(o.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const rows = o.bagsPerStep * k;
  const buffer = new Float32Array(rows * voxels), scratch = new Float32Array(voxels);
  const history: TrainingHistory = {
    epochs: [],
    bestEpoch: 0,
    stoppedEarly: false,
    balance: { train: balance(train), validation: balance(validation) },
  };
  let best: tf.Tensor[] | undefined, bestLoss = Infinity, sinceBest = 0, order: number[] = [], next = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      let lossSum = 0, correct = 0, seen = 0;
      for (let step = 0; step < stepsPerEpoch; step++) {
        const picks: { bag: number; instances: number[] }[] = [];
        for (let b = 0; b < o.bagsPerStep; b++) {
          if (next >= order.length) order = sampler.next(), next = 0;
          const bag = order[next++];
          picks.push({ bag, instances: selectInstances(caches[bag], o.topK, o.randomK, rng) });
        }
        let row = 0;
        for (const { bag, instances } of picks) {
          for (const i of instances) {
            bags[bag].write(i, scratch);
            augmentInto(
              scratch,
              inputShape,
              rng,
              o.flips,
              o.intensityJitter,
              buffer.subarray(row * voxels, (row + 1) * voxels),
            );
            row++;
          }
        }
        const labels = picks.map((p) => train[p.bag].presence);
        const x = tf.tensor5d(buffer, [rows, inputShape[0], inputShape[1], inputShape[2], channels]);
        const y = tf.tensor1d(labels, "float32");
        let predictions: tf.Tensor | undefined;
        const loss = optimizer.minimize(
          () => {
            const out = model.apply(x, { training: true }) as tf.Tensor;
            const p = tf.reshape(out, [o.bagsPerStep, k]) as tf.Tensor2D;
            predictions = tf.keep(p);
            return milLoss(p, y, o.pooling, o.lseSharpness);
          },
          true,
          variables,
        )!;
        const lossValue = (await loss.data())[0];
        const p = await predictions!.data();
        const pooled = poolInstances(predictions as tf.Tensor2D, o.pooling, o.lseSharpness);
        const bagScores = await pooled.data();
        tf.dispose([x, y, loss, predictions!, pooled]);
        picks.forEach(({ bag, instances }, b) => {
          instances.forEach((i, j) => caches[bag][i] = p[b * k + j]);
          if ((bagScores[b] >= 0.5 ? 1 : 0) === labels[b]) correct++;
        });
        lossSum += lossValue * o.bagsPerStep;
        seen += o.bagsPerStep;
        options.onStep?.(epoch, step + 1, stepsPerEpoch, lossValue);
      }
      if (o.recalibrationSamples > 0) {
        const recal = new Rng(o.seed + 1000 + epoch);
        const inputs = Array.from({ length: o.recalibrationSamples }, () => {
          const b = bags[recal.int(bags.length)];
          return b.write(recal.int(b.count), new Float32Array(voxels));
        });
        await recalibrateBatchNorm(model, inputs, 16);
      }
      const valScores: number[] = [];
      for (const b of valBags) valScores.push(Math.max(...await scoreInstances(model, b)));
      const validationMetrics = binaryMetrics(valScores, validation.map((b) => b.presence));
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / seen,
        trainAccuracy: correct / seen,
        validation: validationMetrics,
        seconds: (performance.now() - started) / 1000,
      };
      history.epochs.push(metrics);
      options.onEpoch?.(metrics);
      const monitored = validation.length ? validationMetrics.loss : metrics.trainLoss;
      if (monitored < bestLoss - 1e-4) {
        bestLoss = monitored;
        sinceBest = 0;
        history.bestEpoch = epoch;
        tf.dispose(best);
        best = model.getWeights().map((w) => w.clone());
      } else if (validation.length && o.patience > 0 && ++sinceBest >= o.patience) {
        history.stoppedEarly = epoch < o.epochs;
        break;
      }
    }
    if (best && validation.length) model.setWeights(best);
    if (!validation.length) history.bestEpoch = history.epochs.length;
  } finally {
    tf.dispose(best);
    optimizer.dispose();
  }
  return history;
}
