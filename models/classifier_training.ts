/**
 * Training of the presence classifier on labelled samples: every sample is one image (or one
 * sub-volume of an image, a tile or a crop, whose label the data layer derived) resampled to the
 * input shape with its `presence` label. Voxel labels are never read HERE, but tiles and crops got
 * their labels (and crops their places) from the voxel masks: the supervision level is the data
 * builder's (`SampleReport.supervision`), "image-level" only for whole images. Image-level training
 * that yields a window scorer is `mil_training.ts`.
 *
 * Seeded shuffling and augmentation, class-balanced mini-batches, Adam (lr 1e-3, the paper's) on
 * binary cross-entropy, per-epoch validation metrics, early stopping on the validation loss with
 * the best weights restored at the end.
 *
 * Batch-norm statistics: during training each batch normalises with its own statistics and the
 * running statistics follow them with momentum 0.9, i.e. they average the last ~10 batches of 8
 * samples, computed with weights that have moved since. Inference (validation, window scoring) with
 * such statistics was measured to be badly calibrated and noisy (validation accuracy 0.5 at AUC 0.8,
 * validation loss jumping 0.5 -> 1.8 between epochs), which made early stopping pick epochs at random.
 * So after every epoch the running statistics are recomputed with the current weights over a fixed
 * subset of training samples ("precise batch norm", {@link recalibrateBatchNorm}).
 *
 * Augmentation is safe for weak labels: flips along z, y and x (presence does not change under a
 * flip) and a small intensity jitter `v * (1 + a) + b` with a, b uniform in [-jitter, jitter]
 * (no crop or shift that could push the target out of the sample).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import * as tfl from "@tensorflow/tfjs-layers";
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { recalibrateBatchNorm } from "./batch_norm3d.ts";
import { modelInputChannels, modelInputShape } from "./classifier.ts";
import { type IntensityWindow, wholeImageInput } from "./classifier_input.ts";
import { type BinaryMetrics, binaryMetrics } from "./classifier_metrics.ts";

/** One training or validation sample: a preprocessed input and its weak label. */
export interface ClassifierSample {
  /** Case (or tile) id. */
  id: string;
  /** Classifier input, `inputShape` voxels z,y,x, already windowed. */
  input: Float32Array;
  /** Image-level label: 1 = target present. */
  presence: 0 | 1;
}

/** Counts of each class. */
export interface ClassBalance {
  /** Samples with presence 1. */
  positives: number;
  /** Samples with presence 0. */
  negatives: number;
}

/** Metrics of one epoch. */
export interface EpochMetrics {
  /** 1-based epoch number. */
  epoch: number;
  /** Mean training loss over the epoch's batches (augmented samples, training-mode batch norm). */
  trainLoss: number;
  /** Training accuracy at 0.5 over the same batches. */
  trainAccuracy: number;
  /** Validation metrics (inference mode); NaN fields without validation samples. */
  validation: BinaryMetrics;
  /** Wall-clock seconds of the epoch (training and validation). */
  seconds: number;
}

/** What {@link trainClassifier} returns. */
export interface TrainingHistory {
  /** One entry per epoch run. */
  epochs: EpochMetrics[];
  /** Epoch whose weights the model holds at the end (lowest validation loss; the last without validation). */
  bestEpoch: number;
  /** True when early stopping ended the training before `epochs`. */
  stoppedEarly: boolean;
  /** Class counts of the training and validation samples. */
  balance: { train: ClassBalance; validation: ClassBalance };
}

/** Options of {@link trainClassifier}. */
export interface TrainClassifierOptions {
  /** Maximum number of epochs (default 20). */
  epochs?: number;
  /** Samples per batch (default 8). */
  batchSize?: number;
  /** Adam learning rate (default 1e-3, the paper's). */
  learningRate?: number;
  /** Seed of shuffling and augmentation (default 0). */
  seed?: number;
  /** Epochs without a validation-loss improvement before stopping (default 5; 0 disables). */
  patience?: number;
  /** Random flips along each axis (default true). */
  flips?: boolean;
  /** Intensity jitter amplitude, in input units (default 0.05; 0 disables). */
  intensityJitter?: number;
  /**
   * Class-balanced batches (default true): every batch alternates positive and negative samples,
   * each class cycling through its own reshuffled list, so the minority class is repeated rather
   * than outnumbered. Falls back to plain shuffling when a class is absent.
   */
  balanceClasses?: boolean;
  /**
   * Training samples over which the batch-norm running statistics are recomputed after each epoch
   * (default 256; 0 keeps the momentum-updated statistics). See {@link recalibrateBatchNorm}.
   */
  recalibrationSamples?: number;
  /** Called after each batch (for a progress bar). */
  onBatch?: (epoch: number, batch: number, batches: number, loss: number) => void;
  /** Called after each epoch. */
  onEpoch?: (metrics: EpochMetrics) => void;
}

