/**
 * The opponent pool of self-play: the last `window` snapshots of the learner's weights (plain
 * arrays, never references to live variables), and the rule that draws the next opponent:
 *
 * - `latest`: always the newest snapshot (SPARS: the competitor is the learner as it was at the
 *   last refresh);
 * - `uniform`: any snapshot with equal probability (fictitious self-play);
 * - `pfsp`: prioritised fictitious self-play as in "Competing for pixels" (Saeed et al. 2024): a
 *   normal distribution over the snapshot's distance `d` from the newest (d = 0 newest, 1 the one
 *   before, ...), with mean `pfspMean` and standard deviation `pfspSd` snapshots, discretised to
 *   integers (`P(d) ∝ Phi((d + 1/2 - mean) / sd) - Phi((d - 1/2 - mean) / sd)`) and truncated to the
 *   history (renormalised over d = 0 .. size-1). A mean a little behind the newest favours
 *   opponents slightly weaker than the learner while still sampling much older ones and the newest.
 *
 * With probability `latestRatio` the newest snapshot is taken whatever the rule, so that
 * `P(newest) = latestRatio + (1 - latestRatio) * P_rule(newest)`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng, type RngState } from "../data/random.ts";
import { cloneWeights, type NamedWeight } from "./snapshot.ts";

/** How the next opponent is drawn. */
export type OpponentRule = "latest" | "uniform" | "pfsp";

/** Every rule, in the order of the CLI help. */
export const OPPONENT_RULES: readonly OpponentRule[] = ["latest", "uniform", "pfsp"];

/** Options of {@link OpponentPool}. */
export interface OpponentPoolOptions {
  /** Snapshots kept (the oldest is dropped beyond). Default 8. */
  readonly window: number;
  /** The sampling rule. Default `pfsp`. */
  readonly rule: OpponentRule;
  /** Probability of taking the newest snapshot whatever the rule, in [0, 1]. Default 0.5. */
  readonly latestRatio: number;
  /** PFSP: mean distance from the newest snapshot, in snapshots (>= 0). Default 2. */
  readonly pfspMean: number;
  /** PFSP: standard deviation, in snapshots (> 0). Default 2. */
  readonly pfspSd: number;
}

/** The defaults (see each field). */
export const DEFAULT_POOL_OPTIONS: OpponentPoolOptions = {
  window: 8,
  rule: "pfsp",
  latestRatio: 0.5,
  pfspMean: 2,
  pfspSd: 2,
};

