/**
 * Progress measures of self-play training that a moving opponent pool cannot give:
 *
 * - schedules scaled to the run length (`"auto"`: opponent refresh, reference matches, validation);
 * - the measures of the training rollouts ({@link RolloutTracker}: visited-window score, distinct
 *   windows, terminated share by presence, valid-transition share, on-target share from labels);
 * - validation of the current policy through a hook (`validate`, e.g. mean Dice);
 * - matches of the current learner (actions sampled) against FIXED references, a `RandomAgent` and
 *   a `GreedyAgent`, on a separate small {@link VectorEnv} of training cases reset with its own
 *   fixed seed every time, so numbers are comparable across updates. Fresh reference agents and a
 *   fresh sampling generator are made per evaluation; the training env, its generators and the
 *   learner's sampling generator are never touched, so resumed runs stay identical to uninterrupted
 *   ones. The reference env shares the training env's score cache (scores depend only on the
 *   window), so `scorerCacheHitRate` counts its lookups too.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Case } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import type { SparsConfig } from "../env/config.ts";
import type { Scorer } from "../env/scorer.ts";
import { VectorEnv } from "../env/vector_env.ts";
import { PolicyAgent } from "../agents/policy_agent.ts";
import type { PolicyNetwork } from "../agents/policy_network.ts";
import { playReferenceMatch } from "../agents/reference_match.ts";
import { type RolloutProgress, RolloutTracker } from "./rollout_tracker.ts";

/** A period in updates, or `"auto"` (scaled to the run length; see {@link resolveEvery}). */
export type Every = number | "auto";

/** Options of the progress measures (part of `SelfPlayOptions`). */
export interface ProgressOptions {
  /**
   * Updates between matches against the fixed references (random, greedy); they also run at the
   * first and the last update. `"auto"` = max(1, floor(updates / 8)), so any run of >= 8 updates
   * logs them at least 8 times; 0 = never. Default `"auto"`.
   */
  readonly referenceEvery?: Every;
  /** Games (= episodes counted) per reference match. Default 8. */
  readonly referenceGames?: number;
  /** Step limit of the reference games. Default min(the game's maxSteps, 32). */
  readonly referenceMaxSteps?: number;
  /** Seed of the reference env resets and the reference agents. Default: derived from the run seed. */
  readonly referenceSeed?: number;
  /**
   * Validation of the current policy, e.g. mean Dice on a few validation cases
   * (`validationDiceHook` of `train/validation.ts`). Must not change the network. Its value is
   * logged as `validationDice` (NaN when it did not run).
   */
  readonly validate?: (network: PolicyNetwork, update: number) => Promise<number>;
  /**
   * Updates between validations (they also run at the last update); 0 = never. `"auto"` as
   * `referenceEvery`. Default `"auto"` (only matters when `validate` is given).
   */
  readonly validateEvery?: Every;
  /**
   * Label values of the target, for the EVALUATION-ONLY on-target share of the rollouts
   * (`onTargetShareLabels`). Read from the cases' voxel labels; never fed to the learner, the
   * rewards or the scorer. Unset: the share is not computed (NaN).
   */
  readonly evalTarget?: number | readonly number[];
}

/** Results of one round of reference matches (NaN when none ran at this update). */
export interface ReferenceFields {
  /** Share of reference episodes the learner (sampled actions) won against a fixed `RandomAgent`. */
  readonly vsRandomWinRate: number;
  /** Share drawn against the random agent. */
  readonly vsRandomDrawRate: number;
  /** Mean per-step score margin (learner's window score - random agent's), in [-1, 1]. */
  readonly vsRandomMargin: number;
  /** Share of reference episodes the learner won against a fixed `GreedyAgent`. */
  readonly vsGreedyWinRate: number;
  /** Share drawn against the greedy agent. */
  readonly vsGreedyDrawRate: number;
  /** Mean per-step score margin against the greedy agent, in [-1, 1]. */
  readonly vsGreedyMargin: number;
}

/**
 * The progress fields of every metrics record (part of `UpdateRecord`); NaN is written as null.
 * Rollout fields: see {@link RolloutProgress} (`onTargetShareLabels` reads voxel labels and is
 * evaluation only); reference fields: {@link ReferenceFields}.
 */