/**
 * Converts cases with image-level labels into samples: each whole image resampled to the input
 * shape and windowed. Reads `presence` only (never `labels`).
 *
 * @param cases cases (or tiles) with `presence` set
 * @param inputShape network input shape z,y,x
 * @param window intensity window or null
 * @throws {DatasetError} when a case has no `presence`
 */
export async function samplesFromCases(
  cases: Iterable<Case> | AsyncIterable<Case>,
  inputShape: Vec3,
  window: IntensityWindow,
): Promise<ClassifierSample[]> {
  const samples: ClassifierSample[] = [];
  for await (const c of cases) {
    if (c.presence !== 0 && c.presence !== 1) {
      throw new DatasetError(`case ${c.id}`, "has no image-level presence label", "presence 0 or 1");
    }
    samples.push({ id: c.id, input: wholeImageInput(c.image, inputShape, window), presence: c.presence });
  }
  return samples;
}

/** Class counts of samples. */
export function classBalance(samples: readonly ClassifierSample[]): ClassBalance {
  const positives = samples.filter((s) => s.presence === 1).length;
  return { positives, negatives: samples.length - positives };
}

/**
 * Writes an augmented copy of `src` (shape z,y,x) into `dst`: independent random flips along each
 * axis (when `flips`) and `v * (1 + a) + b`, a and b uniform in [-jitter, jitter].
 */
export function augmentInto(
  src: Float32Array,
  shape: Vec3,
  rng: Rng,
  flips: boolean,
  jitter: number,
  dst: Float32Array,
): void {
  const [nz, ny, nx] = shape;
  const fz = flips && rng.float() < 0.5, fy = flips && rng.float() < 0.5, fx = flips && rng.float() < 0.5;
  const a = jitter > 0 ? 1 + rng.uniform(-jitter, jitter) : 1;
  const b = jitter > 0 ? rng.uniform(-jitter, jitter) : 0;
  let o = 0;
  for (let z = 0; z < nz; z++) {
    const sz = fz ? nz - 1 - z : z;
    for (let y = 0; y < ny; y++) {
      const row = (sz * ny + (fy ? ny - 1 - y : y)) * nx;
      if (fx) { for (let x = nx - 1; x >= 0; x--) dst[o++] = src[row + x] * a + b; }
      else for (let x = 0; x < nx; x++) dst[o++] = src[row + x] * a + b;
    }
  }
}

/**
 * Probabilities of the model for samples, in batches, inference mode (running batch-norm
 * statistics). Disposes every tensor it creates.
 */
export async function predictSamples(
  model: tfl.LayersModel,
  samples: readonly ClassifierSample[],
  batchSize = 8,
): Promise<Float32Array> {
  const shape = modelInputShape(model), channels = modelInputChannels(model);
  const voxels = shape[0] * shape[1] * shape[2] * channels; // values per sample
  const out = new Float32Array(samples.length);
  const buffer = new Float32Array(batchSize * voxels);
  for (let start = 0; start < samples.length; start += batchSize) {
    const n = Math.min(batchSize, samples.length - start);
    for (let i = 0; i < n; i++) buffer.set(samples[start + i].input, i * voxels);
    const x = tf.tensor5d(buffer.subarray(0, n * voxels), [n, shape[0], shape[1], shape[2], channels]);
    const p = model.predict(x) as tf.Tensor;
    out.set(await p.data() as Float32Array, start);
    x.dispose();
    p.dispose();
  }
  return out;
}

