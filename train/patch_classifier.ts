/**
 * The classifier scorer of the patch game (`train:patch --scorer classifier`): the package's
 * object-presence classifier (`models/classifier.ts`) trained on the grid patches of the TRAINING
 * split, each labelled "patch holds tumour" from the voxel masks (`models/patch_samples.ts`), early
 * stopping on the validation split's patches, then scoring the game's patches as 3D windows of
 * depth 1 (1x3x3 kernels: `models/classifier.ts`). Supervision level of every result scored with
 * it: "crops labelled from voxel masks" (the patch labels come from the masks), never image-level.
 *
 * Defaults, measured on the embedded 1x64x64 phantoms, 8x8 grid (test patches of seed 0, one-off
 * script): input 1x8x8 (the 8x8-pixel patch at its own resolution; in a trial with balanced batches
 * 1x16x16 took 8x the time for a test AUC of 0.980 against 0.966), blocks 16, 32, 64 (validation
 * AUC 0.986), one hidden layer of 32, every
 * negative patch kept, NO class-balanced batches: with balanced batches the classifier learned a
 * 50% prior on positives (1 in 29 patches is one), so ~8% of negative patches scored above 0.5 and
 * the greedy union of patches above the threshold segmented at Dice 0.31-0.33 at every threshold;
 * trained on the natural class ratio, 0.5 is the plain "more likely tumour than not" threshold
 * (greedy Dice 0.49 on the test patches, 0.632 with the oracle's shares).
 *
 * @module
 */
import type * as tfl from "@tensorflow/tfjs-layers";
import type { Case, Vec3 } from "../data/types.ts";
import { buildClassifier, type ClassifierArchitecture, resolveArchitecture } from "../models/classifier.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import { ClassifierScorer } from "../models/classifier_scorer.ts";
import { trainClassifier, type TrainingHistory } from "../models/classifier_training.ts";
import { type PatchSampleReport, patchSamples } from "../models/patch_samples.ts";

/** Hyper-parameters of the patch classifier (each a `train:patch --classifier-*` flag). */
export interface PatchClassifierConfig {
  /** Network input shape z,y,x each patch is resampled to (depth 1 for 2D). Default 1x8x8. */
  readonly inputShape: Vec3;
  /** Output channels of the convolutional blocks. Default 16, 32, 64. */
  readonly channels: readonly number[];
  /** Hidden fully connected widths before the sigmoid output. Default 32. */
  readonly hiddenUnits: readonly number[];
  /** Maximum epochs. Default 20. */
  readonly epochs: number;
  /** Samples per batch. Default 32. */
  readonly batchSize: number;
  /** Adam learning rate. Default 1e-3. */
  readonly learningRate: number;
  /** Epochs without a validation-loss improvement before stopping (0: never). Default 5. */
  readonly patience: number;
  /** Class-balanced batches. Default false (see the module note). */
  readonly balanceClasses: boolean;
  /** A patch is labelled positive from this share of target voxels; 0 < share < this: dropped. Default 0.3. */
  readonly positiveShare: number;
  /** Negative patches kept per training (and validation) image. Default 64 (all of an 8x8 grid). */
  readonly negativesPerCase: number;
}

/** The defaults of {@link PatchClassifierConfig}. */
export const DEFAULT_PATCH_CLASSIFIER_CONFIG: PatchClassifierConfig = {
  inputShape: [1, 8, 8],
  channels: [16, 32, 64],
  hiddenUnits: [32],
  epochs: 20,
  batchSize: 32,
  learningRate: 1e-3,
  patience: 5,
  balanceClasses: false,
  positiveShare: 0.3,
  negativesPerCase: 64,
};

/** The game's presence threshold with the classifier scorer (a probability). */
export const CLASSIFIER_PRESENCE_THRESHOLD = 0.5;

/** A trained patch classifier and how it was made. */
export interface TrainedPatchClassifier {
  /** The scorer over the model (its `supervision` is "crops labelled from voxel masks"). */
  readonly scorer: ClassifierScorer;
  /** The model (disposed with the scorer). */
  readonly model: tfl.LayersModel;
  /** The architecture it was built with (for the checkpoint). */
  readonly architecture: ClassifierArchitecture;
  /** Training and validation samples. */
  readonly samples: { readonly train: PatchSampleReport; readonly validation: PatchSampleReport };
  /** Per-epoch metrics, best epoch. */
  readonly history: TrainingHistory;
  /** Wall time in seconds (samples and training). */
  readonly seconds: number;
}

/**
 * Trains the patch classifier on `train`'s patches (early stopping on `validation`'s).
 *
 * @param config hyper-parameters
 * @param data cases with voxel labels, the game grid, target label values, intensity window
 * @param seed seed of the initial weights, the negative draw, shuffling and augmentation
 * @param onEpoch called after each epoch (progress)
 * @throws {InvalidArgumentError} for a bad option or a case without labels
 * @throws {DatasetError} when the training patches are empty
 */
export async function trainPatchClassifier(
  config: PatchClassifierConfig,
  data: {
    readonly train: readonly Case[];
    readonly validation: readonly Case[];
    readonly grid: Vec3;
    readonly target: readonly number[];
    readonly intensityWindow: IntensityWindow;
  },
  seed: number,
  onEpoch: (line: string) => void = () => {},
): Promise<TrainedPatchClassifier> {
  const started = performance.now();
  const architecture = resolveArchitecture({
    inputShape: config.inputShape,
    channels: config.channels,
    hiddenUnits: config.hiddenUnits,
  });
  const sampling = {
    target: data.target,
    positiveShare: config.positiveShare,
    negativesPerCase: config.negativesPerCase,
    inputShape: config.inputShape,
    intensityWindow: data.intensityWindow,
  };
  const train = patchSamples(data.train, data.grid, { ...sampling, seed });
  const validation = patchSamples(data.validation, data.grid, { ...sampling, seed: seed + 1 });
  const model = buildClassifier(architecture, seed);
  const history = await trainClassifier(model, train.samples, validation.samples, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    learningRate: config.learningRate,
    patience: config.patience,
    balanceClasses: config.balanceClasses,
    seed,
    onEpoch: (m) =>
      onEpoch(
        `classifier epoch ${m.epoch}: train loss ${m.trainLoss.toFixed(3)}, validation loss ${
          m.validation.loss.toFixed(3)
        } AUC ${m.validation.auc.toFixed(3)} (${m.seconds.toFixed(1)} s)`,
      ),
  });
  const scorer = await ClassifierScorer.fromModel(model, data.intensityWindow, {
    batchSize: 64,
    supervision: train.report.supervision,
  });
  return {
    scorer,
    model,
    architecture,
    samples: { train: train.report, validation: validation.report },
    history,
    seconds: (performance.now() - started) / 1000,
  };
}
