/**
 * `RecordEpisodeStatistics`: return, length and wall time of each episode, in the final step's
 * info (Gymnasium's `RecordEpisodeStatistics`).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";

/** Statistics of one finished episode (Gymnasium's `info["episode"]`). */
export interface EpisodeStatistics {
  /** Return: the sum of the episode's rewards (undiscounted). */
  readonly r: number;
  /** Length: the number of steps of the episode. */
  readonly l: number;
  /** Wall time from the reset to the final step, seconds, rounded to 6 decimals. */
  readonly t: number;
}

/** Info of a wrapped env: the wrapped env's info plus `episode` on the final step of an episode. */
export type InfoWithEpisode<I> = I & { readonly episode?: EpisodeStatistics };

/**
 * On the step where `terminated || truncated`, returns the info with `episode` = {r, l, t} added
 * (a new object; the wrapped env's info is not modified) and appends the three values to
 * `returnQueue`, `lengthQueue` and `timeQueue` (each keeps the last `bufferLength` episodes).
 * Other steps' infos are passed through unchanged. `reset` starts a new count and clock.
 */
export class RecordEpisodeStatistics<O, A, I> extends Wrapper<O, A, I, O, A, InfoWithEpisode<I>> {
  /** Episodes kept in the queues. */
  readonly bufferLength: number;
  /** Returns of the last `bufferLength` episodes, oldest first. */
  readonly returnQueue: number[] = [];
  /** Lengths of the last `bufferLength` episodes, oldest first. */
  readonly lengthQueue: number[] = [];
  /** Wall times (s) of the last `bufferLength` episodes, oldest first. */
  readonly timeQueue: number[] = [];
  #episodes = 0;
  #return = 0;
  #length = 0;
  #start = 0;

  /**
   * Wraps `env`.
   * @throws {InvalidArgumentError} unless `bufferLength` is a positive integer
   */
  constructor(env: Env<O, A, I>, bufferLength = 100) {
    super(env);
    if (!Number.isInteger(bufferLength) || bufferLength < 1) {
      throw new InvalidArgumentError("bufferLength", `is ${bufferLength}`, "a positive integer");
    }
    this.bufferLength = bufferLength;
  }

  /** Episodes finished since the wrapper was made. */
  get episodeCount(): number {
    return this.#episodes;
  }

  /** Resets the wrapped env, the running return and length, and the clock. */
  override async reset(args?: EnvResetArgs): Promise<EnvReset<O, InfoWithEpisode<I>>> {
    const r = await this.env.reset(args);
    this.#return = 0;
    this.#length = 0;
    this.#start = performance.now();
    return r as EnvReset<O, InfoWithEpisode<I>>;
  }

  /**
   * Steps the wrapped env and accumulates; adds `info.episode` on the final step.
   * @throws {InvalidArgumentError} when the wrapped env's final info already has an `episode` key
   */
  override async step(action: A): Promise<EnvStep<O, InfoWithEpisode<I>>> {
    const r = await this.env.step(action);
    this.#return += r.reward;
    this.#length++;
    if (!(r.terminated || r.truncated)) return r as EnvStep<O, InfoWithEpisode<I>>;
    if (typeof r.info === "object" && r.info !== null && "episode" in r.info) {
      throw new InvalidArgumentError(
        "info",
        "of the wrapped env already holds 'episode'",
        "one RecordEpisodeStatistics per wrapper stack",
      );
    }
    const t = Math.round((performance.now() - this.#start) * 1e3) / 1e6;
    const episode: EpisodeStatistics = { r: this.#return, l: this.#length, t };
    this.#push(this.returnQueue, episode.r);
    this.#push(this.lengthQueue, episode.l);
    this.#push(this.timeQueue, episode.t);
    this.#episodes++;
    this.#return = 0;
    this.#length = 0;
    this.#start = performance.now();
    return { ...r, info: { ...r.info, episode } };
  }

  #push(queue: number[], v: number): void {
    queue.push(v);
    if (queue.length > this.bufferLength) queue.shift();
  }
}
