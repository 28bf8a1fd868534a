/**
 * `FrameStack`: the last `k` observations stacked along a new leading axis (Gymnasium 1.x's
 * `FrameStackObservation`).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { Box } from "../spaces.ts";
import { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";

/** What fills the stack at reset, before `k` observations were seen. */
export type FramePadding = "reset" | "zero";

/**
 * Observations of shape `[k, ...shape]` (row-major, oldest first, the newest at index `k - 1`) of a
 * float32 Box env. At reset the stack holds the reset observation `k` times (padding `"reset"`, the
 * default as in Gymnasium) or `k - 1` zero frames then the reset observation (`"zero"`); each step
 * drops the oldest frame and appends the new one. Each result is a new Float32Array; the stack
 * itself is updated in place (one `copyWithin` and one `set` per step).
 */
export class FrameStack<A, I> extends Wrapper<Float32Array, A, I> {
  /** Frames per observation. */
  readonly k: number;
  /** How the stack is filled at reset. */
  readonly padding: FramePadding;
  readonly #space: Box;
  readonly #frame: number;
  readonly #stack: Float32Array;

  /**
   * Wraps `env`, whose observation space must be a float32 {@link Box}.
   * @throws {InvalidArgumentError} for another space, `k` not a positive integer, or a bad padding
   */
  constructor(env: Env<Float32Array, A, I>, k: number, padding: FramePadding = "reset") {
    super(env);
    const s = env.observationSpace;
    if (!(s instanceof Box) || s.dtype !== "float32") {
      throw new InvalidArgumentError("observationSpace", "is not a float32 Box", "a float32 Box");
    }
    if (!Number.isInteger(k) || k < 1) throw new InvalidArgumentError("k", `is ${k}`, "a positive integer");
    if (padding !== "reset" && padding !== "zero") {
      throw new InvalidArgumentError("padding", `is '${padding}'`, "'reset' or 'zero'");
    }
    this.k = k;
    this.padding = padding;
    this.#frame = s.size;
    this.#stack = new Float32Array(k * s.size);
    const low = new Float64Array(k * s.size), high = new Float64Array(k * s.size);
    for (let i = 0; i < k; i++) {
      low.set(s.low, i * s.size);
      high.set(s.high, i * s.size);
    }
    if (padding === "zero") {
      // Zero frames must be members of the space.
      for (let i = 0; i < (k - 1) * s.size; i++) {
        low[i] = Math.min(low[i], 0);
        high[i] = Math.max(high[i], 0);
      }
    }
    this.#space = new Box([k, ...s.shape], low, high);
  }

  /** Box of shape `[k, ...shape]` with the wrapped bounds repeated. */
  override get observationSpace(): Box {
    return this.#space;
  }

  /** Resets the wrapped env and refills the stack. */
  override async reset(args?: EnvResetArgs): Promise<EnvReset<Float32Array, I>> {
    const r = await this.env.reset(args);
    const n = this.#frame;
    this.#check(r.observation);
    for (let i = 0; i < this.k - 1; i++) {
      if (this.padding === "reset") this.#stack.set(r.observation, i * n);
      else this.#stack.fill(0, i * n, (i + 1) * n);
    }
    this.#stack.set(r.observation, (this.k - 1) * n);
    return { observation: this.#stack.slice(), info: r.info };
  }

  /** Steps the wrapped env; shifts the stack by one frame. */
  override async step(action: A): Promise<EnvStep<Float32Array, I>> {
    const r = await this.env.step(action);
    const n = this.#frame;
    this.#check(r.observation);
    this.#stack.copyWithin(0, n);
    this.#stack.set(r.observation, (this.k - 1) * n);
    return { ...r, observation: this.#stack.slice() };
  }

  #check(x: Float32Array): void {
    if (!(x instanceof Float32Array) || x.length !== this.#frame) {
      throw new InvalidArgumentError("observation", "of the wrapped env", `a Float32Array of ${this.#frame}`);
    }
  }
}
