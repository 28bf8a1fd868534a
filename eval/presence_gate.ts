/**
 * The presence gate: an EMPTY mask when the case looks tumour-free.
 *
 * Rule: a method's best window score on a case is the maximum score over every window it occupied
 * or added to its map on that case: for agents, rows 0..cut of every start's trajectory (start
 * windows included, both agents) plus the refinement windows; for the dense baseline, every lattice
 * window. Look-ups an agent makes internally (the greedy agent's neighbour scores) are not counted,
 * so the rule is the same for every agent. The mask is emptied when `best < gate`; gate 0 never
 * closes (scores are >= 0).
 *
 * Choice on validation (positives AND tumour-free cases), for a method whose tau and mask rule are
 * already chosen: each case scores its Dice when positive (0 when gated), and 1 when tumour-free if
 * its mask is empty (gated, or empty anyway), else 0; the gate maximising the mean over all cases is
 * chosen among 0 and the midpoints between consecutive distinct best scores (and halfway from the
 * largest to 1); ties go to the smallest gate.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { stepsUnderTau, type Trajectory, type WindowScores } from "./trajectory_map.ts";

/**
 * Checks a gate value.
 * @param gate the gate, in [0, 1] (0 = off)
 * @param source the option or CLI flag named in the error
 * @throws {InvalidArgumentError} when it is not a number in [0, 1]
 */
export function checkGate(gate: number, source = "gate"): number {
  if (!(gate >= 0 && gate <= 1)) throw new InvalidArgumentError(source, `is ${gate}`, "a number in [0, 1]");
  return gate;
}

/**
 * The best window score of trajectories (rows 0..cut at `tau`, both agents, every start) and of the
 * `extra` windows; 0 when there is none.
 */
export function bestWindowScore(
  trajectories: readonly Trajectory[],
  tau?: number,
  extra?: WindowScores,
): number {
  let best = 0;
  for (const t of trajectories) {
    const last = tau === undefined ? t.steps : stepsUnderTau(t, tau);
    for (let k = 0; k < 2 * (last + 1); k++) if (t.scores[k] > best) best = t.scores[k];
  }
  const e = extra?.scores ?? [];
  for (let i = 0; i < e.length; i++) if (e[i] > best) best = e[i];
  return best;
}

/** True when the gate empties the mask: `best < gate` (never for gate 0). */
export function isGated(bestScore: number, gate: number): boolean {
  return bestScore < gate;
}

/** One validation case as the gate choice sees it. */
export interface GateSample {
  /** The method's best window score on the case. */
  readonly bestScore: number;
  /** True when the case has target voxels. */
  readonly positive: boolean;
  /** Dice of the ungated mask (positives; ignored for tumour-free cases). */
  readonly dice: number;
  /** True when the ungated mask is empty. */
  readonly predictedEmpty: boolean;
}

/** The per-case score of a gate (see the module doc), averaged over the samples; NaN for none. */
export function gateObjective(samples: readonly GateSample[], gate: number): number {
  if (!samples.length) return NaN;
  let sum = 0;
  for (const s of samples) {
    const gated = isGated(s.bestScore, gate);
    if (s.positive) sum += gated || !Number.isFinite(s.dice) ? 0 : s.dice;
    else sum += gated || s.predictedEmpty ? 1 : 0;
  }
  return sum / samples.length;
}

/** The result of {@link chooseGate}. */
export interface GateChoice {
  /** The chosen gate (0 = off). */
  readonly gate: number;
  /** Its mean per-case score on the samples. */
  readonly score: number;
  /** The mean per-case score without a gate (gate 0). */
  readonly ungatedScore: number;
  /** Positives and tumour-free cases among the samples. */
  readonly positives: number;
  /** Tumour-free cases among the samples. */
  readonly negatives: number;
}

/** The candidate gates of samples: 0, the midpoints between consecutive distinct best scores, and halfway to 1. */
export function gateCandidates(samples: readonly GateSample[]): number[] {
  const values = [...new Set(samples.map((s) => s.bestScore))].sort((a, b) => a - b);
  const out = [0];
  for (let i = 0; i + 1 < values.length; i++) out.push((values[i] + values[i + 1]) / 2);
  const top = values[values.length - 1];
  if (top !== undefined && top < 1) out.push((top + 1) / 2);
  return out.filter((g, i) => g > 0 || i === 0);
}

/** Chooses the gate maximising {@link gateObjective} over {@link gateCandidates} (ties: smallest gate). */
export function chooseGate(samples: readonly GateSample[]): GateChoice {
  const ungatedScore = gateObjective(samples, 0);
  let gate = 0, score = ungatedScore;
  for (const g of gateCandidates(samples)) {
    const s = gateObjective(samples, g);
    if (s > score) [gate, score] = [g, s];
  }
  const positives = samples.filter((s) => s.positive).length;
  return { gate, score, ungatedScore, positives, negatives: samples.length - positives };
}