export interface ProgressRecord extends ReferenceFields, RolloutProgress {
  /** Validation value (e.g. mean Dice) of the learner after this update; NaN when not run. */
  readonly validationDice: number;
  /** Seconds of this update's reference matches and validation (counted in `seconds`). */
  readonly evalSeconds: number;
  /** Resolved updates between opponent refreshes (unused with a fixed opponent). */
  readonly competitorUpdateEvery: number;
  /** Resolved updates between reference matches (0 = never). */
  readonly referenceEvery: number;
  /** Resolved updates between validations (0 = never, e.g. without a `validate` hook). */
  readonly validateEvery: number;
}

/** Reference fields of an update without reference matches. */
export const NO_REFERENCE: ReferenceFields = {
  vsRandomWinRate: NaN,
  vsRandomDrawRate: NaN,
  vsRandomMargin: NaN,
  vsGreedyWinRate: NaN,
  vsGreedyDrawRate: NaN,
  vsGreedyMargin: NaN,
};

/**
 * Resolves a period: a number is checked (an integer >= `min`), `"auto"` becomes
 * `max(1, round(totalUpdates / 8))` (`rounding: "round"`, the opponent refresh: ~8 refreshes per
 * run) or `max(1, floor(totalUpdates / 8))` (`"floor"`, logging: at least 8 points when the run
 * has >= 8 updates).
 * @throws {InvalidArgumentError} naming `name` for anything else
 */
