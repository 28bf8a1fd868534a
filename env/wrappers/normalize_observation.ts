/**
 * `NormalizeObservation`: standardises each observation element by a running mean and variance
 * (Gymnasium's `NormalizeObservation` with its `RunningMeanStd`).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { Box } from "../spaces.ts";
import { type Env, type EnvReset, type EnvResetArgs, type EnvStep, Wrapper } from "./base.ts";

/**
 * Running mean and (population) variance per element, updated one sample at a time by the
 * parallel-moments rule Gymnasium uses: the statistics start at mean 0, variance 1 and a pseudo
 * count of `1e-4`; a sample `x` with `d = x - mean`, `n = count + 1` gives
 * `mean += d / n`, `var = (var * count + d^2 * count / n) / n`, `count = n`. This equals Welford's
 * update with the initial state counted as `1e-4` samples. Float64 state; no allocation per update.
 */
export class RunningMeanStd {
  /** Per-element running mean. */
  readonly mean: Float64Array;
  /** Per-element running variance. */
  readonly var: Float64Array;
  /** Samples seen plus the initial pseudo count. */
  count: number;

  /** Statistics of `size` elements; `initialCount` is Gymnasium's epsilon (1e-4). */
  constructor(size: number, initialCount = 1e-4) {
    this.mean = new Float64Array(size);
    this.var = new Float64Array(size).fill(1);
    this.count = initialCount;
  }

  /**
   * Adds one sample.
   * @throws {InvalidArgumentError} when `x` has another length
   */
  update(x: ArrayLike<number>): void {
    if (x.length !== this.mean.length) {
      throw new InvalidArgumentError("observation", `has ${x.length} elements`, `${this.mean.length}`);
    }
    const c = this.count, n = c + 1;
    const mean = this.mean, v = this.var;
    for (let i = 0; i < mean.length; i++) {
      const d = x[i] - mean[i];
      mean[i] += d / n;
      v[i] = (v[i] * c + d * d * c / n) / n;
    }
    this.count = n;
  }
}

/**
 * Replaces each observation (of `reset` and `step`) by `(x - mean) / sqrt(var + epsilon)` per
 * element, after adding `x` to the running statistics (unless `updateRunningMean` is false, e.g. at
 * evaluation). Observations are flat `Float32Array`s of the wrapped env's Box; the result is a new
 * Float32Array (callers keep observations in rollout buffers) in an unbounded Box of the same shape.
 */
export class NormalizeObservation<A, I> extends Wrapper<Float32Array, A, I> {
  /** Added to the variance before the square root (Gymnasium: 1e-8). */
  readonly epsilon: number;
  /** The running statistics. */
  readonly rms: RunningMeanStd;
  /** When false, observations are normalised with frozen statistics. */
  updateRunningMean = true;
  readonly #space: Box;

  /**
   * Wraps `env`, whose observation space must be a float32 {@link Box}.
   * @throws {InvalidArgumentError} for another observation space or a negative epsilon
   */
  constructor(env: Env<Float32Array, A, I>, epsilon = 1e-8) {
    super(env);
    const s = env.observationSpace;
    if (!(s instanceof Box) || s.dtype !== "float32") {
      throw new InvalidArgumentError("observationSpace", "is not a float32 Box", "a float32 Box");
    }
    if (!(epsilon >= 0)) throw new InvalidArgumentError("epsilon", `is ${epsilon}`, "a non-negative number");
    this.epsilon = epsilon;
    this.rms = new RunningMeanStd(s.size);
    this.#space = new Box(s.shape, -Infinity, Infinity);
  }

  /** An unbounded float32 Box of the wrapped shape. */
  override get observationSpace(): Box {
    return this.#space;
  }

  /** Resets the wrapped env; normalises the observation. */
  override async reset(args?: EnvResetArgs): Promise<EnvReset<Float32Array, I>> {
    const r = await this.env.reset(args);
    return { observation: this.#normalize(r.observation), info: r.info };
  }

  /** Steps the wrapped env; normalises the observation. */
  override async step(action: A): Promise<EnvStep<Float32Array, I>> {
    const r = await this.env.step(action);
    return { ...r, observation: this.#normalize(r.observation) };
  }

  #normalize(x: Float32Array): Float32Array {
    if (this.updateRunningMean) this.rms.update(x);
    const { mean, var: v } = this.rms;
    const out = new Float32Array(x.length);
    for (let i = 0; i < x.length; i++) out[i] = (x[i] - mean[i]) / Math.sqrt(v[i] + this.epsilon);
    return out;
  }
}
