/**
 * The image-level training path of the presence classifier, shared by `train:classifier`
 * (`--supervision image-level`) and the pipeline (config field `classifier.supervision:
 * "image-level"`): multiple-instance learning on whole volumes of a dataset split with their
 * presence label only (`models/mil_data.ts`, `models/mil_training.ts`). The dataset's cases go
 * through `bagsFromCases`, which keeps id, image and presence: no voxel label reaches the trainer.
 *
 * Also the `--mil-*` options of the classifier CLI (parsing, defaults, help lines).
 *
 * @module
 */
import type { Dataset } from "../data/dataset.ts";
import type { Vec3 } from "../data/types.ts";
import type { IntensityWindow } from "../models/classifier_input.ts";
import type { EpochMetrics, TrainingHistory } from "../models/classifier_training.ts";
import { bagsFromCases, defaultInstanceStride, type MilBag } from "../models/mil_data.ts";
import { MIL_POOLINGS, type MilPooling, trainMil } from "../models/mil_training.ts";
import type * as tfl from "@tensorflow/tfjs-layers";
import { buildClassifier, resolveArchitecture } from "../models/classifier.ts";
import { saveClassifier } from "../models/checkpoint.ts";

/** The MIL settings of one run (`--mil-*`). */
export interface MilCliOptions {
  /** Bag pooling of positive bags. */
  pooling: MilPooling;
  /** Top-scoring windows per bag and step. */
  topK: number;
  /** Random windows per bag and step. */
  randomK: number;
  /** Bags per step. */
  bagsPerStep: number;
  /** Steps per epoch (null: one pass over the training volumes). */
  stepsPerEpoch: number | null;
  /** Lattice step z,y,x of the training windows (null: a quarter of the window). */
  stride: Vec3 | null;
}

/** Defaults of the `--mil-*` options. */
export const MIL_CLI_DEFAULTS: Readonly<MilCliOptions> = {
  pooling: "max",
  topK: 2,
  randomK: 2,
  bagsPerStep: 4,
  stepsPerEpoch: null,
  stride: null,
};

/** `parseArgs` specs of the options this module reads (spread into the CLI's). */
export const MIL_CLI_ARG_SPECS = {
  supervision: { type: "string" },
  "mil-pooling": { type: "string" },
  "mil-instances": { type: "string" },
  "mil-bags": { type: "string" },
  "mil-steps": { type: "string" },
  "mil-stride": { type: "string" },
} as const;

const D = MIL_CLI_DEFAULTS;

/** The `--help` lines of these options. */
export const MIL_CLI_HELP: string =
  `  --supervision <level>   image-level: multiple-instance training on whole volumes with their presence
                          label only (no voxel label is read; instances are --crop-size windows, see
                          --mil-*). Without it --samples decides (crops and tiles read voxel masks)
  --mil-pooling <p>       ${
    MIL_POOLINGS.join(" | ")
  }: bag score from its windows' scores (default ${D.pooling})
  --mil-instances <t,r>   windows per volume and step: top-scoring so far, random (default ${D.topK},${D.randomK})
  --mil-bags <n>          volumes per step (default ${D.bagsPerStep})
  --mil-steps <n>         steps per epoch (default: one pass over the training volumes)
  --mil-stride <ZxYxX>    lattice step of the windows (default a quarter of --crop-size)`;

/** A bad `--supervision` or `--mil-*` value; the message starts with the flag. */
export class MilUsageError extends Error {}

function positiveInt(flag: string, text: string): number {
  const v = Number(text);
  if (!(Number.isInteger(v) && v >= 1)) {
    throw new MilUsageError(`--${flag} must be an integer >= 1, got "${text}"`);
  }
  return v;
}

/**
 * Reads `--supervision` and `--mil-*` from parsed arguments.
 *
 * @param values the `parseArgs` values
 * @returns the MIL settings with `--supervision image-level`, else null
 * @throws {MilUsageError} on a bad value, `--mil-*` without `--supervision image-level`, or
 *   `--supervision image-level` with `--samples`
 */
