/**
 * `TransformReward`: applies a function to each reward (Gymnasium's wrapper of that name).
 *
 * @module
 */
import { type Env, type EnvStep, Wrapper } from "./base.ts";

/** Returns `fn(reward)` in place of each step's reward (e.g. clipping or scaling). */
export class TransformReward<O, A, I> extends Wrapper<O, A, I> {
  /** The function applied. */
  readonly fn: (reward: number) => number;

  /** Wraps `env`. */
  constructor(env: Env<O, A, I>, fn: (reward: number) => number) {
    super(env);
    this.fn = fn;
  }

  /** Steps the wrapped env; transforms the reward. */
  override async step(action: A): Promise<EnvStep<O, I>> {
    const r = await this.env.step(action);
    return { ...r, reward: this.fn(r.reward) };
  }
}
