/**
 * Training samples of the classifier from a dataset of cases, as whole images or as tiles.
 *
 * - "images": each case is one sample labelled by its image-level `presence` (the paper's setting).
 * - "tiles": each case is cut into a grid of sub-volumes (`data/tile.ts`) whose weak labels are
 *   derived from the voxel labels: the tiling of weakly-labelled data into more, smaller weakly-
 *   labelled samples, as the reference trains on crops labelled by whether they hold tumour. It
 *   makes the classifier see inputs of window scale (a tile of the default 2x2x2 grid of a 48x96x96
 *   phantom is exactly a 24x48x48 window). Voxel labels serve only to derive the tile labels;
 *   ambiguous tiles (a few target voxels) can be dropped.
 *
 * Samples are converted one case at a time, so only the resampled inputs stay in memory.
 *
 * @module
 */
import { DatasetError, InvalidArgumentError } from "../data/errors.ts";
import { tileCase } from "../data/tile.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { IntensityWindow } from "./classifier_input.ts";
import { type ClassifierSample, samplesFromCases } from "./classifier_training.ts";

/** How cases become samples. */
export interface SampleSource {
  /** "images" (one sample per case) or "tiles" (a grid of sub-volumes per case). */
  mode: "images" | "tiles";
  /** Tiles per axis z,y,x (tiles mode; default [2, 2, 2]). */
  grid?: Vec3;
  /** Label values counted as target (tiles mode; required there, e.g. [2] for LiTS tumour). */
  target?: readonly number[];
  /** A tile is positive with at least this many target voxels (default 1). */
  minTargetVoxels?: number;
  /** Tiles with 0 < target voxels < this are dropped as ambiguous (default 0: none). */
  ambiguousBelow?: number;
}

/** What {@link samplesFromDataset} made. */
export interface SampleReport {
  /** Cases read. */
  cases: number;
  /** Samples made. */
  samples: number;
  /** Ambiguous tiles dropped. */
  dropped: number;
  /** Positive samples. */
  positives: number;
  /** Negative samples. */
  negatives: number;
}

/**
 * Converts cases into classifier samples (see the module note).
 *
 * @param cases the cases (a dataset split's `cases()`)
 * @param inputShape network input shape z,y,x
 * @param window intensity window or null
 * @param source images or tiles and the tile options
 * @param onCase called after each case (progress)
 * @throws {DatasetError} in tiles mode for a case without voxel labels, in images mode for a case
 *   without `presence`
 * @throws {InvalidArgumentError} on tiles mode without `target`
 */
export async function samplesFromDataset(
  cases: Iterable<Case> | AsyncIterable<Case>,
  inputShape: Vec3,
  window: IntensityWindow,
  source: SampleSource,
  onCase?: (done: number) => void,
): Promise<{ samples: ClassifierSample[]; report: SampleReport }> {
  if (source.mode !== "images" && source.mode !== "tiles") {
    throw new InvalidArgumentError("mode", `is ${JSON.stringify(source.mode)}`, '"images" or "tiles"');
  }
  if (source.mode === "tiles" && !(source.target && source.target.length)) {
    throw new InvalidArgumentError(
      "target",
      "is missing",
      "label values of the target to derive tile labels",
    );
  }
  const samples: ClassifierSample[] = [];
  let count = 0, dropped = 0;
  for await (const c of cases) {
    let parts: Case[] = [c];
    if (source.mode === "tiles") {
      if (!c.labels) {
        throw new DatasetError(
          `case ${c.id}`,
          "has no voxel labels to derive tile labels from",
          "labelled cases, or image-level training (--samples images)",
        );
      }
      const tiles = tileCase(c, {
        grid: source.grid ?? [2, 2, 2],
        target: source.target!,
        minTargetVoxels: source.minTargetVoxels,
        ambiguousBelow: source.ambiguousBelow,
      });
      parts = tiles.cases;
      dropped += tiles.dropped.length;
    }
    samples.push(...await samplesFromCases(parts, inputShape, window));
    onCase?.(++count);
  }
  const positives = samples.filter((s) => s.presence === 1).length;
  return {
    samples,
    report: {
      cases: count,
      samples: samples.length,
      dropped,
      positives,
      negatives: samples.length - positives,
    },
  };
}