export function parseMilCliArgs(values: Record<string, string | boolean | undefined>): MilCliOptions | null {
  const supervision = values.supervision as string | undefined;
  const milFlags = Object.keys(MIL_CLI_ARG_SPECS).filter((k) =>
    k.startsWith("mil-") && values[k] !== undefined
  );
  if (supervision === undefined) {
    if (milFlags.length) throw new MilUsageError(`--${milFlags[0]} needs --supervision image-level`);
    return null;
  }
  if (supervision !== "image-level") {
    throw new MilUsageError(
      `--supervision must be image-level (the other levels come from --samples), got "${supervision}"`,
    );
  }
  if (values.samples !== undefined) {
    throw new MilUsageError("--supervision image-level trains on whole volumes: drop --samples");
  }
  const pooling = (values["mil-pooling"] as string | undefined) ?? D.pooling;
  if (!MIL_POOLINGS.includes(pooling as MilPooling)) {
    throw new MilUsageError(`--mil-pooling must be one of ${MIL_POOLINGS.join(", ")}, got "${pooling}"`);
  }
  let topK = D.topK, randomK = D.randomK;
  const instances = values["mil-instances"] as string | undefined;
  if (instances !== undefined) {
    const parts = instances.split(",").map(Number);
    if (
      parts.length !== 2 || !parts.every((v) => Number.isInteger(v) && v >= 0) || parts[0] + parts[1] < 1
    ) {
      throw new MilUsageError(
        `--mil-instances must be "top,random", integers >= 0, not both 0, got "${instances}"`,
      );
    }
    [topK, randomK] = parts;
  }
  const steps = values["mil-steps"] as string | undefined,
    stride = values["mil-stride"] as string | undefined;
  let strideShape: Vec3 | null = null;
  if (stride !== undefined) {
    const parts = stride.split("x").map(Number);
    if (parts.length !== 3 || !parts.every((v) => Number.isInteger(v) && v >= 1)) {
      throw new MilUsageError(`--mil-stride must be three positive integers like 6x12x12, got "${stride}"`);
    }
    strideShape = [parts[0], parts[1], parts[2]];
  }
  return {
    pooling: pooling as MilPooling,
    topK,
    randomK,
    bagsPerStep: values["mil-bags"] !== undefined
      ? positiveInt("mil-bags", values["mil-bags"] as string)
      : D.bagsPerStep,
    stepsPerEpoch: steps !== undefined ? positiveInt("mil-steps", steps) : null,
    stride: strideShape,
  };
}

/** Class counts of the bags of a split. */
export interface BagReport {
  /** Volumes read. */
  cases: number;
  /** Volumes with presence 1. */
  positives: number;
  /** Volumes with presence 0. */
  negatives: number;
  /** Always "image-level". */
  supervision: "image-level";
}

/** Bags of one split of `dataset` (labels stripped) and their counts. */
export async function loadBags(
  dataset: Dataset,
  split: "train" | "val",
): Promise<{ bags: MilBag[]; report: BagReport }> {
  const bags = await bagsFromCases(dataset.split(split).cases());
  const positives = bags.filter((b) => b.presence === 1).length;
  return {
    bags,
    report: { cases: bags.length, positives, negatives: bags.length - positives, supervision: "image-level" },
  };
}

/** What {@link trainMilOnDataset} needs besides the model and the data. */
export interface MilRunOptions extends MilCliOptions {
  /** Instance window z,y,x (the game's window). */
  window: Vec3;
  /** Intensity window of the inputs. */
  intensityWindow: IntensityWindow;
  /** Maximum epochs. */
  epochs: number;
  /** Seed of bag order, instance draws and augmentation. */
  seed: number;
  /** Adam learning rate (default 1e-3). */
  learningRate?: number;
  /** Early-stopping patience in epochs (default 5). */
  patience?: number;
  /** Batch-norm recalibration samples (default 256). */
  recalibrationSamples?: number;
  /** Called after each step. */
  onStep?: (epoch: number, step: number, steps: number, loss: number) => void;
  /** Called after each epoch. */
  onEpoch?: (metrics: EpochMetrics) => void;
}

/**
 * Trains `model` by MIL on the dataset's train split (validation: its val split), whole volumes with
 * presence labels only.
 *
 * @returns the history and the bag counts of both splits
 */
