/**
 * The data a CLI run reads, as its options name it (`--data`, `--target`, `--channels`,
 * `--intensity`, `--intensity-clip-percentiles`, the split seed and fractions), opened the same way
 * by training, classifier training and evaluation (which reads them back from the run's
 * config.json), and described in the lines each command prints at start: the target labels and
 * where they come from, the channels, the normalisation.
 *
 * @module
 */
import { type Dataset, openDataset } from "./dataset.ts";
import { InvalidArgumentError } from "./errors.ts";
import { checkIntensityOptions, DEFAULT_INTENSITY, type IntensityOptions } from "./intensity_options.ts";
import type { FoldSpec, SplitFractions } from "./split.ts";

/** A dataset folder with the options every CLI shares. */
export interface DataSourceOptions {
  /** Dataset folder or file (LiTS, MSD dataset.json, folder, BraTS per-case folders). */
  readonly spec: string;
  /** Split seed. */
  readonly seed: number;
  /** Split fractions (default 0.7 / 0.15 / 0.15). */
  readonly fractions?: SplitFractions;
  /** A k-fold split instead of fractions (`--fold I/K`), or null / absent. */
  readonly folds?: FoldSpec | null;
  /** Target label values given by the user (`--target`), or null for the dataset's default. */
  readonly target: readonly number[] | null;
  /** Modalities to read as channels (`--channels`), or null for one image per case. */
  readonly channels: readonly string[] | null;
  /** Per-case normalisation of every channel (default: none at load, see intensity_options.ts). */
  readonly intensity?: IntensityOptions;
}

/**
 * Opens the dataset of `options` (layout detected as `openDataset` does).
 * @throws {DatasetError} as `openDataset` does (a BraTS-style folder without `channels` says so)
 * @throws {InvalidArgumentError} on bad intensity options
 */
export async function openDataSource(options: DataSourceOptions): Promise<Dataset> {
  const intensity = options.intensity ?? DEFAULT_INTENSITY;
  checkIntensityOptions(intensity);
  return await openDataset(options.spec, {
    seed: options.seed,
    ...(options.fractions ? { fractions: options.fractions } : {}),
    ...(options.folds ? { folds: options.folds } : {}),
    ...(options.target ? { target: options.target } : {}),
    ...(options.channels ? { channels: options.channels } : {}),
    ...(intensity.mode === "window" && intensity.clipPercentiles === null ? {} : { intensity }),
  });
}

/**
 * The lines a command prints before it works on `dataset`: target labels and their source (the
 * flag `targetFlag` when the user gave them), channels and intensity handling.
 * @param window the classifier's intensity window `[lo, hi]`, or null, when the command has one
 */
export function describeDataSource(
  dataset: Dataset,
  options: Pick<DataSourceOptions, "target" | "channels" | "intensity">,
  targetFlag = "--target",
  window?: readonly [number, number] | null,
): string[] {
  const source = options.target
    ? `from ${targetFlag}`
    : `from ${dataset.targetSource ?? "the dataset's default"}`;
  const intensity = options.intensity ?? DEFAULT_INTENSITY;
  const clip = intensity.clipPercentiles
    ? `, clipped to percentiles ${intensity.clipPercentiles.join("-")}`
    : "";
  const windowText = window === undefined
    ? ""
    : window === null
    ? "; no intensity window"
    : `; intensity window ${window.join(",")} mapped to [0, 1]`;
  return [
    `data: ${dataset.name}, ${dataset.refs.length} cases`,
    `target labels: ${dataset.target.join(",")} (${source})`,
    `channels: ${options.channels ? options.channels.join(",") : "one image per case"}`,
    `intensity: ${intensity.mode}${clip}${windowText} (per case and channel)`,
  ];
}

/**
 * Reads a `--channels` value: comma-separated modality names (letters, digits, `_`, `-`), distinct.
 * @throws {InvalidArgumentError} naming `flag`
 */
export function parseChannels(text: string, flag = "--channels"): string[] {
  const names = text.split(",").map((s) => s.trim());
  if (!(names.every((n) => /^[A-Za-z0-9_-]+$/.test(n)) && new Set(names).size === names.length)) {
    throw new InvalidArgumentError(
      flag,
      `is "${text}"`,
      "distinct modality names, e.g. flair or flair,t1ce,t2 (BraTS), CT or MR_T1 (case folders)",
    );
  }
  return names;
}

/**
 * Reads a `--intensity-clip-percentiles` value: `lo,hi` with 0 <= lo < hi <= 100, or `none`.
 * @throws {InvalidArgumentError} naming `flag`
 */
export function parseClipPercentiles(
  text: string,
  flag = "--intensity-clip-percentiles",
): [number, number] | null {
  if (text === "none") return null;
  const p = text.split(",").map((s) => (s.trim() === "" ? NaN : Number(s)));
  if (!(p.length === 2 && p[0] >= 0 && p[0] < p[1] && p[1] <= 100)) {
    throw new InvalidArgumentError(flag, `is "${text}"`, '"lo,hi" with 0 <= lo < hi <= 100, or none');
  }
  return [p[0], p[1]];
}

/**
 * Reads a `--fold` value `I/K`: fold I (1..K) of K >= 3 folds is the test split, or `none`.
 * @throws {InvalidArgumentError} naming `flag`
 */
export function parseFold(text: string, flag = "--fold"): FoldSpec | null {
  if (text === "none") return null;
  const m = /^(\d+)\/(\d+)$/.exec(text.trim());
  const spec = m ? { fold: Number(m[1]), k: Number(m[2]) } : undefined;
  if (!spec || !(spec.k >= 3 && spec.fold >= 1 && spec.fold <= spec.k)) {
    throw new InvalidArgumentError(
      flag,
      `is "${text}"`,
      "I/K with K >= 3 folds and 1 <= I <= K (e.g. 1/6), or none",
    );
  }
  return spec;
}
