/**
 * `ClassifierScorer`: the presence classifier behind env's `Scorer` contract. Each window is
 * cropped, resampled to the network input shape and windowed in intensity exactly as in training
 * (`classifier_input.ts`), written into one preallocated batch buffer, and scored in batches.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs-core";
import type * as tfl from "@tensorflow/tfjs-layers";
import { InvalidArgumentError } from "../data/errors.ts";
import { assertFiniteWindows } from "../data/finite.ts";
import type { Vec3, Volume } from "../data/types.ts";
import type { Scorer } from "../env/scorer.ts";
import { modelInputChannels, modelInputShape } from "./classifier.ts";
import { checkIntensityWindow, type IntensityWindow, writeClassifierInput } from "./classifier_input.ts";
import {
  type ClassifierMeta,
  type ClassifierSupervision,
  loadClassifier,
  weightsSha256,
} from "./checkpoint.ts";

/** Options of {@link ClassifierScorer}. */
export interface ClassifierScorerOptions {
  /** Windows per network call (default 16). */
  batchSize?: number;
}

/** Options of {@link ClassifierScorer.fromModel}: an unsaved model also needs its supervision level. */
export interface ClassifierScorerModelOptions extends ClassifierScorerOptions {
  /** How the model's training examples were labelled (default "unknown"). */
  supervision?: ClassifierSupervision;
}

/** What a scorer needs to know about its model besides the model itself. */
export interface ClassifierScorerSpec {
  /** Intensity window of the checkpoint (null: volumes already in [0, 1]). */
  intensityWindow: IntensityWindow;
  /** Identifies the weights (e.g. a checkpoint's SHA-256): part of the scorer id and cache keys. */
  weightsId: string;
  /** How the model's training examples were labelled (default "unknown"; a checkpoint's `supervision`). */
  supervision?: ClassifierSupervision;
}

/**
 * Scores windows with a classifier. The score of a window depends only on the volume, the corner
 * and the size, as the `Scorer` contract (and `CachedScorer`) require: inference uses the running
 * batch-norm statistics, never the batch.
 */
export class ClassifierScorer implements Scorer {
  /** `classifier:<first 12 characters of the weights id>`. */
  readonly id: string;
  /** Network input shape z,y,x every window is resampled to. */
  readonly inputShape: Vec3;
  /** Intensity window applied after resampling. */
  readonly intensityWindow: IntensityWindow;
  /** Windows per network call. */
  readonly batchSize: number;
  /**
   * Supervision level of the model's training data (from the checkpoint, or as given): what a
   * result scored with it may claim, e.g. "image-level" only for a multiple-instance classifier.
   */
  readonly supervision: ClassifierSupervision;
  readonly #model: tfl.LayersModel;
  readonly #buffer: Float32Array;
  /** Values per network input: input voxels times channels. */
  readonly #voxels: number;
  readonly #channels: number;

  /**
   * A scorer over a model; windows are resampled to the model's input shape.
   *
   * @param model a classifier (input [N, D, H, W, C], output [N, 1]; C > 1 scores the channels a
   *   dataset registered for the volume, data/channels.ts)
   * @param spec intensity window and weights id
   * @param options batch size
   * @throws {InvalidArgumentError} on a bad batch size, window or empty weights id
   */
  constructor(model: tfl.LayersModel, spec: ClassifierScorerSpec, options: ClassifierScorerOptions = {}) {
    const batchSize = options.batchSize ?? 16;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new InvalidArgumentError("batchSize", `is ${batchSize}`, "an integer >= 1");
    }
    checkIntensityWindow(spec.intensityWindow);
    if (!spec.weightsId) {
      throw new InvalidArgumentError("weightsId", "is empty", "an identifier of the weights");
    }
    this.#model = model;
    this.inputShape = modelInputShape(model);
    this.intensityWindow = spec.intensityWindow;
    this.batchSize = batchSize;
    this.supervision = spec.supervision ?? "unknown";
    this.id = `classifier:${spec.weightsId.slice(0, 12)}`;
    this.#channels = modelInputChannels(model);
    this.#voxels = this.inputShape[0] * this.inputShape[1] * this.inputShape[2] * this.#channels;
    this.#buffer = new Float32Array(batchSize * this.#voxels);
  }

  /** A scorer over a checkpoint directory (validated by `loadClassifier`); id from its SHA-256. */
  static async load(dir: string, options: ClassifierScorerOptions = {}): Promise<ClassifierScorer> {
    const { model, meta } = await loadClassifier(dir);
    return ClassifierScorer.fromMeta(model, meta, options);
  }

  /** A scorer over a model and its checkpoint meta. */
  static fromMeta(
    model: tfl.LayersModel,
    meta: ClassifierMeta,
    options: ClassifierScorerOptions = {},
  ): ClassifierScorer {
    return new ClassifierScorer(model, {
      intensityWindow: meta.intensityWindow,
      weightsId: meta.weights.sha256,
      supervision: meta.supervision,
    }, options);
  }

  /**
   * A scorer over an unsaved model: the weights id is the SHA-256 of its current weights; its
   * supervision level is `options.supervision` ("unknown" when not given).
   */
  static async fromModel(
    model: tfl.LayersModel,
    intensityWindow: IntensityWindow,
    options: ClassifierScorerModelOptions = {},
  ): Promise<ClassifierScorer> {
    const { supervision, ...rest } = options;
    return new ClassifierScorer(
      model,
      { intensityWindow, weightsId: await weightsSha256(model), supervision },
      rest,
    );
  }

  /**
   * Scores `corners.length / 3` windows of `size` (z,y,x) at `corners` (z,y,x triples) of `volume`.
   *
   * @returns probabilities in [0, 1], one per corner, in order
   * @throws {InvalidArgumentError} when `corners.length` is not a multiple of 3 or a window does
   *   not fit inside the volume
   * @throws {NonFiniteVoxelError} naming the case id when a window holds NaN/Inf voxels (clipping
   *   by the intensity window would otherwise hide them)
   */
  async score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    if (corners.length % 3 !== 0) {
      throw new InvalidArgumentError(
        "corners",
        `has length ${corners.length}`,
        "a multiple of 3 (z,y,x triples)",
      );
    }
    assertFiniteWindows(volume, corners, size, this.id);
    const count = corners.length / 3, out = new Float32Array(count), [d, h, w] = this.inputShape;
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start);
      for (let i = 0; i < n; i++) {
        const c = 3 * (start + i);
        const corner: Vec3 = [corners[c], corners[c + 1], corners[c + 2]];
        const slot = this.#buffer.subarray(i * this.#voxels, (i + 1) * this.#voxels);
        writeClassifierInput(volume, corner, size, this.inputShape, this.intensityWindow, slot);
      }
      const x = tf.tensor5d(this.#buffer.subarray(0, n * this.#voxels), [n, d, h, w, this.#channels]);
      try {
        const p = this.#model.predict(x) as tf.Tensor;
        try {
          out.set(await p.data() as Float32Array, start);
        } finally {
          p.dispose();
        }
      } finally {
        x.dispose();
      }
    }
    return out;
  }

  /** Releases the model's weights. The scorer is unusable afterwards. */
  dispose(): void {
    this.#model.dispose();
  }
}