export function resolveEvery(
  name: string,
  value: Every,
  totalUpdates: number,
  rounding: "round" | "floor",
  min = 0,
): number {
  if (value === "auto") {
    return Math.max(1, rounding === "round" ? Math.round(totalUpdates / 8) : Math.floor(totalUpdates / 8));
  }
  if (!(Number.isInteger(value) && value >= min)) {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(value)}`, `"auto" or an integer >= ${min}`);
  }
  return value;
}

/**
 * Whether a periodic measure runs after `update`: every `every` updates, plus the last update
 * and, when `first`, the first; never when `every` is 0.
 */
export function isDue(every: number, update: number, totalUpdates: number, first: boolean): boolean {
  if (every <= 0) return false;
  return update % every === 0 || update === totalUpdates || (first && update === 1);
}

/** Options of {@link ReferenceEvaluator}. */
export interface ReferenceEvaluatorOptions {
  /** Game options of training (the step limit is replaced by `maxSteps`). */
  readonly env?: Partial<SparsConfig>;
  /** Training cases. */
  readonly cases: readonly Case[];
  /** The scorer, used as is (pass the training env's cached scorer to share its cache). */
  readonly scorer: Scorer;
  /** Games per match. */
  readonly games: number;
  /** Step limit of the reference games. */
  readonly maxSteps: number;
  /** Seed of the resets and of the agents. */
  readonly seed: number;
}

/** Distinct 32-bit seeds of stream `k` of a seed. */
function streamSeed(seed: number, k: number): number {
  let h = (Math.trunc(seed) ^ Math.imul(k + 0x51, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  return (h ^ (h >>> 12)) >>> 0;
}

/** Plays the learner against the fixed references on its own small env (see the module doc). */
export class ReferenceEvaluator {
  /** The reference env (its own games and generators). */
  readonly env: VectorEnv;
  readonly #seed: number;

  /**
   * Builds the reference env.
   * @throws {InvalidArgumentError} for a bad number of games or step limit (and the env's errors)
   */
  constructor(options: ReferenceEvaluatorOptions) {
    const { games, maxSteps, seed } = options;
    if (!(Number.isInteger(games) && games >= 1)) {
      throw new InvalidArgumentError("referenceGames", `is ${games}`, "an integer >= 1");
    }
    if (!(Number.isInteger(maxSteps) && maxSteps >= 1)) {
      throw new InvalidArgumentError("referenceMaxSteps", `is ${maxSteps}`, "an integer >= 1");
    }
    this.#seed = seed >>> 0;
    this.env = new VectorEnv({
      ...options.env,
      maxSteps,
      numEnvs: games,
      cases: options.cases,
      scorer: options.scorer,
      cache: false,
    });
  }

  /** Matches of `network` (actions sampled) against a fresh random and a fresh greedy agent. */
  async evaluate(network: PolicyNetwork): Promise<ReferenceFields> {
    const learner = (): Agent =>
      new PolicyAgent(network, { seed: streamSeed(this.#seed, 0), name: "learner" });
    const resetSeed = streamSeed(this.#seed, 1);
    const random = await playReferenceMatch(
      this.env,
      learner(),
      new RandomAgent(streamSeed(this.#seed, 2)),
      resetSeed,
    );
    const greedy = await playReferenceMatch(
      this.env,
      learner(),
      new GreedyAgent(streamSeed(this.#seed, 3)),
      resetSeed,
    );
    return {
      vsRandomWinRate: random.winRate,
      vsRandomDrawRate: random.drawRate,
      vsRandomMargin: random.meanMargin,
      vsGreedyWinRate: greedy.winRate,
      vsGreedyDrawRate: greedy.drawRate,
      vsGreedyMargin: greedy.meanMargin,
    };
  }
}

/** What {@link ProgressMonitor} needs of the trainer's options. */
export interface ProgressMonitorOptions extends ProgressOptions {
  /** Training cases (the reference games draw from them). */
  readonly cases: readonly Case[];
  /** Game options of training. */
  readonly env?: Partial<SparsConfig>;
  /** The trainer's opponent refresh period (resolved here with the other schedules). */
  readonly competitorUpdateEvery?: Every;
}

/**
 * All progress measures of a run: resolves the schedules, owns the rollout tracker (pass it as the
 * rollout's observer) and the reference env, and gives each update's {@link ProgressRecord}.
 */
export class ProgressMonitor {
  /** The rollout observer. */
  readonly tracker: RolloutTracker;
  /** Resolved updates between opponent refreshes (>= 1). */
  competitorUpdateEvery = 1;
  /** Resolved updates between reference matches (0 = never). */
  referenceEvery = 0;
  /** Resolved updates between validations (0 = never). */
  validateEvery = 0;
  readonly #options: ProgressMonitorOptions;
  readonly #referee?: ReferenceEvaluator;
  readonly #totalUpdates: number;

  /**
   * Resolves the schedules and builds the reference env (sharing `env`'s scorer and its cache).
   * @param options the trainer's options
   * @param env the training env (read only: its scorer, config and games' cases)
   * @param totalUpdates updates of the run
   * @param referenceSeed the reference seed when `options.referenceSeed` is unset
   * @throws {InvalidArgumentError} for bad periods, reference sizes or `evalTarget`
   */
  constructor(options: ProgressMonitorOptions, env: VectorEnv, totalUpdates: number, referenceSeed: number) {
    this.#options = options;
    this.#totalUpdates = totalUpdates;
    this.useSchedule(totalUpdates);
    this.tracker = new RolloutTracker({
      numEnvs: env.numEnvs,
      window: env.config.window,
      caseOf: (i) => env.games[i].case,
      target: options.evalTarget,
    });
    if (this.referenceEvery > 0) {
      this.#referee = new ReferenceEvaluator({
        env: options.env,
        cases: options.cases,
        scorer: env.scorer,
        games: options.referenceGames ?? 8,
        maxSteps: options.referenceMaxSteps ?? Math.min(env.config.maxSteps, 32),
        seed: options.referenceSeed ?? referenceSeed,
      });
    }
  }

  /**
   * Resolves the periods, `"auto"` ones over `runUpdates`: a resumed run passes the length of the
   * run it continues (its schedule), so that a new total does not move its refreshes.
   * @throws {InvalidArgumentError} for bad periods
   */
  useSchedule(runUpdates: number): void {
    const o = this.#options;
    const every = o.competitorUpdateEvery ?? "auto";
    this.competitorUpdateEvery = resolveEvery("competitorUpdateEvery", every, runUpdates, "round", 1);
    this.referenceEvery = resolveEvery("referenceEvery", o.referenceEvery ?? "auto", runUpdates, "floor");
    this.validateEvery = o.validate
      ? resolveEvery("validateEvery", o.validateEvery ?? "auto", runUpdates, "floor")
      : 0;
  }

  /**
   * The progress fields of `update` (after its PPO epochs): the rollout measures since the last
   * call, and the reference matches and validation when due.
   */
  async measure(update: number, network: PolicyNetwork): Promise<ProgressRecord> {
    const started = performance.now(), total = this.#totalUpdates;
    const rollout = this.tracker.take();
    const reference = this.#referee && isDue(this.referenceEvery, update, total, true)
      ? await this.#referee.evaluate(network)
      : NO_REFERENCE;
    const validate = this.#options.validate;
    const validationDice = validate && isDue(this.validateEvery, update, total, false)
      ? await validate(network, update)
      : NaN;
    return {
      ...rollout,
      ...reference,
      validationDice,
      evalSeconds: (performance.now() - started) / 1000,
      competitorUpdateEvery: this.competitorUpdateEvery,
      referenceEvery: this.referenceEvery,
      validateEvery: this.validateEvery,
    };
  }
}
