/**
 * Collection of self-play rollouts on a {@link VectorEnv}: the learner plays side `a` of every
 * game, an opponent agent plays side `b`, and the learner's transitions fill a
 * {@link RolloutBuffer}. With `trainBothSides`, side `b`'s transitions are stored too (columns
 * `numEnvs ..`), with the opponent's log-probabilities as behaviour probabilities (the game is
 * symmetric, so they are valid experience for the learner; PPO's ratio clipping bounds how far an
 * older opponent's actions pull the learner). That needs the opponent to be a {@link PolicyAgent}.
 *
 * When the opponent is the learner itself (the same agent object), both sides' actions come from
 * one forward pass over the `2 * numEnvs` observations (the learner's sampler draws side a's
 * actions first, then side b's).
 *
 * Observations are copied into the buffer BEFORE the env steps, so a {@link VectorEnv} with
 * `copyObservations: false` works: its views are read in place (policy input, buffer row) and only
 * then overwritten by the step.
 *
 * NEXT_STEP autoreset: a step whose `autoreset[i]` is 1 ignored game i's actions, so it is stored
 * as invalid (no transition); the observation the policy saw at that step is the previous
 * episode's final observation, whose value is what a truncated transition bootstraps from.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Agent } from "../env/agent.ts";
import type { VectorEnv, VectorReset, VectorStep } from "../env/vector_env.ts";
import { PolicyAgent, type PolicyStep } from "./policy_agent.ts";
import { RolloutBuffer } from "./rollout_buffer.ts";

/** Rows `[start, end)` of a batched policy step (views, no copy). */
function sliceStep(step: PolicyStep, start: number, end: number): PolicyStep {
  return {
    actions: step.actions.subarray(start, end),
    logProbs: step.logProbs.subarray(start, end),
    values: step.values.subarray(start, end),
  };
}

/** One finished episode, from the learner's side. */
export interface EpisodeRecord {
  /** Sum of the learner's rewards. */
  readonly return: number;
  /** Steps played. */
  readonly length: number;
  /** 1 win (return > 0), 0 draw, -1 loss. */
  readonly outcome: 1 | 0 | -1;
  /** True when a window reached tau (else the step limit truncated it). */
  readonly terminated: boolean;
  /** The case played. */
  readonly caseId: string;
}

/** What one rollout saw besides the buffer. */
export interface RolloutStats {
  /** Episodes that ended during the rollout. */
  readonly episodes: EpisodeRecord[];
  /** Valid learner transitions (side a). */
  readonly transitions: number;
  /** Of those, steps the learner won (reward > 0), lost (< 0) or drew (= 0). */
  readonly stepWins: number;
  /** Steps the learner lost. */
  readonly stepLosses: number;
  /** Steps drawn. */
  readonly stepDraws: number;
}

/** Sees every reset and step result of a rollout (e.g. progress metrics); must not change them. */
export interface RolloutObserver {
  /** After {@link SelfPlayRollout.reset}. */
  reset(result: VectorReset): void;
  /** After every env step of {@link SelfPlayRollout.collect}. */
  step(result: VectorStep): void;
}

/** Options of {@link SelfPlayRollout}. */
export interface RolloutOptions {
  /** Env steps per rollout. */
  readonly numSteps: number;
  /** Store side b's transitions too (needs a PolicyAgent opponent). */
  readonly trainBothSides: boolean;
  /** Told of every reset and step. */
  readonly observer?: RolloutObserver;
}

/** Drives a vector env for rollouts, keeping the current observations between them. */
export class SelfPlayRollout {
  /** The env. */
  readonly env: VectorEnv;
  /** The buffer filled by {@link SelfPlayRollout.collect}. */
  readonly buffer: RolloutBuffer;
  /** Options. */
  readonly options: RolloutOptions;
  #observations?: { a: Float32Array[]; b: Float32Array[] };
  #caseIds: string[] = [];
  #returns: Float64Array;
  #lengths: Int32Array;

  /**
   * Allocates the buffer for the env's games (and sides).
   * @param env the vector env (the learner plays `a`)
   * @param observationLength floats per observation
   * @param options rollout length and sides
   */
  constructor(env: VectorEnv, observationLength: number, options: RolloutOptions) {
    this.env = env;
    this.options = options;
    const columns = env.numEnvs * (options.trainBothSides ? 2 : 1);
    this.buffer = new RolloutBuffer(options.numSteps, columns, observationLength);
    this.#returns = new Float64Array(env.numEnvs);
    this.#lengths = new Int32Array(env.numEnvs);
  }