function checkOptions(o: Required<Omit<TrainClassifierOptions, "onBatch" | "onEpoch">>): void {
  const checks: [string, boolean, string][] = [
    ["epochs", Number.isInteger(o.epochs) && o.epochs >= 1, "an integer >= 1"],
    ["batchSize", Number.isInteger(o.batchSize) && o.batchSize >= 1, "an integer >= 1"],
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
}

/**
 * Sample orders of successive epochs, each a list of `labels.length` sample indices: a plain
 * seeded shuffle, or class-balanced picks that alternate positive and negative (so every batch of
 * even size is half and half), each class cycling through its own list and reshuffling it whenever
 * it wraps, across epochs. The minority class is thus repeated, the majority seen in turn.
 */
export class EpochSampler {
  /** Whether orders are class-balanced (false when asked not to, or when a class is absent). */
  readonly balanced: boolean;
  readonly #rng: Rng;
  readonly #count: number;
  readonly #lists: number[][];
  readonly #next = [0, 0];

  /**
   * A sampler over samples with these labels.
   *
   * @param labels presence label per sample (0 or 1)
   * @param rng the seeded stream of every shuffle
   * @param balanced alternate classes (default true)
   */
  constructor(labels: ArrayLike<number>, rng: Rng, balanced = true) {
    this.#rng = rng;
    this.#count = labels.length;
    this.#lists = [[], []];
    for (let i = 0; i < labels.length; i++) this.#lists[labels[i] === 1 ? 0 : 1].push(i);
    this.balanced = balanced && this.#lists.every((l) => l.length > 0);
  }

  /** The next epoch's order. */
  next(): number[] {
    const order = Array.from({ length: this.#count }, (_, i) => i);
    if (!this.balanced) return this.#rng.shuffle(order);
    return order.map((i) => {
      const k = i % 2, list = this.#lists[k];
      if (this.#next[k] === 0) this.#rng.shuffle(list);
      const pick = list[this.#next[k]];
      this.#next[k] = (this.#next[k] + 1) % list.length;
      return pick;
    });
  }
}

/**
 * Trains `model` in place on `train`, validating on `validation` after each epoch, and restores
 * the weights of the epoch with the lowest validation loss.
 *
 * @param model a classifier from `buildClassifier` (or a loaded one, to fine-tune)
 * @param train training samples (inputs of the model's input shape)
 * @param validation validation samples (may be empty: no early stopping then)
 * @param options see {@link TrainClassifierOptions}
 * @returns the per-epoch history
 * @throws {DatasetError} when there are no training samples or a sample has the wrong size
 */
export async function trainClassifier(
  model: tfl.LayersModel,
  train: readonly ClassifierSample[],
  validation: readonly ClassifierSample[],
  options: TrainClassifierOptions = {},
): Promise<TrainingHistory> {
  const o = {
    epochs: options.epochs ?? 20,
    batchSize: options.batchSize ?? 8,
    learningRate: options.learningRate ?? 1e-3,
    seed: options.seed ?? 0,
    patience: options.patience ?? 5,
    flips: options.flips ?? true,
    intensityJitter: options.intensityJitter ?? 0.05,
    balanceClasses: options.balanceClasses ?? true,
    recalibrationSamples: options.recalibrationSamples ?? 256,
  };
  checkOptions(o);
  const shape = modelInputShape(model), channels = modelInputChannels(model);
  const voxels = shape[0] * shape[1] * shape[2] * channels; // values per sample
  if (train.length === 0) throw new DatasetError("train", "has no samples", "at least one training sample");
  for (const s of [...train, ...validation]) {
    if (s.input.length !== voxels) {
      throw new DatasetError(
        `sample ${s.id}`,
        `has ${s.input.length} values`,
        `${voxels} (${shape.join("x")} x ${channels} channel(s))`,
      );
    }
  }
  const rng = new Rng(o.seed);
  const optimizer = tf.train.adam(o.learningRate);
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const buffer = new Float32Array(o.batchSize * voxels);
  const labels = new Float32Array(o.batchSize);
  const sampler = new EpochSampler(train.map((s) => s.presence), rng, o.balanceClasses);
  // A fixed seeded subset of the training samples, un-augmented, for the batch-norm statistics.
  const recalibration = o.recalibrationSamples > 0
    ? new Rng(o.seed + 1).shuffle([...train]).slice(0, o.recalibrationSamples).map((s) => s.input)
    : [];
  const batches = Math.ceil(train.length / o.batchSize);
  const history: TrainingHistory = {
    epochs: [],
    bestEpoch: 0,
    stoppedEarly: false,
    balance: { train: classBalance(train), validation: classBalance(validation) },
  };
  let best: tf.Tensor[] | undefined, bestLoss = Infinity, sinceBest = 0;
  try {
    for (let epoch = 1; epoch <= o.epochs; epoch++) {
      const started = performance.now();
      const order = sampler.next();
      let lossSum = 0, correct = 0;
      for (let b = 0; b < batches; b++) {
        const n = Math.min(o.batchSize, train.length - b * o.batchSize);
        for (let i = 0; i < n; i++) {
          const s = train[order[b * o.batchSize + i]];
          augmentInto(
            s.input,
            shape,
            rng,
            o.flips,
            o.intensityJitter,
            buffer.subarray(i * voxels, (i + 1) * voxels),
          );
          labels[i] = s.presence;
        }
        const x = tf.tensor5d(buffer.subarray(0, n * voxels), [n, shape[0], shape[1], shape[2], channels]);
        const y = tf.tensor2d(labels.subarray(0, n), [n, 1]);
        let predictions: tf.Tensor | undefined;
        const loss = optimizer.minimize(
          () => {
            const p = model.apply(x, { training: true }) as tf.Tensor;
            predictions = tf.keep(p);
            return tf.mean(tfl.metrics.binaryCrossentropy(y, p)) as tf.Scalar;
          },
          true,
          variables,
        )!;
        const lossValue = (await loss.data())[0];
        const p = await predictions!.data();
        for (let i = 0; i < n; i++) if ((p[i] >= 0.5 ? 1 : 0) === labels[i]) correct++;
        lossSum += lossValue * n;
        tf.dispose([x, y, loss, predictions!]);
        options.onBatch?.(epoch, b + 1, batches, lossValue);
      }
      if (recalibration.length) await recalibrateBatchNorm(model, recalibration, 16);
      const validationMetrics = binaryMetrics(
        validation.length ? await predictSamples(model, validation, o.batchSize) : [],
        validation.map((s) => s.presence),
      );
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / train.length,
        trainAccuracy: correct / train.length,
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
