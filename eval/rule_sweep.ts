/**
 * Validation sweeps over mask rules, numbers of starts and the presence gate. Each case is played
 * ONCE per method, with the largest tau and the largest number of starts; the map of every smaller
 * tau is the replay of the trajectories cut at tau, and the map of k starts is the replay of the
 * first k trajectories (start 0 keeps the configured start rule, so the first k starts of an N-start
 * run are a k-start run whose players' random streams are shared). Refinement, when on, is re-done
 * per (starts, tau) on the cut trajectories, through one score cache per case.
 *
 * Per (starts, rule kind): a {@link SweepResult} table (tau x value, mean Dice over cases with a
 * target). Per starts: the rule kind and value of the best mean Dice (ties: the earlier kind), then
 * the presence gate chosen on ALL cases (positives and tumour-free) for that setting, or given.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case } from "../data/types.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import { resolveConfig } from "../env/config.ts";
import { denseBaseline, type DenseBaselineOptions } from "./dense_baseline.ts";
import { episodeMap } from "./episode_map.ts";
import { type MaskRule, type MaskRuleKind, ruleCutoffs } from "./mask_rule.ts";
import { checkGate, chooseGate, type GateChoice, type GateSample } from "./presence_gate.ts";
import { segment, type SegmentOptions } from "./segment.ts";
import { stepsUnderTau } from "./trajectory_map.ts";
import { diceByThreshold, isUninformative, summarizeSweep, type SweepResult } from "./sweep.ts";

/** One rule kind and the values swept for it. */
export interface RuleGrid {
  /** The rule kind. */
  readonly kind: MaskRuleKind;
  /** Its values (thresholds, or peak fractions in (0, 1)). */
  readonly values: readonly number[];
}

/** One validation case of one method: tables per (starts, rule), best scores per (starts, tau). */
export interface RuleSweepCase {
  /** Case id. */
  readonly id: string;
  /** True when the case has target voxels. */
  readonly positive: boolean;
  /** Best window score, `[startsIndex][tauIndex]`. */
  readonly bestScores: readonly (readonly number[])[];
  /** Dice, `[startsIndex][ruleIndex][tauIndex][valueIndex]` (NaN without a target). */
  readonly dice: readonly (readonly (readonly (readonly number[])[])[])[];
  /** Empty mask, same indices as `dice`. */
  readonly empty: readonly (readonly (readonly (readonly boolean[])[])[])[];
}

/** What is swept for one method. */
export interface RuleSweepGrid {
  /** Taus (`[NaN]` for the dense baseline). */
  readonly taus: readonly number[];
  /** Rule kinds with their values. */
  readonly rules: readonly RuleGrid[];
  /** Numbers of starts, each >= 1 (ignored by the dense baseline, which has none). */
  readonly starts: readonly number[];
}

function checkGrid(grid: RuleSweepGrid): void {
  if (!grid.rules.length || grid.rules.some((r) => !r.values.length)) {
    throw new InvalidArgumentError("rules", "has no rule kind or a kind without values", "values per kind");
  }
  if (!grid.starts.length || !grid.starts.every((s) => Number.isInteger(s) && s >= 1)) {
    throw new InvalidArgumentError("starts", `are ${grid.starts.join(",")}`, "integers >= 1");
  }
}

function tables(
  map: Float32Array,
  meanMap: () => Float32Array,
  deconvMap: () => Float32Array,
  truth: Uint8Array,
  positive: boolean,
  rules: readonly RuleGrid[],
): { dice: number[][]; empty: boolean[][] } {
  const dice: number[][] = [], empty: boolean[][] = [];
  for (const r of rules) {
    const { source, cutoffs } = ruleCutoffs(
      r.kind,
      r.values,
      map,
      r.kind === "visit" ? meanMap() : undefined,
      r.kind === "deconv" ? deconvMap() : undefined,
    );
    let max = -Infinity;
    for (let i = 0; i < source.length; i++) if (source[i] > max) max = source[i];
    dice.push(positive ? diceByThreshold(source, truth, cutoffs) : cutoffs.map(() => NaN));
    empty.push(cutoffs.map((c) => !(max > c)));
  }
  return { dice, empty };
}

/**
 * Sweeps one agent method on one case (see the module doc). `options.refineRadius`/`refineTop`
 * are applied per (starts, tau); `truth` is the binary target mask (z,y,x).
 */
export async function sweepSegmentRules(
  c: Case,
  truth: Uint8Array,
  options: SegmentOptions,
  grid: RuleSweepGrid,
): Promise<RuleSweepCase> {
  checkGrid(grid);
  if (!grid.taus.length || !grid.taus.every((t) => t >= 0 && t <= 1)) {
    throw new InvalidArgumentError(
      "taus",
      `are ${grid.taus.join(",")}`,
      "at least one value, each in [0, 1]",
    );
  }
  const scorer = new CachedScorer(options.scorer);
  const played = await segment(c, {
    ...options,
    scorer,
    tau: Math.max(...grid.taus),
    starts: Math.max(...grid.starts),
    refineTop: 0,
    gate: 0,
  });
  const config = resolveConfig({ ...options, maskThreshold: 0.5 });
  const positive = truth.some((v) => v !== 0);
  const bestScores: number[][] = [], dice: number[][][][] = [], empty: boolean[][][][] = [];
  for (const k of grid.starts) {
    const best: number[] = [],
      d: number[][][] = grid.rules.map(() => []),
      e: boolean[][][] = grid.rules.map(() => []);
    // Taus that cut every trajectory at the same step give the same map: computed once.
    const byCuts = new Map<string, { best: number; t: ReturnType<typeof tables> }>();
    for (const tau of grid.taus) {
      const cuts = played.trajectories.slice(0, k).map((t) => stepsUnderTau(t, tau)).join(",");
      const known = byCuts.get(cuts);
      if (known) {
        best.push(known.best);
        known.t.dice.forEach((row, r) => d[r].push(row));
        known.t.empty.forEach((row, r) => e[r].push(row));
        continue;
      }
      const episode = await episodeMap(c.image, played.trajectories.slice(0, k), {
        window: config.window,
        stride: config.stride,
        mapMode: config.mapMode,
        tau,
        refineRadius: options.refineRadius,
        refineTop: options.refineTop,
        scorer,
      });
      best.push(episode.bestScore);
      const t = tables(episode.map, episode.meanMap, episode.deconvMap, truth, positive, grid.rules);
      byCuts.set(cuts, { best: episode.bestScore, t });
      t.dice.forEach((row, r) => d[r].push(row));
      t.empty.forEach((row, r) => e[r].push(row));
    }
    bestScores.push(best);
    dice.push(d);
    empty.push(e);
  }
  return { id: c.id, positive, bestScores, dice, empty };
}

