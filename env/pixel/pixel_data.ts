/**
 * Data of the pixel-level game: 2D axial slices with their voxel labels. The embedded default cuts
 * seeded phantoms (`data/phantom.ts`, positives only) through the tumour: for each phantom the
 * axial slice with the most target voxels, intensities through the liver window (-200..250 HU) to
 * [0, 1], the target labels (default 2, tumour) as the 0/1 ground truth. Slices are split 70/15/15
 * by `splitIds` with the dataset seed.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { generatePhantom, phantomDatasetPlan } from "../../data/phantom.ts";
import { LIVER_WINDOW_HU } from "../../data/preprocess_intensity.ts";
import { DEFAULT_SPLIT_FRACTIONS, splitIds, type SplitName } from "../../data/split.ts";
import { targetMask } from "../../data/tile.ts";
import type { Case, Vec3 } from "../../data/types.ts";
import type { PixelSlice } from "./pixel_env.ts";

/** Options of {@link phantomPixelSlices}. */
export interface PhantomSliceOptions {
  /** Number of phantoms (one slice each). Default 40. */
  readonly count?: number;
  /** Dataset seed (phantoms and split). Default 0. */
  readonly seed?: number;
  /** Phantom shape z,y,x; slices are y,x. Default [32, 64, 64]. */
  readonly shape?: Vec3;
  /** Label values of the target. Default [2] (tumour). */
  readonly target?: readonly number[];
}

/**
 * The axial slice of `c` with the most target voxels (ties: the lowest z), windowed to [0, 1].
 * @throws {InvalidArgumentError} when the case has no labels or no target voxel
 */
export function sliceThroughTarget(
  c: Case,
  target: readonly number[],
  window: readonly [number, number] = LIVER_WINDOW_HU,
): PixelSlice {
  if (!c.labels) throw new InvalidArgumentError(`case ${c.id}`, "has no labels", "voxel labels");
  const [d, h, w] = c.image.shape, plane = h * w;
  const mask = targetMask(c.labels, target);
  let best = -1, bestCount = 0;
  for (let z = 0; z < d; z++) {
    let n = 0;
    for (let i = z * plane; i < (z + 1) * plane; i++) n += mask[i];
    if (n > bestCount) [best, bestCount] = [z, n];
  }
  if (best < 0) throw new InvalidArgumentError(`case ${c.id}`, "has no target voxel", "a positive case");
  const [lo, hi] = window, image = new Float32Array(plane);
  for (let i = 0; i < plane; i++) {
    const v = (c.image.data[best * plane + i] - lo) / (hi - lo);
    image[i] = v < 0 ? 0 : v > 1 ? 1 : v;
  }
  return {
    id: `${c.id}/z${best}`,
    shape: [h, w],
    spacing: [c.image.spacing[1], c.image.spacing[2]],
    image,
    truth: mask.slice(best * plane, (best + 1) * plane),
  };
}

/**
 * Slices through the tumour of seeded positive phantoms, split train/val/test (70/15/15, seeded).
 * @throws {InvalidArgumentError} for a bad count or phantom option
 */
export function phantomPixelSlices(options: PhantomSliceOptions = {}): Record<SplitName, PixelSlice[]> {
  const count = options.count ?? 40, seed = options.seed ?? 0;
  const target = options.target ?? [2];
  const plan = phantomDatasetPlan({ count, seed, negativeShare: 0, shape: options.shape ?? [32, 64, 64] });
  const slices = plan.map((p) => sliceThroughTarget(generatePhantom(p), target));
  const byId = new Map(slices.map((s) => [s.id, s]));
  const ids = splitIds(slices.map((s) => s.id), seed, DEFAULT_SPLIT_FRACTIONS);
  return {
    train: ids.train.map((id) => byId.get(id)!),
    val: ids.val.map((id) => byId.get(id)!),
    test: ids.test.map((id) => byId.get(id)!),
  };
}