  /** Resets every game with `seed` (episodes in progress are dropped from the statistics). */
  async reset(seed: number): Promise<void> {
    const r = await this.env.reset({ seed });
    this.#observations = r.observations;
    this.#caseIds = r.infos.a.map((info) => info.caseId);
    this.#returns.fill(0);
    this.#lengths.fill(0);
    this.options.observer?.reset(r);
  }

  /**
   * Plays `numSteps` steps of every game and fills the buffer (bootstrap values included).
   * @throws {InvalidArgumentError} before `reset`, or with `trainBothSides` and an opponent that is not a PolicyAgent
   */
  async collect(learner: PolicyAgent, opponent: Agent): Promise<RolloutStats> {
    if (!this.#observations) {
      throw new InvalidArgumentError("collect", "called before reset", "reset() first");
    }
    const both = this.options.trainBothSides;
    if (both && !(opponent instanceof PolicyAgent)) {
      throw new InvalidArgumentError(
        "opponent",
        `is ${opponent.name}`,
        "a PolicyAgent when training on both sides",
      );
    }
    const n = this.env.numEnvs, buffer = this.buffer;
    buffer.clear();
    const episodes: EpisodeRecord[] = [];
    let transitions = 0, stepWins = 0, stepLosses = 0, stepDraws = 0;
    for (let t = 0; t < this.options.numSteps; t++) {
      const obs = this.#observations;
      let mine: PolicyStep;
      let theirs: { actions: Int32Array; logProbs?: Float32Array };
      let theirValues: Float32Array | undefined;
      if (opponent === learner) {
        // One agent on both sides: one forward pass over both sides' observations.
        const joint = await learner.step([...obs.a, ...obs.b]);
        mine = sliceStep(joint, 0, n);
        theirs = sliceStep(joint, n, 2 * n);
        theirValues = joint.values.subarray(n, 2 * n);
      } else if (both) {
        mine = await learner.step(obs.a);
        theirs = await (opponent as PolicyAgent).step(obs.b);
        theirValues = await learner.value(obs.b);
      } else {
        mine = await learner.step(obs.a);
        theirs = { actions: await opponent.act(obs.b, this.env.contexts("b")) };
      }
      // Store what was acted on before stepping: the step may overwrite the env's batch buffer.
      for (let i = 0; i < n; i++) {
        buffer.setObservation(t, i, obs.a[i]);
        if (both) buffer.setObservation(t, n + i, obs.b[i]);
      }
      const r = await this.env.step({ a: mine.actions, b: theirs.actions });
      this.options.observer?.step(r);
      for (let i = 0; i < n; i++) {
        const valid = r.autoreset[i] === 0;
        buffer.setOutcome(t, i, {
          action: mine.actions[i],
          logProb: mine.logProbs[i],
          value: mine.values[i],
          reward: r.rewards.a[i],
          terminated: r.terminations.a[i] === 1,
          truncated: r.truncations.a[i] === 1,
          valid,
        });
        if (both) {
          buffer.setOutcome(t, n + i, {
            action: theirs.actions[i],
            logProb: theirs.logProbs![i],
            value: theirValues![i],
            reward: r.rewards.b[i],
            terminated: r.terminations.b[i] === 1,
            truncated: r.truncations.b[i] === 1,
            valid,
          });
        }
        if (!valid) {
          this.#caseIds[i] = r.infos.a[i].caseId;
          continue;
        }
        const reward = r.rewards.a[i];
        transitions++;
        if (reward > 0) stepWins++;
        else if (reward < 0) stepLosses++;
        else stepDraws++;
        this.#returns[i] += reward;
        this.#lengths[i]++;
        if (r.terminations.a[i] || r.truncations.a[i]) {
          const ret = this.#returns[i];
          episodes.push({
            return: ret,
            length: this.#lengths[i],
            outcome: ret > 0 ? 1 : ret < 0 ? -1 : 0,
            terminated: r.terminations.a[i] === 1,
            caseId: this.#caseIds[i],
          });
          this.#returns[i] = 0;
          this.#lengths[i] = 0;
        }
      }
      this.#observations = r.observations;
    }
    buffer.bootstrapValues.set(await learner.value(this.#observations.a), 0);
    if (both) buffer.bootstrapValues.set(await learner.value(this.#observations.b), n);
    return { episodes, transitions, stepWins, stepLosses, stepDraws };
  }
}
