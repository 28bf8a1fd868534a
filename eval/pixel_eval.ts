/**
 * Evaluation of the pixel-level game (PixelDRL-MG) on 2D slices, shared by `deno task train:pixel`
 * and `deno task eval` on a pixel run folder. Every score here reads the voxel ground truth.
 *
 * - {@link evaluatePixelPolicy}: greedy actions for `tMax` steps on each slice; Dice after every
 *   step (the paper's Dice-against-step curve) and the final masks.
 * - {@link scorePixelMasks}: Dice / IoU / sensitivity / PPV / HD95 of masks, mean and sd over slices.
 * - {@link fitThresholdBaseline}: an intensity band `[lo, hi]` chosen by grid search on the training
 *   slices (mean Dice), the "simple threshold" baseline.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { PAPER_ACTIONS, PixelSegEnv, type PixelSlice } from "../env/pixel/pixel_env.ts";
import { dice, scoreSegmentation, summarize, type Summary } from "./metrics.ts";
import type { PixelA2cLearner } from "../agents/pixel_a2c.ts";

/** A set of per-slice scores, summarised. */
export interface PixelScores {
  /** Dice. */
  readonly dice: Summary;
  /** IoU. */
  readonly iou: Summary;
  /** Sensitivity. */
  readonly sensitivity: Summary;
  /** Precision (PPV). */
  readonly ppv: Summary;
  /** HD95 in mm (infinite when a mask is empty: counted in `infCount`). */
  readonly hd95: Summary;
}

/** Scores of predicted masks against the slices' truth. */
export function scorePixelMasks(slices: readonly PixelSlice[], masks: readonly Uint8Array[]): PixelScores {
  const rows = slices.map((s, i) =>
    scoreSegmentation(masks[i], s.truth, [1, s.shape[0], s.shape[1]], [1, s.spacing[0], s.spacing[1]])
  );
  return {
    dice: summarize(rows.map((r) => r.dice)),
    iou: summarize(rows.map((r) => r.iou)),
    sensitivity: summarize(rows.map((r) => r.sensitivity)),
    ppv: summarize(rows.map((r) => r.precision)),
    hd95: summarize(rows.map((r) => r.hd95)),
  };
}

/** Result of {@link evaluatePixelPolicy}. */
export interface PixelPolicyEvaluation {
  /** Final masks, one per slice `[y, x]`. */
  readonly masks: Uint8Array[];
  /** Mean Dice over slices after step t = 0 (the initial mask) .. tMax. */
  readonly diceByStep: number[];
}

/**
 * Greedy rollouts of the learner's policy on every slice (batched by `batchSize`); `onFinal` sees
 * each slice's env after its last step (index into `slices`), e.g. to render it.
 */
export async function evaluatePixelPolicy(
  learner: PixelA2cLearner,
  slices: readonly PixelSlice[],
  batchSize = 8,
  onFinal?: (env: PixelSegEnv, slice: number) => void | Promise<void>,
): Promise<PixelPolicyEvaluation> {
  const T = learner.options.tMax, masks: Uint8Array[] = [], sums = new Float64Array(T + 1);
  for (let start = 0; start < slices.length; start += batchSize) {
    const group = slices.slice(start, start + batchSize), b = group.length;
    const envs = group.map((s) => new PixelSegEnv({ slices: [s], tMax: T, actions: actionsOf(learner) }));
    const [h, w] = envs[0].shape, p = h * w;
    let obs = envs.map((e) => e.reset({ options: { index: 0 } }).observation);
    envs.forEach((e, i) => (sums[0] += dice(e.mask, group[i].truth)));
    for (let t = 1; t <= T; t++) {
      const stacked = new Float32Array(b * p * 2);
      obs.forEach((o, i) => stacked.set(o, i * p * 2));
      const actions = await learner.act(stacked, [b, h, w], true);
      obs = envs.map((e, i) => e.step(actions.subarray(i * p, (i + 1) * p)).observation);
      envs.forEach((e, i) => (sums[t] += dice(e.mask, group[i].truth)));
    }
    for (const [i, e] of envs.entries()) {
      masks.push(e.mask);
      await onFinal?.(e, start + i); // e.g. an overlay from the final state, without a second rollout
    }
  }
  return { masks, diceByStep: Array.from(sums, (s) => s / slices.length) };
}

/**
 * The step count of best mean Dice in a Dice-by-step curve (index 0 = the initial mask, 1..T after
 * each step): argmax over t = 1..T, the earliest on ties. Meant for the validation curve, so the
 * test split never picks the step it is scored at.
 * @throws {InvalidArgumentError} when the curve has no step after the initial mask
 */
export function bestStepOnCurve(diceByStep: readonly number[]): number {
  if (diceByStep.length < 2) {
    throw new InvalidArgumentError(
      "diceByStep",
      `has ${diceByStep.length} entries`,
      ">= 2 (initial mask, step 1)",
    );
  }
  let best = 1;
  for (let t = 2; t < diceByStep.length; t++) if (diceByStep[t] > diceByStep[best]) best = t;
  return best;
}

function actionsOf(learner: PixelA2cLearner) {
  const a = learner.network.config.actions;
  if (a !== PAPER_ACTIONS.length) {
    throw new InvalidArgumentError(
      "network.actions",
      `is ${a}`,
      `${PAPER_ACTIONS.length} (the paper's actions)`,
    );
  }
  return PAPER_ACTIONS;
}

/** An intensity band `lo <= image <= hi` (image in [0, 1]). */
export interface ThresholdBand {
  /** Lower bound. */
  readonly lo: number;
  /** Upper bound. */
  readonly hi: number;
}

/** The band's masks. */
export function thresholdMasks(slices: readonly PixelSlice[], band: ThresholdBand): Uint8Array[] {
  return slices.map((s) => Uint8Array.from(s.image, (v) => (v >= band.lo && v <= band.hi ? 1 : 0)));
}

/** The band of best mean Dice on `slices` over a grid of `steps + 1` levels in [0, 1] (ties: first). */
export function fitThresholdBaseline(slices: readonly PixelSlice[], steps = 50): ThresholdBand {
  let best: ThresholdBand = { lo: 0, hi: 1 }, bestDice = -1;
  for (let i = 0; i <= steps; i++) {
    for (let j = i; j <= steps; j++) {
      const band = { lo: i / steps, hi: j / steps };
      const masks = thresholdMasks(slices, band);
      let sum = 0;
      slices.forEach((s, k) => (sum += dice(masks[k], s.truth) || 0));
      if (sum > bestDice) [best, bestDice] = [band, sum];
    }
  }
  return best;
}

/** The supervision of every pixel-game result: its rewards read the voxel labels. */
export const PIXEL_SUPERVISION = "voxel labels (fully supervised)";

/**
 * One markdown table row `| name | supervision | Dice | IoU | sensitivity | PPV | HD95 mm |`: mean ±
 * sd over slices (sd "-" for one slice), HD95 in mm with the infinite ones (an empty mask) counted.
 */
export function pixelScoreRow(name: string, s: PixelScores): string {
  const f = (x: { mean: number; sd: number }, d = 3) =>
    `${x.mean.toFixed(d)} ± ${Number.isNaN(x.sd) ? "-" : x.sd.toFixed(d)}`;
  const inf = s.hd95.infCount ? ` (${s.hd95.infCount} inf)` : "";
  return `| ${name} | ${PIXEL_SUPERVISION} | ${f(s.dice)} | ${f(s.iou)} | ${f(s.sensitivity)} | ${
    f(s.ppv)
  } | ${f(s.hd95, 2)}${inf} |`;
}