export async function trainMilOnDataset(
  model: tfl.LayersModel,
  dataset: Dataset,
  options: MilRunOptions,
  log: (line: string) => void,
): Promise<{ history: TrainingHistory; train: BagReport; validation: BagReport }> {
  const train = await loadBags(dataset, "train"), val = await loadBags(dataset, "val");
  const stride = options.stride ?? defaultInstanceStride(options.window);
  for (const [name, r] of [["train", train.report], ["val", val.report]] as const) {
    log(
      `${name}: ${r.cases} volumes (${r.positives} positive) as bags of ${options.window.join("x")} windows`,
    );
  }
  log(
    `MIL: pooling ${options.pooling}, per volume and step ${options.topK} top + ${options.randomK} random ` +
      `windows on a ${stride.join("x")} lattice, ${options.bagsPerStep} volumes per step`,
  );
  const history = await trainMil(model, train.bags, val.bags, {
    window: options.window,
    intensityWindow: options.intensityWindow,
    stride,
    pooling: options.pooling,
    topK: options.topK,
    randomK: options.randomK,
    bagsPerStep: options.bagsPerStep,
    stepsPerEpoch: options.stepsPerEpoch ?? undefined,
    epochs: options.epochs,
    learningRate: options.learningRate,
    seed: options.seed,
    patience: options.patience,
    recalibrationSamples: options.recalibrationSamples,
    onStep: options.onStep,
    onEpoch: options.onEpoch,
  });
  return { history, train: train.report, validation: val.report };
}

/** Options of {@link trainMilClassifierTo}. */
export interface MilClassifierOptions {
  /** The game's window z,y,x: the instances, and the network input shape (as the pipeline's classifier). */
  window: Vec3;
  /** Intensity window of the inputs. */
  intensityWindow: IntensityWindow;
  /** Image channels of the cases (default 1; `--channels`). */
  inputChannels?: number;
  /** Maximum epochs. */
  epochs: number;
  /** Seed of initialisation, bag order, instance draws and augmentation. */
  seed: number;
  /** MIL settings (default {@link MIL_CLI_DEFAULTS}; `stepsPerEpoch` null: {@link MIL_PIPELINE_STEPS}). */
  mil?: Partial<MilCliOptions>;
  /** Extra fields of the checkpoint's `training` summary (e.g. the data spec). */
  training?: Record<string, unknown>;
}

/**
 * Steps per epoch of {@link trainMilClassifierTo} unless set: 17 steps of 4 volumes x 4 windows = 272
 * windows, the crop samples per epoch of the default crops training on the default phantoms (17
 * training cases x 16 crops), i.e. the same training budget per epoch.
 */
export const MIL_PIPELINE_STEPS = 17;

/**
 * Builds, trains (MIL on the train split, validation on val) and saves a classifier to `dir` with
 * supervision "image-level": the pipeline's image-level path (config field
 * `classifier.supervision: "image-level"`). Patience 3 and batch-norm recalibration over 256
 * windows, as the default crops training.
 *
 * @returns the training history
 */
export async function trainMilClassifierTo(
  dir: string,
  dataset: Dataset,
  options: MilClassifierOptions,
  log: (line: string) => void,
): Promise<TrainingHistory> {
  const architecture = resolveArchitecture({
    inputShape: options.window,
    inputChannels: options.inputChannels,
  });
  const mil: MilCliOptions = { ...MIL_CLI_DEFAULTS, ...options.mil };
  const model = buildClassifier(architecture, options.seed);
  try {
    const { history, train, validation } = await trainMilOnDataset(model, dataset, {
      ...mil,
      stepsPerEpoch: mil.stepsPerEpoch ?? MIL_PIPELINE_STEPS,
      window: options.window,
      intensityWindow: options.intensityWindow,
      epochs: options.epochs,
      seed: options.seed,
      patience: 3,
      recalibrationSamples: 256,
      onEpoch: (m) =>
        log(
          `classifier (MIL) epoch ${m.epoch}/${options.epochs}: train loss ${m.trainLoss.toFixed(3)}, ` +
            `val bag loss ${m.validation.loss.toFixed(3)} AUC ${m.validation.auc.toFixed(3)} (${
              m.seconds.toFixed(0)
            } s)`,
        ),
    }, log);
    await saveClassifier(model, dir, {
      intensityWindow: options.intensityWindow,
      architecture,
      supervision: "image-level",
      training: {
        ...options.training,
        samples: "whole volumes (MIL)",
        mil,
        balance: { train, validation },
        bestEpoch: history.bestEpoch,
        epochsRun: history.epochs.length,
        validation: history.epochs[history.bestEpoch - 1]?.validation,
      },
    }, { overwrite: true });
    return history;
  } finally {
    model.dispose();
  }
}