/**
 * Merges options over the defaults and validates them.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolvePoolOptions(options: Partial<OpponentPoolOptions> = {}): OpponentPoolOptions {
  const o = { ...DEFAULT_POOL_OPTIONS, ...options };
  if (!(Number.isInteger(o.window) && o.window >= 1)) {
    throw new InvalidArgumentError("window", `is ${o.window}`, "an integer >= 1");
  }
  if (!OPPONENT_RULES.includes(o.rule)) {
    throw new InvalidArgumentError("rule", `is '${o.rule}'`, OPPONENT_RULES.join(", "));
  }
  if (!(o.latestRatio >= 0 && o.latestRatio <= 1)) {
    throw new InvalidArgumentError("latestRatio", `is ${o.latestRatio}`, "a value in [0, 1]");
  }
  if (!(o.pfspMean >= 0 && Number.isFinite(o.pfspMean))) {
    throw new InvalidArgumentError("pfspMean", `is ${o.pfspMean}`, "a finite number >= 0");
  }
  if (!(o.pfspSd > 0 && Number.isFinite(o.pfspSd))) {
    throw new InvalidArgumentError("pfspSd", `is ${o.pfspSd}`, "a finite number > 0");
  }
  return o;
}

/** The standard normal CDF (erf by Abramowitz & Stegun 7.1.26, absolute error < 1.5e-7). */
export function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly = t *
    (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/**
 * PFSP probabilities over `count` snapshots, index 0 = oldest, `count - 1` = newest (see the module
 * doc). When the window holds no mass at all (a mean far beyond the history), everything goes to
 * the snapshot nearest the mean.
 */
export function pfspProbabilities(count: number, mean: number, sd: number): Float64Array {
  const p = new Float64Array(count);
  let total = 0;
  for (let d = 0; d < count; d++) {
    const mass = normalCdf((d + 0.5 - mean) / sd) - normalCdf((d - 0.5 - mean) / sd);
    p[count - 1 - d] = mass;
    total += mass;
  }
  if (!(total > 0)) {
    p.fill(0);
    p[count - 1 - Math.min(count - 1, Math.max(0, Math.round(mean)))] = 1;
    return p;
  }
  for (let i = 0; i < count; i++) p[i] /= total;
  return p;
}

/**
 * The probability of drawing each of `count` snapshots (index 0 oldest) under the options,
 * `latestRatio` included.
 */
export function samplingProbabilities(count: number, options: OpponentPoolOptions): Float64Array {
  let rule: Float64Array;
  if (options.rule === "latest") {
    rule = new Float64Array(count);
    rule[count - 1] = 1;
  } else if (options.rule === "uniform") {
    rule = new Float64Array(count).fill(1 / count);
  } else {
    rule = pfspProbabilities(count, options.pfspMean, options.pfspSd);
  }
  const p = rule.map((q) => (1 - options.latestRatio) * q);
  p[count - 1] += options.latestRatio;
  return p;
}

/** One snapshot: the learner's weights after update `update`. */
export interface PoolSnapshot {
  /** The update after which the weights were taken (0: the initial weights). */
  readonly update: number;
  /** The weights (a private copy). */
  readonly weights: readonly NamedWeight[];
}

/** The pool. */
export class OpponentPool {
  /** Resolved options. */
  readonly options: OpponentPoolOptions;
  #snapshots: PoolSnapshot[] = [];
  readonly #rng: Rng;

  /**
   * Creates an empty pool.
   * @param options options over {@link DEFAULT_POOL_OPTIONS}
   * @param seed seed of the sampling generator
   */
  constructor(options: Partial<OpponentPoolOptions> = {}, seed = 0) {
    this.options = resolvePoolOptions(options);
    this.#rng = new Rng(seed);
  }

  /** The snapshots, oldest first. */
  get snapshots(): readonly PoolSnapshot[] {
    return this.#snapshots;
  }

  /** The newest snapshot (undefined when empty). */
  get latest(): PoolSnapshot | undefined {
    return this.#snapshots.at(-1);
  }

  /** Adds a copy of `weights` taken after `update`; drops the oldest beyond the window. */
  add(update: number, weights: readonly NamedWeight[]): PoolSnapshot {
    const snapshot = { update, weights: cloneWeights(weights) };
    this.#snapshots.push(snapshot);
    while (this.#snapshots.length > this.options.window) this.#snapshots.shift();
    return snapshot;
  }

  /** Probabilities of the current snapshots (oldest first). */
  probabilities(): Float64Array {
    return samplingProbabilities(this.#snapshots.length, this.options);
  }

  /**
   * Draws an opponent: the newest with probability `latestRatio`, else by the rule.
   * @throws {InvalidArgumentError} when the pool is empty
   */
  sample(): PoolSnapshot {
    const n = this.#snapshots.length;
    if (!n) throw new InvalidArgumentError("OpponentPool", "is empty", "add() a snapshot first");
    if (this.#rng.float() < this.options.latestRatio) return this.#snapshots[n - 1];
    const p = samplingProbabilities(n, { ...this.options, latestRatio: 0 });
    const u = this.#rng.float();
    let cumulative = 0;
    for (let i = 0; i < n; i++) {
      cumulative += p[i];
      if (u < cumulative) return this.#snapshots[i];
    }
    return this.#snapshots[n - 1];
  }

  /** State of the sampling generator (for checkpoints). */
  getRngState(): RngState {
    return this.#rng.getState();
  }

  /** Restores the sampling generator. */
  setRngState(state: RngState): void {
    this.#rng.setState(state);
  }

  /** Replaces the snapshots (checkpoint restore); keeps at most `window`, newest last. */
  restore(snapshots: readonly PoolSnapshot[]): void {
    this.#snapshots = snapshots.slice(-this.options.window).map((s) => ({
      update: s.update,
      weights: cloneWeights(s.weights),
    }));
  }
}
