/**
 * Voxel overlap metrics of a binary segmentation against its ground truth, a one-call score table,
 * and a NaN-aware summary of per-case scores.
 *
 * Masks are `Uint8Array`s in z,y,x order, x fastest, nonzero = foreground; a prediction and its
 * truth must have the same length (else ShapeMismatchError). Empty-mask rules follow MONAI:
 * Dice/IoU are NaN when the truth is empty (`ignoreEmpty`, the default), so that such cases drop out
 * of a mean instead of counting as perfect or as failures.
 *
 * @module
 */
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { surfaceScores } from "./surface_distance.ts";

/** Options of {@link dice} and {@link iou}. */
export interface OverlapOptions {
  /**
   * When the truth is empty: true (default, as MONAI's `ignore_empty=True`) gives NaN; false gives
   * 1 if the prediction is empty too, else 0.
   */
  ignoreEmpty?: boolean;
}

/** Voxel counts of a binary confusion matrix. */
export interface Confusion {
  /** Foreground in both. */
  tp: number;
  /** Foreground in the prediction only. */
  fp: number;
  /** Foreground in the truth only. */
  fn: number;
  /** Background in both. */
  tn: number;
}

function checkPair(pred: Uint8Array, truth: Uint8Array): void {
  if (pred.length !== truth.length) {
    throw new ShapeMismatchError(
      "pred",
      `has ${pred.length} voxels but truth has ${truth.length}`,
      "a prediction and a truth mask of the same shape",
    );
  }
}

function checkShape(shape: Vec3, length: number): void {
  if (shape.length !== 3 || !shape.every((n) => Number.isInteger(n) && n > 0)) {
    throw new InvalidArgumentError("shape", `is [${shape.join(", ")}]`, "three positive integers (z,y,x)");
  }
  if (shape[0] * shape[1] * shape[2] !== length) {
    throw new ShapeMismatchError(
      "shape",
      `${shape.join("x")} holds ${shape[0] * shape[1] * shape[2]} voxels but the masks have ${length}`,
      "a shape matching the mask length",
    );
  }
}

function checkSpacing(spacing: Vec3): void {
  if (spacing.length !== 3 || !spacing.every((s) => Number.isFinite(s) && s > 0)) {
    throw new InvalidArgumentError(
      "spacing",
      `is [${spacing.join(", ")}]`,
      "three positive finite mm (z,y,x)",
    );
  }
}

/** Confusion counts of `pred` against `truth` (nonzero = foreground). Throws ShapeMismatchError. */
export function confusion(pred: Uint8Array, truth: Uint8Array): Confusion {
  checkPair(pred, truth);
  let tp = 0, fp = 0, fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] !== 0, t = truth[i] !== 0;
    if (p) {
      if (t) tp++;
      else fp++;
    } else if (t) fn++;
  }
  return { tp, fp, fn, tn: pred.length - tp - fp - fn };
}

/** The value of an overlap metric for an empty truth, or undefined when the truth is not empty. */
function emptyTruthValue(c: Confusion, options: OverlapOptions | undefined): number | undefined {
  if (c.tp + c.fn > 0) return undefined;
  if (options?.ignoreEmpty ?? true) return NaN;
  return c.fp === 0 ? 1 : 0;
}

function diceOf(c: Confusion, options: OverlapOptions | undefined): number {
  return emptyTruthValue(c, options) ?? (2 * c.tp) / (2 * c.tp + c.fp + c.fn);
}

function iouOf(c: Confusion, options: OverlapOptions | undefined): number {
  return emptyTruthValue(c, options) ?? c.tp / (c.tp + c.fp + c.fn);
}

/**
 * Dice coefficient 2TP / (2TP + FP + FN), in [0, 1]. Empty truth: NaN by default
 * (`ignoreEmpty: true`); with `ignoreEmpty: false`, 1 if the prediction is empty too, else 0.
 * An empty prediction of a nonempty truth scores 0. Throws ShapeMismatchError on different lengths.
 */
export function dice(pred: Uint8Array, truth: Uint8Array, options?: OverlapOptions): number {
  return diceOf(confusion(pred, truth), options);
}

/**
 * Intersection over union (Jaccard) TP / (TP + FP + FN), in [0, 1]; empty-truth rules as
 * {@link dice}. Throws ShapeMismatchError on different lengths.
 */
export function iou(pred: Uint8Array, truth: Uint8Array, options?: OverlapOptions): number {
  return iouOf(confusion(pred, truth), options);
}

/** Sensitivity (recall) TP / (TP + FN); NaN when the truth has no foreground. */
export function sensitivity(c: Confusion): number {
  return c.tp + c.fn === 0 ? NaN : c.tp / (c.tp + c.fn);
}

/** Specificity TN / (TN + FP); NaN when the truth has no background. */
export function specificity(c: Confusion): number {
  return c.tn + c.fp === 0 ? NaN : c.tn / (c.tn + c.fp);
}

