/**
 * The single-agent env contract that wrappers build on (Gymnasium 1.x `Env`: async because scoring
 * is), and the `Wrapper` base that forwards everything to the env it wraps. `SelfPlayEnv` fulfils
 * {@link Env}. A wrapper changes one thing and is itself an {@link Env}, so wrappers compose;
 * `unwrapped` is the innermost env.
 *
 * @module
 */
import type { Space } from "../spaces.ts";

/** Arguments of `reset`: a seed (non-negative safe integer; undefined continues the stream) and options. */
export interface EnvResetArgs {
  /** Reseeds the env's generator before the reset. */
  readonly seed?: number;
  /** Env-specific reset options (SPARS: `case`). */
  readonly options?: { readonly [key: string]: unknown };
}

/** Result of `reset`. */
export interface EnvReset<O, I> {
  /** The first observation. */
  readonly observation: O;
  /** Auxiliary information. */
  readonly info: I;
}

/** Result of `step`. */
export interface EnvStep<O, I> extends EnvReset<O, I> {
  /** Reward of the step. */
  readonly reward: number;
  /** The episode reached a terminal state of the task (e.g. a window reached tau). */
  readonly terminated: boolean;
  /** The episode was cut short (a step limit), the state is not terminal. */
  readonly truncated: boolean;
}

/** A single-agent env: observation type `O`, action type `A`, info type `I`. */
export interface Env<O, A, I> {
  /** Observations are members of this space. */
  readonly observationSpace: Space<O>;
  /** Valid actions. */
  readonly actionSpace: Space<A>;
  /** Starts an episode. */
  reset(args?: EnvResetArgs): Promise<EnvReset<O, I>>;
  /** Plays one action. */
  step(action: A): Promise<EnvStep<O, I>>;
  /** Renders the current state in the env's render mode. */
  render(): unknown;
  /** Ends the env for good. */
  close(): void;
}

/**
 * Base of every wrapper: forwards each member to `env`. Subclasses override what they change. The
 * type parameters are those of the wrapped env (`O`, `A`, `I`) and of the wrapper (`WO`, `WA`, `WI`).
 */
export class Wrapper<O, A, I, WO = O, WA = A, WI = I> implements Env<WO, WA, WI> {
  /** The env this wrapper wraps (possibly another wrapper). */
  readonly env: Env<O, A, I>;

  /** Wraps `env`. */
  constructor(env: Env<O, A, I>) {
    this.env = env;
  }

  /** The innermost env, below every wrapper. */
  get unwrapped(): Env<unknown, unknown, unknown> {
    let e: Env<unknown, unknown, unknown> = this.env;
    while (e instanceof Wrapper) e = e.env;
    return e;
  }

  /** The wrapped env's observation space, unless the wrapper changes it. */
  get observationSpace(): Space<WO> {
    return this.env.observationSpace as unknown as Space<WO>;
  }

  /** The wrapped env's action space, unless the wrapper changes it. */
  get actionSpace(): Space<WA> {
    return this.env.actionSpace as unknown as Space<WA>;
  }

  /** Forwards to the wrapped env. */
  async reset(args?: EnvResetArgs): Promise<EnvReset<WO, WI>> {
    return await this.env.reset(args) as unknown as EnvReset<WO, WI>;
  }

  /** Forwards to the wrapped env. */
  async step(action: WA): Promise<EnvStep<WO, WI>> {
    return await this.env.step(action as unknown as A) as unknown as EnvStep<WO, WI>;
  }

  /** Forwards to the wrapped env. */
  render(): unknown {
    return this.env.render();
  }

  /** Closes the wrapped env. */
  close(): void {
    this.env.close();
  }
}
