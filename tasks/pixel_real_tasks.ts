/**
 * Real-data tasks of the pixel game (PixelDRL-MG), the README recipes of `deno task train:pixel
 * --data`, registered on import. The dataset folder is the REQUIRED `data` option (the data are not
 * shipped); every other option has the recipe's value:
 *
 * | id | data | slices |
 * | --- | --- | --- |
 * | `SparsGym/Pixel-Liver2D-v0` | 2D JPEG `images/` + `masks/` folders (the liver-tumour slices, `../shared/data/real/liver_tumour_2d`) | every slice (each holds tumour; mask grey >= 128), split by patient |
 * | `SparsGym/Pixel-BraTS2018-Flair-v0` | BraTS per-case folders (`../shared/data/real/brats2018`) | FLAIR axial slices through the whole tumour (labels 1, 2, 4), split by case |
 *
 * Slices are resampled to `size` x `size` (default 64) and scaled by the 99.5th percentile of their
 * case's non-zero voxels (env/pixel/pixel_volume_slices.ts). Rewards read the VOXEL LABELS: results
 * with these tasks are fully supervised. Changing any default bumps the version.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { SplitName } from "../data/split.ts";
import type { PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { folderPixelSlices } from "../env/pixel/pixel_volume_slices.ts";
import { register } from "../env/registry.ts";
import { pixelTaskEnv, type PixelTaskOptions } from "./game_tasks.ts";

/** Id of the liver-tumour 2D slices pixel task. */
export const PIXEL_LIVER_TASK_ID = "SparsGym/Pixel-Liver2D-v0";
/** Id of the BraTS 2018 FLAIR slices pixel task. */
export const PIXEL_BRATS_TASK_ID = "SparsGym/Pixel-BraTS2018-Flair-v0";

/** Options of the real-data pixel tasks. */
export interface PixelRealTaskOptions extends Pick<PixelTaskOptions, "tMax" | "initialMask" | "actions"> {
  /** The dataset folder (REQUIRED; no default: the data are not shipped). */
  readonly data?: string;
  /** Which split's slices are played (default `train`). */
  readonly split: SplitName;
  /** Modality of BraTS per-case folders (`flair`); undefined for one image per case (JPEG slices). */
  readonly channel?: string;
  /** Target label values. */
  readonly target: readonly number[];
  /** Slice size in pixels, y = x (default 64). */
  readonly size: number;
  /** Case split seed (default 0). */
  readonly splitSeed: number;
}

const GAME = { tMax: 10, initialMask: "foreground", actions: "paper" } as const;

/** Defaults of `SparsGym/Pixel-Liver2D-v0`. */
export const PIXEL_LIVER_TASK_OPTIONS: Readonly<PixelRealTaskOptions> = Object.freeze<PixelRealTaskOptions>({
  ...GAME,
  split: "train",
  target: [1],
  size: 64,
  splitSeed: 0,
});

/** Defaults of `SparsGym/Pixel-BraTS2018-Flair-v0`. */
export const PIXEL_BRATS_TASK_OPTIONS: Readonly<PixelRealTaskOptions> = Object.freeze<PixelRealTaskOptions>({
  ...GAME,
  split: "train",
  channel: "flair",
  target: [1, 2, 4],
  size: 64,
  splitSeed: 0,
});

/**
 * The factory of a real-data pixel task registered as `id`: checks `data`, reads the split's slices
 * and builds the env.
 * @throws {InvalidArgumentError} naming `data` (with an example) when no folder is given, plus the
 *   errors of reading the folder and of the pixel env's options
 */
export function pixelRealTaskFactory(
  id: string,
  example: string,
): (o: PixelRealTaskOptions) => Promise<PixelSegEnv> {
  return async (o) => {
    if (typeof o.data !== "string" || o.data === "") {
      throw new InvalidArgumentError(
        "data",
        o.data === undefined ? "is missing" : `is ${JSON.stringify(o.data)}`,
        `the dataset folder, e.g. make('${id}', { data: '${example}' })`,
      );
    }
    const slices = await folderPixelSlices(o.data, {
      channel: o.channel,
      target: o.target,
      size: o.size,
      seed: o.splitSeed,
    });
    return pixelTaskEnv(slices[o.split], o);
  };
}

register<PixelSegEnv, PixelRealTaskOptions>(
  PIXEL_LIVER_TASK_ID,
  pixelRealTaskFactory(PIXEL_LIVER_TASK_ID, "../shared/data/real/liver_tumour_2d"),
  PIXEL_LIVER_TASK_OPTIONS,
  { description: "pixel game on 2D JPEG liver-tumour slices given as `data` (voxel-label rewards)" },
);
register<PixelSegEnv, PixelRealTaskOptions>(
  PIXEL_BRATS_TASK_ID,
  pixelRealTaskFactory(PIXEL_BRATS_TASK_ID, "../shared/data/real/brats2018"),
  PIXEL_BRATS_TASK_OPTIONS,
  {
    description:
      "pixel game on BraTS FLAIR slices through the tumour, folders given as `data` (voxel-label rewards)",
  },
);