/** Precision (positive predictive value) TP / (TP + FP); NaN when the prediction is empty. */
export function precision(c: Confusion): number {
  return c.tp + c.fp === 0 ? NaN : c.tp / (c.tp + c.fp);
}

/** Foreground voxel count of a mask. */
function foregroundCount(mask: Uint8Array): number {
  let n = 0;
  for (let i = 0; i < mask.length; i++) if (mask[i] !== 0) n++;
  return n;
}

/**
 * Foreground volumes in millilitres (voxels x spacing[0]*spacing[1]*spacing[2] mm^3 / 1000) and the
 * relative difference (pred - truth) / truth, which is NaN when the truth is empty. `spacing` is mm
 * z,y,x. Throws ShapeMismatchError on different lengths, InvalidArgumentError on a bad spacing.
 */
export function volumeDifference(
  pred: Uint8Array,
  truth: Uint8Array,
  spacing: Vec3,
): { predMl: number; truthMl: number; relative: number } {
  checkPair(pred, truth);
  checkSpacing(spacing);
  const voxelMl = (spacing[0] * spacing[1] * spacing[2]) / 1000;
  const predVoxels = foregroundCount(pred), truthVoxels = foregroundCount(truth);
  return {
    predMl: predVoxels * voxelMl,
    truthMl: truthVoxels * voxelMl,
    relative: truthVoxels === 0 ? NaN : (predVoxels - truthVoxels) / truthVoxels,
  };
}

/** Every score of one prediction; NaN / Infinity follow each metric's empty-mask rule. */
export interface SegmentationScores {
  /** See {@link dice}. */
  dice: number;
  /** See {@link iou}. */
  iou: number;
  /** See {@link sensitivity}. */
  sensitivity: number;
  /** See {@link specificity}. */
  specificity: number;
  /** See {@link precision}. */
  precision: number;
  /** 95th-percentile Hausdorff distance in mm (see `hausdorff95` in surface_distance.ts). */
  hd95: number;
  /** Average symmetric surface distance in mm (see `averageSurfaceDistance`). */
  assd: number;
  /** (pred - truth) / truth volume; NaN for an empty truth. */
  volumeDifferenceRelative: number;
}

/**
 * All scores of `pred` against `truth` (z,y,x masks of `shape`, voxel size `spacing` in mm z,y,x).
 * `options` applies to Dice and IoU. Throws ShapeMismatchError when a mask does not hold `shape`'s
 * voxel count, InvalidArgumentError on a bad shape or spacing.
 */
export function scoreSegmentation(
  pred: Uint8Array,
  truth: Uint8Array,
  shape: Vec3,
  spacing: Vec3,
  options?: OverlapOptions,
): SegmentationScores {
  checkPair(pred, truth);
  checkShape(shape, pred.length);
  checkSpacing(spacing);
  const c = confusion(pred, truth);
  const surface = surfaceScores(pred, truth, shape, spacing);
  return {
    dice: diceOf(c, options),
    iou: iouOf(c, options),
    sensitivity: sensitivity(c),
    specificity: specificity(c),
    precision: precision(c),
    hd95: surface.hd95,
    assd: surface.assd,
    volumeDifferenceRelative: c.tp + c.fn === 0 ? NaN : (c.fp - c.fn) / (c.tp + c.fn),
  };
}

/** Summary statistics of per-case scores. */
export interface Summary {
  /** Mean of the finite values; NaN when there are none. */
  mean: number;
  /** Sample standard deviation (n - 1) of the finite values; NaN when n < 2. */
  sd: number;
  /** Number of finite values (those in mean, sd and median). */
  n: number;
  /** Number of NaN values (excluded). */
  nanCount: number;
  /** Number of +Infinity or -Infinity values (excluded). */
  infCount: number;
  /** Median of the finite values (mean of the middle two for even n); NaN when n = 0. */
  median: number;
}

/**
 * Summarises per-case scores. Mean, sd and median are over the FINITE values only: NaN values
 * (e.g. Dice of a case with empty truth) and +-Infinity values (e.g. HD95 when one mask is empty)
 * are excluded and counted in `nanCount` and `infCount`, so report those counts beside the mean.
 * `sd` is the sample standard deviation (divisor n - 1), NaN when fewer than 2 finite values.
 */
export function summarize(values: readonly number[]): Summary {
  const finite: number[] = [];
  let nanCount = 0, infCount = 0;
  for (const v of values) {
    if (Number.isNaN(v)) nanCount++;
    else if (!Number.isFinite(v)) infCount++;
    else finite.push(v);
  }
  const n = finite.length;
  let sum = 0;
  for (const v of finite) sum += v;
  const mean = n === 0 ? NaN : sum / n;
  let squares = 0;
  for (const v of finite) squares += (v - mean) * (v - mean);
  const sd = n < 2 ? NaN : Math.sqrt(squares / (n - 1));
  finite.sort((a, b) => a - b);
  const median = n === 0 ? NaN : n % 2 === 1 ? finite[(n - 1) / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
  return { mean, sd, n, nanCount, infCount, median };
}
