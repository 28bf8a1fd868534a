/**
 * Binary classification metrics of the presence classifier: binary cross-entropy, accuracy,
 * ROC AUC, sensitivity and specificity.
 *
 * @module
 */
import { ShapeMismatchError } from "../data/errors.ts";

/** Metrics of probabilities against 0/1 labels. */
export interface BinaryMetrics {
  /** Mean binary cross-entropy (probabilities clipped to [1e-7, 1 - 1e-7], as Keras). */
  loss: number;
  /** Fraction correct at the threshold. */
  accuracy: number;
  /** Area under the ROC curve (ties count one half); NaN when only one class is present. */
  auc: number;
  /** True positive rate at the threshold; NaN without positives. */
  sensitivity: number;
  /** True negative rate at the threshold; NaN without negatives. */
  specificity: number;
  /** Number of positive labels. */
  positives: number;
  /** Number of negative labels. */
  negatives: number;
}

/**
 * ROC AUC as the Mann-Whitney statistic: the probability that a random positive scores above a
 * random negative, ties counting one half. O(n log n).
 *
 * @returns NaN when the labels hold a single class (or none)
 */
export function rocAuc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  const n = scores.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0, rankSum = 0;
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && scores[order[j + 1]] === scores[order[i]]) j++;
    const rank = (i + j) / 2 + 1; // average 1-based rank of the tie group
    for (let k = i; k <= j; k++) {
      if (labels[order[k]] === 1) {
        positives++;
        rankSum += rank;
      }
    }
    i = j + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return NaN;
  return (rankSum - positives * (positives + 1) / 2) / (positives * negatives);
}

/**
 * All {@link BinaryMetrics} of `probabilities` against `labels` (each 0 or 1).
 *
 * @param threshold a probability >= threshold predicts presence (default 0.5)
 * @throws {ShapeMismatchError} when the arrays differ in length
 */
export function binaryMetrics(
  probabilities: ArrayLike<number>,
  labels: ArrayLike<number>,
  threshold = 0.5,
): BinaryMetrics {
  if (probabilities.length !== labels.length) {
    throw new ShapeMismatchError(
      "labels",
      `has ${labels.length} entries for ${probabilities.length} probabilities`,
      "one label per probability",
    );
  }
  const eps = 1e-7;
  let loss = 0, tp = 0, tn = 0, positives = 0;
  for (let i = 0; i < labels.length; i++) {
    const p = Math.min(1 - eps, Math.max(eps, probabilities[i]));
    const positive = labels[i] === 1;
    loss -= positive ? Math.log(p) : Math.log(1 - p);
    if (positive) {
      positives++;
      if (probabilities[i] >= threshold) tp++;
    } else if (probabilities[i] < threshold) tn++;
  }
  const n = labels.length, negatives = n - positives;
  return {
    loss: n ? loss / n : NaN,
    accuracy: n ? (tp + tn) / n : NaN,
    auc: rocAuc(probabilities, labels),
    sensitivity: positives ? tp / positives : NaN,
    specificity: negatives ? tn / negatives : NaN,
    positives,
    negatives,
  };
}
