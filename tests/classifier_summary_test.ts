/** The classifier-training line of `deno task train` says when early stopping ended the epochs. */
import assert from "node:assert/strict";
import type { EpochMetrics, TrainingHistory } from "../models/classifier_training.ts";
import { classifierTrainingSummary } from "../train/classifier_summary.ts";

function epoch(n: number, loss: number, auc: number): EpochMetrics {
  const validation = { loss, auc } as EpochMetrics["validation"];
  return { epoch: n, trainLoss: 0.1, trainAccuracy: 0.9, validation, seconds: 1 };
}

function history(losses: number[], bestEpoch: number, stoppedEarly: boolean): TrainingHistory {
  const balance = { train: { positives: 1, negatives: 1 }, validation: { positives: 1, negatives: 1 } };
  return {
    epochs: losses.map((l, i) => epoch(i + 1, l, 0.9 + i / 100)),
    bestEpoch,
    stoppedEarly,
    balance: balance as TrainingHistory["balance"],
  };
}

Deno.test("classifierTrainingSummary: an early stop names the epochs run, the patience and the kept epoch", () => {
  // Epoch 2 is best (0.2); 3, 4, 5 are not better; patience 3 stops after epoch 5 of 8.
  assert.equal(
    classifierTrainingSummary(history([0.5, 0.2, 0.3, 0.25, 0.4], 2, true), 8, 3),
    "classifier: stopped early after 5 of 8 epochs (validation loss not better for 3 epochs); " +
      "kept epoch 2 (val loss 0.200, AUC 0.910)",
  );
  assert.equal(
    classifierTrainingSummary(history([0.5, 0.2], 2, false), 2, 3),
    "classifier: 2 of 2 epochs; kept epoch 2 (val loss 0.200, AUC 0.910)",
  );
  // Without validation samples the loss is NaN: the kept epoch alone.
  assert.equal(
    classifierTrainingSummary(history([NaN, NaN], 2, false), 2, 3),
    "classifier: 2 of 2 epochs; kept epoch 2",
  );
});
