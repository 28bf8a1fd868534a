/**
 * `TimeLimit`: truncates episodes after a number of steps (Gymnasium's `TimeLimit`).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { EnvStateError } from "../errors.ts";
import { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";

/**
 * Sets `truncated` to true on the step that brings the episode's step count to `maxEpisodeSteps`
 * (counted since the last reset), whatever the wrapped env said; `terminated` is passed through,
 * so both may be true on that step. The count restarts at `reset`. As every env of this package
 * (and unlike Gymnasium, which lets it pass), a step after the episode ended throws until `reset`.
 */
export class TimeLimit<O, A, I> extends Wrapper<O, A, I> {
  /** Steps per episode (positive integer). */
  readonly maxEpisodeSteps: number;
  #elapsed = 0;
  #ended = false;

  /**
   * Wraps `env`.
   * @throws {InvalidArgumentError} unless `maxEpisodeSteps` is a positive integer
   */
  constructor(env: Env<O, A, I>, maxEpisodeSteps: number) {
    super(env);
    if (!Number.isInteger(maxEpisodeSteps) || maxEpisodeSteps < 1) {
      throw new InvalidArgumentError("maxEpisodeSteps", `is ${maxEpisodeSteps}`, "a positive integer");
    }
    this.maxEpisodeSteps = maxEpisodeSteps;
  }

  /** Steps taken since the last reset. */
  get elapsedSteps(): number {
    return this.#elapsed;
  }

  /** Resets the wrapped env and the step count. */
  override async reset(args?: EnvResetArgs): Promise<EnvReset<O, I>> {
    const r = await this.env.reset(args);
    this.#elapsed = 0;
    this.#ended = false;
    return r;
  }

  /**
   * Steps the wrapped env; truncates at the limit.
   * @throws {EnvStateError} after the episode ended (truncated here or ended by the wrapped env), until `reset`
   */
  override async step(action: A): Promise<EnvStep<O, I>> {
    if (this.#ended) {
      throw new EnvStateError("step", "called after the episode ended (TimeLimit)", "reset() first");
    }
    const r = await this.env.step(action);
    this.#elapsed++;
    const truncated = r.truncated || this.#elapsed >= this.maxEpisodeSteps;
    this.#ended = r.terminated || truncated;
    return truncated === r.truncated ? r : { ...r, truncated };
  }
}
