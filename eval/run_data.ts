/**
 * The data of a run's evaluation: the dataset and split training used (phantom options, split seed
 * and fractions from the run's config.json), and its cases loaded one at a time.
 *
 * @module
 */
import { type Dataset, phantomDataset } from "../data/dataset.ts";
import { openDataSource } from "../data/data_source.ts";
import { selectCases } from "../data/case_subset.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { SplitName } from "../data/split.ts";
import type { Case } from "../data/types.ts";
import type { RunConfigView } from "./run_config.ts";
import type { EvaluateRunOptions } from "./run_eval.ts";

/** The first `limit` cases of a dataset (all without a limit), loaded one at a time; `onCase` sees each. */
export async function* firstCases(
  ds: Dataset,
  limit: number | undefined,
  onCase?: (c: Case) => void,
): AsyncGenerator<Case> {
  const refs = limit === undefined ? ds.refs : ds.refs.slice(0, limit);
  for (const ref of refs) {
    const c = await ds.load(ref);
    onCase?.(c);
    yield c;
  }
}

function splitFractions([train, val, test]: readonly number[]): { train: number; val: number; test: number } {
  return { train, val, test };
}

/**
 * Opens the dataset of a run: in memory, phantoms, or a folder (see {@link EvaluateRunOptions}),
 * split with the seed training split it with: the run's `data.seed` (its `seed` when a config has
 * none; 0 without a config), so that the test split holds no training case.
 */
export async function openRunData(
  options: EvaluateRunOptions,
  cfg: RunConfigView,
): Promise<{ data: string; dataset: Dataset }> {
  if (options.dataset) return { data: options.dataset.name, dataset: options.dataset };
  const data = options.data ?? cfg.data ?? "phantoms";
  if (data === "phantoms") {
    const p = options.phantoms, c = cfg.phantoms;
    const dataset = phantomDataset({
      count: p?.count ?? c?.count ?? 24,
      seed: p?.seed ?? c?.seed ?? cfg.seed ?? 0,
      shape: p?.shape ?? c?.shape ?? [48, 96, 96],
      ...(c?.tumours ? { tumours: c.tumours } : {}),
      ...(c?.tumourRadiusMm ? { tumourRadiusMm: c.tumourRadiusMm } : {}),
      ...(cfg.fractions ? { fractions: splitFractions(cfg.fractions) } : {}),
    });
    return { data, dataset };
  }
  const target = options.target ?? cfg.target ?? null;
  const seed = cfg.phantoms?.seed ?? cfg.seed ?? 0;
  const fractions = cfg.fractions ? { fractions: splitFractions(cfg.fractions) } : {};
  // The channels and normalisation training used, so the scorer sees what it was trained on.
  const dataset = await openDataSource({
    spec: data,
    seed,
    ...fractions,
    target,
    channels: cfg.channels ?? null,
    folds: cfg.folds ?? null,
    ...(cfg.intensity ? { intensity: cfg.intensity } : {}),
  });
  return { data, dataset };
}

/** The report's note on `--split all`. */
export const ALL_SPLIT_NOTE: string =
  "Split: all cases, including those the classifier and policy were trained on and the val cases that " +
  "tuned thresholds: optimistic figures. Unbiased: one run per fold (train --fold I/K), each evaluated on its test split.";

/** The cases an evaluation runs on, the split name its report gives, and the report's notes on them. */
export interface EvaluatedCases {
  /** The cases. */
  readonly set: Dataset;
  /** The split (`cases` for an explicit list). */
  readonly split: SplitName | "all" | "cases";
  /** Notes for the report (optimistic figures). */
  readonly notes: string[];
}

/**
 * The cases of `options.split` (default `test`; `all`: every case, with {@link ALL_SPLIT_NOTE}), or
 * the explicit list `options.cases`, with a note naming how many of them lie in the run's train and
 * val splits (their figures are optimistic).
 * @throws {InvalidArgumentError} when the split is empty, `cases` comes with `split`, or a listed id
 *   is not a case of the dataset (naming `options.casesFlag`, default `--cases`, and the id)
 */
