/**
 * The PPO loss of one minibatch (clipped surrogate, optionally clipped value loss, entropy bonus)
 * and PyTorch's global-norm gradient clipping. See `ppo.ts` for the update that uses them.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { PpoOptions } from "./ppo_options.ts";

/** Tensors of one minibatch for {@link ppoLoss} (all 1-D of length n except `logits` [n, k]). */
export interface PpoLossInputs {
  /** Current policy logits. */
  readonly logits: tf.Tensor2D;
  /** Current values. */
  readonly values: tf.Tensor1D;
  /** Actions taken (int32). */
  readonly actions: tf.Tensor1D;
  /** Their log-probabilities under the behaviour policy. */
  readonly oldLogProbs: tf.Tensor1D;
  /** Values at collection time. */
  readonly oldValues: tf.Tensor1D;
  /** GAE advantages (not yet normalised). */
  readonly advantages: tf.Tensor1D;
  /** Value targets. */
  readonly returns: tf.Tensor1D;
}

/** The loss and its parts, as scalars. */
export interface PpoLossTerms {
  /** `policyLoss - entCoef * entropy + vfCoef * valueLoss`. */
  readonly loss: tf.Scalar;
  /** Clipped surrogate loss. */
  readonly policyLoss: tf.Scalar;
  /** (Clipped) value loss, with CleanRL's factor 0.5 when `valueLossHalf`. */
  readonly valueLoss: tf.Scalar;
  /** Mean entropy of the current policy. */
  readonly entropy: tf.Scalar;
  /** `mean((r - 1) - log r)`. */
  readonly approxKl: tf.Scalar;
  /** Share of samples with `|r - 1| > clipCoef`. */
  readonly clipFraction: tf.Scalar;
}

/**
 * The PPO loss of one minibatch (steps 1-4 of the module doc). Call inside `tf.tidy` (or a
 * gradient function).
 */
export function ppoLoss(
  x: PpoLossInputs,
  o: Pick<
    PpoOptions,
    "clipCoef" | "clipValueLoss" | "entCoef" | "vfCoef" | "valueLossHalf" | "normalizeAdvantages"
  >,
): PpoLossTerms {
  const n = x.actions.shape[0];
  const logProbAll = tf.logSoftmax(x.logits);
  const newLogProbs = tf.sum(tf.mul(logProbAll, tf.oneHot(x.actions, x.logits.shape[1])), 1);
  const logRatio = tf.sub(newLogProbs, x.oldLogProbs);
  const ratio = tf.exp(logRatio);
  const approxKl = tf.mean(tf.sub(tf.sub(ratio, 1), logRatio)) as tf.Scalar;
  const clipFraction = tf.mean(
    tf.cast(tf.greater(tf.abs(tf.sub(ratio, 1)), o.clipCoef), "float32"),
  ) as tf.Scalar;

  let advantages: tf.Tensor1D = x.advantages;
  if (o.normalizeAdvantages && n > 1) {
    const mean = tf.mean(advantages);
    const sd = tf.sqrt(tf.div(tf.sum(tf.square(tf.sub(advantages, mean))), n - 1));
    advantages = tf.div(tf.sub(advantages, mean), tf.add(sd, 1e-8));
  }
  const unclipped = tf.mul(tf.neg(advantages), ratio);
  const clipped = tf.mul(tf.neg(advantages), tf.clipByValue(ratio, 1 - o.clipCoef, 1 + o.clipCoef));
  const policyLoss = tf.mean(tf.maximum(unclipped, clipped)) as tf.Scalar;

  let valueLoss: tf.Scalar;
  const half = o.valueLossHalf ? 0.5 : 1;
  const valueError = tf.square(tf.sub(x.values, x.returns));
  if (o.clipValueLoss) {
    const valueClipped = tf.add(
      x.oldValues,
      tf.clipByValue(tf.sub(x.values, x.oldValues), -o.clipCoef, o.clipCoef),
    );
    const clippedError = tf.square(tf.sub(valueClipped, x.returns));
    valueLoss = tf.mul(half, tf.mean(tf.maximum(valueError, clippedError))) as tf.Scalar;
  } else {
    valueLoss = tf.mul(half, tf.mean(valueError)) as tf.Scalar;
  }

  const entropy = tf.mean(tf.neg(tf.sum(tf.mul(tf.exp(logProbAll), logProbAll), 1))) as tf.Scalar;
  const loss = tf.add(
    tf.sub(policyLoss, tf.mul(o.entCoef, entropy)),
    tf.mul(o.vfCoef, valueLoss),
  ) as tf.Scalar;
  return { loss, policyLoss, valueLoss, entropy, approxKl, clipFraction };
}

/**
 * Scales gradients so that their global L2 norm is at most `maxNorm` (PyTorch's
 * `clip_grad_norm_`: factor `min(1, maxNorm / (norm + 1e-6))`), on plain arrays (new arrays are
 * returned; the inputs are not changed). The norm is accumulated in float64.
 * @returns the clipped gradients and the norm before clipping
 */
export function clipByGlobalNorm(
  gradients: readonly Float32Array[],
  maxNorm: number,
): { clipped: Float32Array[]; norm: number } {
  let sum = 0;
  for (const g of gradients) for (let k = 0; k < g.length; k++) sum += g[k] * g[k];
  const norm = Math.sqrt(sum);
  const factor = Number.isFinite(maxNorm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
  return {
    clipped: gradients.map((g) => (factor === 1 ? new Float32Array(g) : g.map((v) => v * factor))),
    norm,
  };
}
