/**
 * The sample-based training paths of `train:classifier` (`--samples crops | tiles | images`): the
 * dataset's train and val splits become samples (`models/classifier_data.ts`), which
 * `trainClassifier` fits. Its counterpart for image-level multiple-instance training is
 * `classifier_mil.ts`. The supervision level comes from the data builder's report: crops and tiles
 * read the voxel masks, images only the presence label.
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import { describeSupervision, type SupervisionLevel } from "../data/supervision.ts";
import type { Vec3 } from "../data/types.ts";
import type * as tfl from "@tensorflow/tfjs-layers";
import { type SampleReport, samplesFromDataset, type SampleSource } from "../models/classifier_data.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import { type EpochMetrics, trainClassifier, type TrainingHistory } from "../models/classifier_training.ts";
import { modelInputShape } from "../models/classifier.ts";

/** The options of the CLI config this path reads (see `ClassifierCliConfig`). */
export interface SampleRunConfig {
  /** How cases become samples. */
  samples: SampleSource["mode"];
  /** Tiles per axis (tiles mode). */
  tileGrid: Vec3;
  /** Target voxels that make a crop or tile positive. */
  minTargetVoxels: number;
  /** Crop size z,y,x. */
  cropSize: Vec3;
  /** Crops per case around target, near it and elsewhere. */
  crops: { around: number; near: number; elsewhere: number };
  /** Range of crop scale factors. */
  cropScale: [number, number];
  /** Intensity window. */
  window: IntensityWindow;
  /** Seed of crops, shuffling and augmentation. */
  seed: number;
  /** Maximum epochs. */
  epochs: number;
  /** Samples per batch. */
  batchSize: number;
  /** Adam learning rate. */
  learningRate: number;
  /** Early-stopping patience. */
  patience: number;
  /** Batch-norm recalibration samples. */
  recalibration: number;
}

/** Progress callbacks. */
export interface SampleRunCallbacks {
  /** After each batch. */
  onBatch: (epoch: number, batch: number, batches: number, loss: number) => void;
  /** After each epoch. */
  onEpoch: (metrics: EpochMetrics) => void;
}

/**
 * Builds samples of the train and val splits (printing counts and the supervision level to stderr)
 * and trains `model` on them.
 *
 * @returns the history, the supervision level and both splits' sample reports
 */
export async function trainSamplesOnDataset(
  model: tfl.LayersModel,
  dataset: Dataset,
  config: SampleRunConfig,
  callbacks: SampleRunCallbacks,
): Promise<
  { history: TrainingHistory; supervision: SupervisionLevel; train: SampleReport; validation: SampleReport }
> {
  const inputShape = modelInputShape(model);
  const source = {
    mode: config.samples,
    grid: config.tileGrid,
    target: dataset.target,
    minTargetVoxels: config.minTargetVoxels,
    ambiguousBelow: config.minTargetVoxels,
    cropSize: config.cropSize,
    crops: config.crops,
    cropScale: config.cropScale,
  };
  const load = async (split: "train" | "val") => {
    const part = dataset.split(split);
    const result = await samplesFromDataset(
      part.cases(),
      inputShape,
      config.window,
      // Distinct crop placements for the two splits.
      { ...source, seed: config.seed + (split === "train" ? 0 : 1) },
      (done) =>
        Deno.stderr.writeSync(new TextEncoder().encode(`\rloading ${split}: ${done}/${part.refs.length}`)),
    );
    const r = result.report;
    console.error(
      `\r${split}: ${r.cases} cases -> ${r.samples} samples (${r.positives} positive, ${r.negatives} negative` +
        `${r.dropped ? `, ${r.dropped} ${config.samples} dropped as ambiguous` : ""})`,
    );
    return result;
  };
  const train = await load("train"), val = await load("val");
  const supervision = train.report.supervision;
  console.error(`supervision: ${describeSupervision(supervision)}`);
  if (train.report.positives === 0 || train.report.negatives === 0) {
    console.error(
      "warning: the training samples hold a single class; the classifier cannot learn to separate",
    );
  }
  const history = await trainClassifier(model, train.samples, val.samples, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    seed: config.seed,
    patience: config.patience,
    recalibrationSamples: config.recalibration,
    onBatch: callbacks.onBatch,
    onEpoch: callbacks.onEpoch,
  });
  return { history, supervision, train: train.report, validation: val.report };
}
