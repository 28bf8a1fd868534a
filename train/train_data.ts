/**
 * The data options of `deno task train` (the `data` section of {@link TrainConfig}): the intensity
 * window that follows from `--intensity` when `--intensity-window` is not given, the dataset they
 * open (phantoms, or a folder through `data/data_source.ts`, as evaluation opens it from the run's
 * config.json), and the lines printed at start naming the target labels and their source.
 *
 * @module
 */
import { type Dataset, phantomDataset } from "../data/dataset.ts";
import { type DataSourceOptions, describeDataSource, openDataSource } from "../data/data_source.ts";
import {
  DEFAULT_INTENSITY,
  type IntensityOptions,
  ZSCORE_INTENSITY_WINDOW,
} from "../data/intensity_options.ts";
import type { TrainConfig } from "./train_config.ts";
import { UsageError } from "./option_values.ts";

/** The config's intensity options (older configs without them: window, no clipping). */
export function intensityOf(config: TrainConfig): IntensityOptions {
  return config.data.intensity ?? DEFAULT_INTENSITY;
}

/**
 * The rules between data options: sets the classifier's intensity window from `--intensity` when
 * `--intensity-window` was not given (`[-3, 7]` for z-scored data, none for `none`; the CT default
 * stays for `window`), and refuses options that set one value twice.
 * @param given the option names (without dashes) the command line set
 * @throws {UsageError} for `--intensity none` with an intensity window, `--split-seed` with
 *   `--phantom-seed`, `--fold` with `--split`
 */
export function applyDataOptions(config: TrainConfig, given: ReadonlySet<string>): void {
  if (given.has("split-seed") && given.has("phantom-seed")) {
    throw new UsageError("--split-seed", "is given with --phantom-seed (one value)", "one of the two");
  }
  if (given.has("fold") && given.has("split")) {
    throw new UsageError("--fold", "is given with --split", "one of the two: k-fold or fractions");
  }
  const mode = intensityOf(config).mode;
  if (given.has("intensity-window")) {
    if (mode === "none" && config.classifier.intensityWindow !== null) {
      throw new UsageError(
        "--intensity-window",
        `is ${config.classifier.intensityWindow.join(",")} with --intensity none`,
        "none (or another --intensity)",
      );
    }
    return;
  }
  if (mode === "none") config.classifier.intensityWindow = null;
  if (mode === "zscore" || mode === "zscore-nonzero") {
    config.classifier.intensityWindow = [ZSCORE_INTENSITY_WINDOW[0], ZSCORE_INTENSITY_WINDOW[1]];
  }
}

/** The image channels of a run's cases: one per `--channels` modality, else 1. */
export function imageChannelsOf(config: TrainConfig): number {
  return config.data.channels?.length ?? 1;
}

/** The folder data options of a run (spec, split seed and fractions, target, channels, intensity). */
export function trainDataSource(config: TrainConfig): DataSourceOptions {
  const d = config.data;
  const [train, val, test] = d.fractions ?? [0.7, 0.15, 0.15];
  return {
    spec: d.spec,
    seed: d.seed,
    fractions: { train, val, test },
    folds: d.folds ?? null,
    target: d.target,
    channels: d.channels ?? null,
    intensity: intensityOf(config),
  };
}

/**
 * The dataset of a run: phantoms generated on demand, or the folder of `--data`.
 * @throws the dataset's errors (a missing or malformed folder) before anything is written
 */
export async function openTrainData(config: TrainConfig): Promise<Dataset> {
  const d = config.data;
  if (d.spec === "phantoms") {
    const { fractions } = trainDataSource(config);
    return phantomDataset({
      count: d.count,
      seed: d.seed,
      shape: d.shape,
      tumours: d.tumours,
      tumourRadiusMm: d.tumourRadiusMm,
      ...(fractions ? { fractions } : {}),
    });
  }
  return await openDataSource(trainDataSource(config));
}

/**
 * Checks, before anything is written, that tau can be calibrated: with `--tau-quantile` (and a
 * classifier scorer), the val split must hold a tumour-free case (BraTS: none does). Val cases are
 * loaded until one is found (presence comes from their labels or a CSV).
 * @throws {UsageError} naming `--tau-quantile` when the val split holds no tumour-free case
 */
export async function checkTauCalibrationData(config: TrainConfig, dataset: Dataset): Promise<void> {
  const quantile = config.calibration?.tauQuantile ?? null;
  if (quantile === null || config.scorer === "oracle") return;
  const val = dataset.split("val");
  for (const ref of val.refs) {
    if ((ref.presence ?? (await val.load(ref)).presence) === 0) return;
  }
  throw new UsageError(
    "--tau-quantile",
    `is ${quantile}, but the val split (${val.refs.length} cases) holds no tumour-free case to calibrate tau on`,
    "--tau-quantile none with a fixed --tau (every BraTS case holds tumour), or data with tumour-free cases",
  );
}

/** The lines `train` prints at start about its data (see `describeDataSource`). */
export function describeTrainData(config: TrainConfig, dataset: Dataset): string[] {
  const source = trainDataSource(config);
  return describeDataSource(dataset, source, "--target", config.classifier.intensityWindow);
}
