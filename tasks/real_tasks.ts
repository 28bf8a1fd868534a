/**
 * Ready-made SPARS tasks on real data: the README's "Real data" recipes as task ids. Each reads a
 * dataset folder given as the REQUIRED `data` option (the data are not shipped), registered on import:
 *
 * | id | data (`data` folder) | channels, target, normalisation | intensity window | scorer |
 * | --- | --- | --- | --- | --- |
 * | `SparsGym/Spars-BraTS2018-Flair-v0` | BraTS per-case folders (`<case>/<case>_flair.nii.gz`, `_seg`), e.g. `../shared/data/real/brats2018` | `flair`; whole tumour 1,2,4; `zscore-nonzero` | [-3, 7] z units | oracle (voxel labels) or `checkpoint` |
 * | `SparsGym/Spars-STS-CT-v0` | case folders (`<case>/CT_image.nii.gz`, `CT_mask.nii.gz`), e.g. `../shared/data/real/sts_ct_mr_pet` | `CT`; gross tumour volume 1; none (HU kept) | [-160, 240] HU | oracle (voxel labels) or `checkpoint` |
 *
 * The split is the recipe's k-fold (`folds`: BraTS fold 1 of 6, STS fold 1 of 3; test = that fold,
 * val = the next, train = the rest) with split seed 0; `split` picks which one is played (default
 * `train`). The game is `train/train_config.ts` PRESETS.default as it was when v0 was published
 * (duplicated: tasks may not import train/) with the recipe's fixed tau 0.3: window 12x24x24, stride 4,
 * random starts, 32 steps (no termination), `novelty` reward, `distinct` map, `window+context`
 * observations 8x16x16. Observations hold the data's intensities (z units for BraTS, HU for STS):
 * `intensityWindow` is the window a policy maps to [0, 1], as `train --intensity-window` does; the
 * env does not apply it. The default scorer reads the split's voxel labels (an upper bound);
 * `checkpoint` (a classifier folder trained on the same channels) replaces it and loads tfjs.
 * Changing any of this means a new version of the id.
 *
 * @module
 */
import { openDataSource } from "../data/data_source.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { IntensityOptions } from "../data/intensity_options.ts";
import type { FoldSpec } from "../data/split.ts";
import type { Case } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { register } from "../env/registry.ts";
import type { Scorer } from "../env/scorer.ts";
import type { SelfPlayEnv } from "../env/self_play_env.ts";
import { buildSparsTask, DEFAULT_TASK_OPTIONS, type SparsTaskOptions } from "./spars_tasks.ts";

/** Id of the BraTS 2018 FLAIR task. */
export const BRATS_FLAIR_TASK_ID = "SparsGym/Spars-BraTS2018-Flair-v0";
/** Id of the soft-tissue-sarcoma CT task. */
export const STS_CT_TASK_ID = "SparsGym/Spars-STS-CT-v0";

/** Options of the real-data tasks: the game's options plus the folder and how it is read. */
export interface RealTaskOptions extends Omit<SparsTaskOptions, "data" | "target"> {
  /** The dataset folder (required; e.g. `../shared/data/real/brats2018`). */
  readonly data?: string;
  /** Modalities read as image channels, in order (`--channels`). */
  readonly channels: readonly string[];
  /** Label values that count as the target (`--target`). */
  readonly target: readonly number[];
  /** Per-case, per-channel normalisation at load (`--intensity`). */
  readonly intensity: IntensityOptions;
  /**
   * The intensity window `[lo, hi]` (data units after `intensity`) a policy maps to [0, 1]
   * (`--intensity-window`): carried for agents, not applied by the env.
   */
  readonly intensityWindow: readonly [number, number];
  /** The k-fold split (`--fold I/K`). */
  readonly folds: FoldSpec;
  /** Split seed (`--split-seed`). */
  readonly splitSeed: number;
}

const { data: _v0Data, target: _v0Target, ...V0_GAME } = DEFAULT_TASK_OPTIONS;

/**
 * The game of the real-data v0 tasks: PRESETS.default when they were published (see the module doc),
 * tau 0.3: the phantom v0 game with the preset's `novelty` reward, `window+context` observation and
 * `distinct` map (tests/real_tasks_test.ts plays it against an env built by hand from these values).
 */
