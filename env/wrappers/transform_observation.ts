/**
 * `TransformObservation`: applies a function to each observation (Gymnasium's wrapper of that name).
 *
 * @module
 */
import type { Space } from "../spaces.ts";
import { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";

/**
 * Returns `fn(observation)` in place of each observation, of `reset` and of `step`. Pass the space
 * the transformed observations belong to as `observationSpace` (the wrapped env's space is kept
 * when omitted, which is right only when `fn` maps the space into itself).
 */
export class TransformObservation<O, A, I, WO = O> extends Wrapper<O, A, I, WO, A, I> {
  /** The function applied. */
  readonly fn: (observation: O) => WO;
  readonly #space?: Space<WO>;

  /** Wraps `env`. */
  constructor(env: Env<O, A, I>, fn: (observation: O) => WO, observationSpace?: Space<WO>) {
    super(env);
    this.fn = fn;
    this.#space = observationSpace;
  }

  /** The given space, or the wrapped env's. */
  override get observationSpace(): Space<WO> {
    return this.#space ?? (this.env.observationSpace as unknown as Space<WO>);
  }

  /** Resets the wrapped env; transforms the observation. */
  override async reset(args?: EnvResetArgs): Promise<EnvReset<WO, I>> {
    const r = await this.env.reset(args);
    return { observation: this.fn(r.observation), info: r.info };
  }

  /** Steps the wrapped env; transforms the observation. */
  override async step(action: A): Promise<EnvStep<WO, I>> {
    const r = await this.env.step(action);
    return { ...r, observation: this.fn(r.observation) };
  }
}
