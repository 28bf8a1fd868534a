/**
 * The line `deno task train` prints after training the classifier: how many epochs ran, whether
 * early stopping ended them, and which epoch's weights the classifier keeps.
 *
 * @module
 */
import type { TrainingHistory } from "../models/classifier_training.ts";

/**
 * Summarises a classifier training: epochs run of those asked for, an early stop with its patience,
 * and the kept epoch with its validation loss and AUC (3 decimals).
 *
 * @param history what `trainClassifier` returned (at least one epoch)
 * @param epochs epochs asked for
 * @param patience early-stopping patience in epochs (0 = off)
 * @returns e.g. `classifier: stopped early after 16 of 32 epochs (validation loss not better for 3
 *   epochs); kept epoch 13 (val loss 0.001, AUC 1.000)`
 */
export function classifierTrainingSummary(
  history: TrainingHistory,
  epochs: number,
  patience: number,
): string {
  const run = history.epochs.length;
  const kept = history.epochs[history.bestEpoch - 1];
  const how = history.stoppedEarly
    ? `stopped early after ${run} of ${epochs} epochs (validation loss not better for ${patience} epochs)`
    : `${run} of ${epochs} epochs`;
  const metrics = kept && Number.isFinite(kept.validation.loss)
    ? ` (val loss ${kept.validation.loss.toFixed(3)}, AUC ${kept.validation.auc.toFixed(3)})`
    : "";
  return `classifier: ${how}; kept epoch ${history.bestEpoch}${metrics}`;
}