export function evaluatedCases(
  dataset: Dataset,
  options: Pick<EvaluateRunOptions, "split" | "cases" | "casesFlag">,
  data: string,
): EvaluatedCases {
  const flag = options.casesFlag ?? "--cases";
  if (options.cases) {
    if (options.split !== undefined) {
      throw new InvalidArgumentError(flag, `is given with --split ${options.split}`, "one of them");
    }
    const set = selectCases(dataset, options.cases, flag);
    const ids = new Set(options.cases);
    const inSplit = (name: SplitName) => dataset.split(name).refs.filter((r) => ids.has(r.id)).length;
    const train = inSplit("train"), val = inSplit("val");
    const shown = options.cases.length > 8
      ? `${options.cases.slice(0, 8).join(", ")}, ...`
      : options.cases.join(", ");
    const where = train + val > 0
      ? `${train} of them in the run's train split and ${val} in its val split: optimistic figures for those`
      : "none in the run's train or val split";
    return { set, split: "cases", notes: [`Cases: ${ids.size} given by ${flag} (${shown}); ${where}.`] };
  }
  const split = options.split ?? "test";
  const set = split === "all" ? dataset : dataset.split(split);
  if (!set.refs.length) throw new InvalidArgumentError("--split", `${split} of ${data} is empty`, "cases");
  return { set, split, notes: split === "all" ? [ALL_SPLIT_NOTE] : [] };
}

/** Where the validation sweep chooses each method's settings: the val split, or train and val. */
export type TuneOn = "val" | "train+val";

/** Every {@link TuneOn} value. */
export const TUNE_ON: readonly TuneOn[] = ["val", "train+val"];

/** The cases the validation sweep runs on (see {@link tuningSet}). */
export interface TuningSet {
  /** The splits, in order. */
  readonly sets: readonly Dataset[];
  /** Number of cases over all of them. */
  readonly count: number;
  /** Report note (for `train+val`). */
  readonly note?: string;
}

/**
 * The cases the validation sweep tunes tau, the mask rule and the gate on: the val split (default),
 * or with `train+val` every case outside the test split, the k-fold protocol's "thresholds tuned on
 * the training folds" (more cases than one validation fold, but optimistic on the training cases:
 * the classifier and the policy learned from them; the report says so).
 * @throws {InvalidArgumentError} naming `--tune-on` for an unknown value, or `train+val` when the
 *   evaluated cases are not the test split (tuning would then see evaluated cases)
 */
export function tuningSet(dataset: Dataset, tuneOn: TuneOn, evaluated: EvaluatedCases["split"]): TuningSet {
  if (!TUNE_ON.includes(tuneOn)) {
    throw new InvalidArgumentError("--tune-on", `is ${JSON.stringify(tuneOn)}`, TUNE_ON.join(" | "));
  }
  if (tuneOn === "val") {
    const val = dataset.split("val");
    return { sets: [val], count: val.refs.length };
  }
  if (evaluated !== "test") {
    throw new InvalidArgumentError(
      "--tune-on",
      `is train+val while the evaluated cases are ${
        evaluated === "cases" ? "a list" : `the ${evaluated} split`
      }`,
      "the test split (the default), so that no evaluated case tunes the settings",
    );
  }
  const sets = [dataset.split("train"), dataset.split("val")];
  const [train, val] = sets.map((s) => s.refs.length);
  return {
    sets,
    count: train + val,
    note: `Settings tuned on the train and val splits (${train} + ${val} cases); the classifier and the ` +
      "policy learned from the train cases, so the sweep's scores there are optimistic.",
  };
}

/** The cases of several datasets in order, loaded one at a time (see {@link firstCases}). */
export async function* casesOf(sets: readonly Dataset[], onCase?: (c: Case) => void): AsyncGenerator<Case> {
  for (const set of sets) yield* firstCases(set, undefined, onCase);
}