const REAL_GAME: Omit<RealTaskOptions, "channels" | "target" | "intensity" | "intensityWindow" | "folds"> = {
  ...V0_GAME,
  splitSeed: 0,
  reward: "novelty",
  shapingWeight: 1,
  observation: "window+context",
  mapMode: "distinct",
};

/** Defaults of `SparsGym/Spars-BraTS2018-Flair-v0` (the README's BraTS recipe). */
export const BRATS_FLAIR_TASK_OPTIONS: Readonly<RealTaskOptions> = Object.freeze<RealTaskOptions>({
  ...REAL_GAME,
  channels: ["flair"],
  target: [1, 2, 4],
  intensity: { mode: "zscore-nonzero", clipPercentiles: null },
  intensityWindow: [-3, 7],
  folds: { k: 6, fold: 1 },
});

/** Defaults of `SparsGym/Spars-STS-CT-v0` (the README's soft-tissue-sarcoma CT recipe). */
export const STS_CT_TASK_OPTIONS: Readonly<RealTaskOptions> = Object.freeze<RealTaskOptions>({
  ...REAL_GAME,
  channels: ["CT"],
  target: [1],
  intensity: { mode: "window", clipPercentiles: null },
  intensityWindow: [-160, 240],
  folds: { k: 3, fold: 1 },
});

/**
 * The cases of one split of a real-data task's folder, in split order, read with the task's
 * channels, target and normalisation.
 * @throws {DatasetError} for a missing or malformed folder (as `train --data` does)
 */
export async function realTaskCases(o: RealTaskOptions & { readonly data: string }): Promise<Case[]> {
  const dataset = await openDataSource({
    spec: o.data,
    seed: o.splitSeed,
    folds: o.folds,
    target: o.target,
    channels: o.channels,
    intensity: o.intensity,
  });
  const out: Case[] = [];
  for await (const c of dataset.split(o.split).cases()) out.push(c);
  return out;
}

/**
 * The factory of a real-data task registered as `id`: checks `data`, reads the split's cases and
 * builds the env (oracle scorer on their voxel labels, or the classifier at `checkpoint`).
 * @throws {InvalidArgumentError} naming `data` (with an example) when no folder is given
 */
export function realTaskFactory(
  id: string,
  example: string,
): (o: RealTaskOptions) => Promise<SelfPlayEnv> {
  return async (o) => {
    const folder = o.data;
    if (typeof folder !== "string" || folder === "") {
      throw new InvalidArgumentError(
        "data",
        folder === undefined ? "is missing" : `is ${JSON.stringify(folder)}`,
        `the dataset folder, e.g. make('${id}', { data: '${example}' })`,
      );
    }
    const {
      data: _data,
      channels,
      intensity: _intensity,
      intensityWindow: _window,
      folds: _folds,
      splitSeed: _seed,
      ...rest
    } = o;
    const cases = o.cases ?? await realTaskCases({ ...o, data: folder });
    const task: SparsTaskOptions = {
      ...rest,
      data: DEFAULT_TASK_OPTIONS.data, // unused: the cases are given
      cases,
      imageChannels: channels.length,
    };
    return await buildSparsTask(task, async (played): Promise<Scorer> => {
      if (o.checkpoint === undefined || o.checkpoint === "") {
        return new OracleScorer(played, { target: o.target });
      }
      const { ClassifierScorer } = await import("../models/classifier_scorer.ts");
      return await ClassifierScorer.load(o.checkpoint, { batchSize: o.batchSize ?? 16 });
    });
  };
}

register<SelfPlayEnv, RealTaskOptions>(
  BRATS_FLAIR_TASK_ID,
  realTaskFactory(BRATS_FLAIR_TASK_ID, "../shared/data/real/brats2018"),
  BRATS_FLAIR_TASK_OPTIONS,
  {
    description: "BraTS 2018 FLAIR, whole tumour, z-scored, fold 1/6 (`data` required); " +
      "oracle scorer (voxel labels) or `checkpoint`",
  },
);
register<SelfPlayEnv, RealTaskOptions>(
  STS_CT_TASK_ID,
  realTaskFactory(STS_CT_TASK_ID, "../shared/data/real/sts_ct_mr_pet"),
  STS_CT_TASK_OPTIONS,
  {
    description: "soft-tissue-sarcoma CT in HU, gross tumour volume, fold 1/3 (`data` required); " +
      "oracle scorer (voxel labels) or `checkpoint`",
  },
);
