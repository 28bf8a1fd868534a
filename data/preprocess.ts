/**
 * Whole-case preprocessing: the pipeline that crops, resamples, fits and normalises an image and its
 * labels alike ({@link preprocessCase}). The steps themselves live in `preprocess_geometry.ts`
 * (resampling, crops, boxes, grid checks) and `preprocess_intensity.ts` (CT window, z-score); they are
 * re-exported here, so this module stays the one place to import preprocessing from.
 *
 * @module
 */
import { DatasetError, InvalidArgumentError } from "./errors.ts";
import {
  checkSameGrid,
  crop,
  cropLabels,
  cropOrPad,
  cropOrPadLabels,
  foregroundBox,
  resampleLabelsToShape,
  resampleToShape,
  resampleToSpacing,
} from "./preprocess_geometry.ts";
import { windowIntensity, zScoreInMask } from "./preprocess_intensity.ts";
import type { Case, Vec3 } from "./types.ts";

export * from "./preprocess_geometry.ts";
export * from "./preprocess_intensity.ts";

/** Options of {@link preprocessCase}; every step is optional. */
export interface PreprocessOptions {
  /** Intensity normalisation, applied last: CT window (to [0,1]), z-score (default mask: voxels != 0), none. */
  intensity?: { kind: "window"; lo: number; hi: number } | { kind: "zscore" } | { kind: "none" };
  /** Target spacing in mm (z,y,x): linear resampling of the image, nearest of the labels. */
  spacing?: Vec3;
  /** Target shape (z,y,x), reached as `fitShape` says. */
  shape?: Vec3;
  /** How `shape` is reached: "resample" (resize) or "cropOrPad" (centred). Default: "cropOrPad" when
   * `spacing` is also given (keep the spacing), otherwise "resample". */
  fitShape?: "resample" | "cropOrPad";
  /**
   * Crop to the bounding box of the image foreground plus `margin` voxels. Foreground is decided on the
   * raw image, never on the labels (they are for evaluation only): voxels above `threshold`, default the
   * window's `lo` for a window, else the image minimum (constant air/background excluded).
   */
  cropToForeground?: { margin: number; threshold?: number };
}

function minimum(data: Float32Array): number {
  let m = Infinity;
  for (let i = 0; i < data.length; i++) if (data[i] < m) m = data[i];
  return m;
}

/**
 * Preprocesses a case, image and labels alike, in this order:
 * 1. check that labels share the image grid;
 * 2. crop to the image foreground (`cropToForeground`);
 * 3. resample to `spacing` (image linear, labels nearest);
 * 4. reach `shape` by resampling or by centred crop/pad (image padded with its minimum, labels with 0);
 * 5. intensity normalisation (on the final grid, so z-score statistics match what a model sees).
 * `id` and `presence` are kept; a crop in step 4 can remove the target, which is not re-checked.
 *
 * @throws {ShapeMismatchError} when labels and image grids differ
 * @throws {DatasetError} when `cropToForeground` finds no foreground voxel
 * @throws {InvalidArgumentError} on an invalid option
 */
export function preprocessCase(c: Case, options: PreprocessOptions): Case {
  let image = c.image;
  let labels = c.labels;
  if (labels) checkSameGrid(image, labels, c.id);
  const intensity = options.intensity ?? { kind: "none" };
  if (options.cropToForeground) {
    const { margin, threshold } = options.cropToForeground;
    const level = threshold ?? (intensity.kind === "window" ? intensity.lo : minimum(image.data));
    if (!Number.isFinite(level)) {
      throw new InvalidArgumentError("cropToForeground.threshold", `is ${level}`, "a finite number");
    }
    const mask = new Uint8Array(image.data.length);
    for (let i = 0; i < mask.length; i++) mask[i] = image.data[i] > level ? 1 : 0;
    const box = foregroundBox(mask, image.shape, margin);
    if (!box) throw new DatasetError(c.id, `has no voxel above ${level}`, "a foreground to crop to");
    image = crop(image, box.corner, box.size);
    if (labels) labels = cropLabels(labels, box.corner, box.size);
  }
  if (options.spacing) {
    image = resampleToSpacing(image, options.spacing);
    if (labels) labels = resampleLabelsToShape(labels, image.shape);
  }
  if (options.shape) {
    const fit = options.fitShape ?? (options.spacing ? "cropOrPad" : "resample");
    if (fit === "resample") {
      image = resampleToShape(image, options.shape);
      if (labels) labels = resampleLabelsToShape(labels, options.shape);
    } else if (fit === "cropOrPad") {
      image = cropOrPad(image, options.shape, minimum(image.data));
      if (labels) labels = cropOrPadLabels(labels, options.shape);
    } else {
      throw new InvalidArgumentError("fitShape", `is ${JSON.stringify(fit)}`, '"resample" or "cropOrPad"');
    }
  }
  if (intensity.kind === "window") image = windowIntensity(image, intensity.lo, intensity.hi);
  else if (intensity.kind === "zscore") image = zScoreInMask(image);
  else if (intensity.kind !== "none") {
    throw new InvalidArgumentError(
      "intensity.kind",
      `is ${JSON.stringify(intensity)}`,
      "window, zscore or none",
    );
  }
  const out: Case = { ...c, image };
  return labels ? { ...out, labels } : out;
}
