/**
 * Fixed-size storage of one PPO rollout: `steps` rows of `columns` transitions (a column is one game
 * seen from one side), in the layout of `gae.ts` (index `t * columns + c`). Arrays are allocated
 * once and overwritten by every rollout.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

/** One transition as the rollout records it. */
export interface Transition {
  /** The observation acted on (copied into the buffer). */
  readonly observation: Float32Array;
  /** The action taken. */
  readonly action: number;
  /** Its log-probability under the policy that chose it. */
  readonly logProb: number;
  /** The learner's value of the observation. */
  readonly value: number;
  /** The reward the env returned. */
  readonly reward: number;
  /** The env's terminated flag. */
  readonly terminated: boolean;
  /** The env's truncated flag. */
  readonly truncated: boolean;
  /** False on autoreset steps (the env ignored the action). */
  readonly valid: boolean;
}

/** The rollout storage. */
export class RolloutBuffer {
  /** Rows (time steps per rollout). */
  readonly steps: number;
  /** Columns (games x sides). */
  readonly columns: number;
  /** Floats per observation. */
  readonly observationLength: number;
  /** Observations, `steps * columns * observationLength`. */
  readonly observations: Float32Array;
  /** Actions. */
  readonly actions: Int32Array;
  /** Behaviour log-probabilities. */
  readonly logProbs: Float32Array;
  /** Values V(o_t) of the learner. */
  readonly values: Float32Array;
  /** Rewards. */
  readonly rewards: Float32Array;
  /** Terminated flags. */
  readonly terminations: Uint8Array;
  /** Truncated flags. */
  readonly truncations: Uint8Array;
  /** 1 for real transitions, 0 for autoreset steps and unfilled entries. */
  readonly valid: Uint8Array;
  /** Values of the observations after the last row, one per column. */
  readonly bootstrapValues: Float32Array;

  /**
   * Allocates the arrays.
   * @throws {InvalidArgumentError} for non-positive sizes
   */
  constructor(steps: number, columns: number, observationLength: number) {
    for (
      const [name, v] of [["steps", steps], ["columns", columns], [
        "observationLength",
        observationLength,
      ]] as const
    ) {
      if (!(Number.isInteger(v) && v >= 1)) {
        throw new InvalidArgumentError(name, `is ${v}`, "an integer >= 1");
      }
    }
    this.steps = steps;
    this.columns = columns;
    this.observationLength = observationLength;
    const n = steps * columns;
    this.observations = new Float32Array(n * observationLength);
    this.actions = new Int32Array(n);
    this.logProbs = new Float32Array(n);
    this.values = new Float32Array(n);
    this.rewards = new Float32Array(n);
    this.terminations = new Uint8Array(n);
    this.truncations = new Uint8Array(n);
    this.valid = new Uint8Array(n);
    this.bootstrapValues = new Float32Array(columns);
  }

  /** Number of entries (`steps * columns`). */
  get size(): number {
    return this.steps * this.columns;
  }

  /** Clears the flags (observations are overwritten by the next rollout). */
  clear(): void {
    this.valid.fill(0);
    this.terminations.fill(0);
    this.truncations.fill(0);
    this.rewards.fill(0);
    this.bootstrapValues.fill(0);
  }

  /**
   * Stores one transition at row t, column c: {@link setObservation} then {@link setOutcome}.
   * @throws {InvalidArgumentError} for an index out of range or an observation of the wrong length
   */
  set(t: number, c: number, x: Transition): void {
    this.setObservation(t, c, x.observation);
    this.setOutcome(t, c, x);
  }

  /**
   * Copies the observation acted on at row t, column c into {@link observations}. A rollout stores
   * it before stepping the env, whose next step may overwrite it (a vector env's batch buffer).
   * @throws {InvalidArgumentError} for an index out of range or an observation of the wrong length
   */
  setObservation(t: number, c: number, observation: Float32Array): void {
    const i = this.#index(t, c);
    if (observation.length !== this.observationLength) {
      throw new InvalidArgumentError(
        "observation",
        `has ${observation.length} values`,
        `${this.observationLength}`,
      );
    }
    this.observations.set(observation, i * this.observationLength);
  }

  /**
   * Stores everything of a transition but its observation at row t, column c.
   * @throws {InvalidArgumentError} for an index out of range
   */
  setOutcome(t: number, c: number, x: Omit<Transition, "observation">): void {
    const i = this.#index(t, c);
    this.actions[i] = x.action;
    this.logProbs[i] = x.logProb;
    this.values[i] = x.value;
    this.rewards[i] = x.reward;
    this.terminations[i] = x.terminated ? 1 : 0;
    this.truncations[i] = x.truncated ? 1 : 0;
    this.valid[i] = x.valid ? 1 : 0;
  }

  #index(t: number, c: number): number {
    if (
      !(Number.isInteger(t) && t >= 0 && t < this.steps && Number.isInteger(c) && c >= 0 && c < this.columns)
    ) {
      throw new InvalidArgumentError("index", `(${t}, ${c})`, `t < ${this.steps}, c < ${this.columns}`);
    }
    return t * this.columns + c;
  }

  /** Indices (`t * columns + c`) of the valid entries, in order. */
  validIndices(): Int32Array {
    let n = 0;
    for (let i = 0; i < this.valid.length; i++) n += this.valid[i];
    const out = new Int32Array(n);
    for (let i = 0, k = 0; i < this.valid.length; i++) if (this.valid[i]) out[k++] = i;
    return out;
  }
}