/** Sweeps the dense baseline's rules on one case (one tau row, NaN; the same tables for every starts). */
export async function sweepDenseRules(
  c: Case,
  truth: Uint8Array,
  options: DenseBaselineOptions,
  grid: RuleSweepGrid,
): Promise<RuleSweepCase> {
  checkGrid(grid);
  const r = await denseBaseline(c.image, {
    ...options,
    keepMeanMap: grid.rules.some((g) => g.kind === "visit"),
    keepDeconvMap: grid.rules.some((g) => g.kind === "deconv"),
    gate: 0,
  });
  const positive = truth.some((v) => v !== 0);
  const t = tables(r.map, () => r.meanMap!, () => r.deconvMap!(), truth, positive, grid.rules);
  return {
    id: c.id,
    positive,
    bestScores: grid.starts.map(() => [r.bestScore]),
    dice: grid.starts.map(() => t.dice.map((row) => [row])),
    empty: grid.starts.map(() => t.empty.map((row) => [row])),
  };
}

/** The setting chosen for one method at one number of starts. */
export interface RuleChoice {
  /** Method name. */
  readonly method: string;
  /** Starts per case. */
  readonly starts: number;
  /** Termination threshold (NaN for dense). */
  readonly tau: number;
  /** The chosen mask rule. */
  readonly rule: MaskRule;
  /** Mean validation Dice of the chosen (tau, rule) over cases with a target (NaN when none). */
  readonly dice: number;
  /** The gate: chosen on validation (with its scores), or given (`choice` absent). */
  readonly gate: number;
  /** The gate choice, when the gate was chosen on validation. */
  readonly gateChoice?: GateChoice;
  /** One table per rule kind (tau x value), `rule` and `starts` set. */
  readonly sweeps: readonly (SweepResult & { readonly rule: MaskRuleKind; readonly starts: number })[];
  /**
   * True when every setting of every rule kind gave the same mean validation Dice (e.g. all 0), or
   * none a finite one: the choice is only a tie-break, not a tuned setting.
   */
  readonly uninformative: boolean;
}

/**
 * Summarises a method's sweep cases at `grid.starts[startsIndex]`: per-kind tables, the best kind
 * and value (ties: the earlier kind of `grid.rules`), and the gate (`"auto"`: chosen by
 * `chooseGate`; a number: given).
 * @throws {InvalidArgumentError} for a bad gate or starts index
 */
export function chooseRule(
  method: string,
  grid: RuleSweepGrid,
  cases: readonly RuleSweepCase[],
  startsIndex: number,
  gate: number | "auto" = "auto",
): RuleChoice {
  if (!(startsIndex >= 0 && startsIndex < grid.starts.length)) {
    throw new InvalidArgumentError("startsIndex", `is ${startsIndex}`, `0..${grid.starts.length - 1}`);
  }
  if (gate !== "auto") checkGate(gate, "gate");
  const sweeps = grid.rules.map((r, ri) => ({
    ...summarizeSweep(
      method,
      { taus: grid.taus, thresholds: r.values },
      cases.map((c) => ({
        id: c.id,
        dice: c.dice[startsIndex][ri],
      })),
    ),
    rule: r.kind,
    starts: grid.starts[startsIndex],
  }));
  let bestRule = 0;
  for (let ri = 1; ri < sweeps.length; ri++) {
    const d = sweeps[ri].best.dice, b = sweeps[bestRule].best.dice;
    if (d > b || (Number.isNaN(b) && !Number.isNaN(d))) bestRule = ri;
  }
  const best = sweeps[bestRule].best;
  const rule: MaskRule = { kind: grid.rules[bestRule].kind, value: best.threshold };
  let gateChoice: GateChoice | undefined;
  if (gate === "auto") {
    const samples: GateSample[] = cases.map((c) => ({
      bestScore: c.bestScores[startsIndex][best.tauIndex],
      positive: c.positive,
      dice: c.dice[startsIndex][bestRule][best.tauIndex][best.thresholdIndex],
      predictedEmpty: c.empty[startsIndex][bestRule][best.tauIndex][best.thresholdIndex],
    }));
    gateChoice = chooseGate(samples);
  }
  return {
    method,
    starts: grid.starts[startsIndex],
    tau: best.tau,
    rule,
    dice: best.dice,
    gate: gateChoice?.gate ?? (gate as number),
    gateChoice,
    sweeps,
    uninformative: isUninformative(sweeps.flatMap((s) => s.meanDice)),
  };
}
