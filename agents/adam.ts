/**
 * Adam (Kingma & Ba 2015) with PyTorch's update rule, computed in plain TypeScript on the
 * gradients' values, for two reasons measured here:
 *
 * - speed: the policy is small (tens of thousands of weights) and tfjs' `cpu` backend spends about
 *   1 ms per element-wise op on such a tensor, so the ten or so ops of a tensor Adam step per
 *   variable cost more than the network's backward pass; a JS loop costs well under a millisecond;
 * - exact restores: the whole state (moments and step count) is plain arrays and one integer, and
 *   bias corrections come from the step count in float64, so a resumed run continues bit for bit
 *   (tfjs' own Adam keeps running powers of beta that a restore can only recompute approximately).
 *
 * Update at step t: `m = b1 m + (1 - b1) g`, `v = b2 v + (1 - b2) g^2`,
 * `p -= (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)` (moments kept in float32).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { InvalidArgumentError } from "../data/errors.ts";
import type { NamedWeight } from "./snapshot.ts";

/** Hyper-parameters of {@link Adam}. */
export interface AdamOptions {
  /** Step size. Default 3e-4. */
  readonly learningRate: number;
  /** Decay of the first moment. Default 0.9. */
  readonly beta1: number;
  /** Decay of the second moment. Default 0.999. */
  readonly beta2: number;
  /** Added to the denominator. Default 1e-5 (CleanRL/SB3 PPO; PyTorch's default is 1e-8). */
  readonly epsilon: number;
}

/** Saved state of {@link Adam}. */
export interface AdamState {
  /** Steps taken. */
  readonly step: number;
  /** First moments, one per variable (names `m/<i>`). */
  readonly m: NamedWeight[];
  /** Second moments, one per variable (names `v/<i>`). */
  readonly v: NamedWeight[];
}

/** Adam over a fixed list of variables. */
export class Adam {
  /** Current step size (mutable: learning-rate annealing sets it before each update). */
  learningRate: number;
  /** Decay of the first moment. */
  readonly beta1: number;
  /** Decay of the second moment. */
  readonly beta2: number;
  /** Denominator offset. */
  readonly epsilon: number;
  readonly #variables: readonly tf.Variable[];
  readonly #m: Float32Array[];
  readonly #v: Float32Array[];
  #step = 0;

  /**
   * Creates the optimiser with zero moments.
   * @param variables the variables updated, in a fixed order
   * @param options hyper-parameters (defaults: lr 3e-4, betas 0.9 / 0.999, eps 1e-5)
   * @throws {InvalidArgumentError} for a hyper-parameter out of range
   */
  constructor(variables: readonly tf.Variable[], options: Partial<AdamOptions> = {}) {
    this.learningRate = options.learningRate ?? 3e-4;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-5;
    if (!(this.learningRate >= 0)) {
      throw new InvalidArgumentError("learningRate", `is ${this.learningRate}`, ">= 0");
    }
    for (const [name, b] of [["beta1", this.beta1], ["beta2", this.beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new InvalidArgumentError(name, `is ${b}`, "a value in [0, 1)");
    }
    if (!(this.epsilon > 0)) throw new InvalidArgumentError("epsilon", `is ${this.epsilon}`, "> 0");
    this.#variables = variables;
    this.#m = variables.map((v) => new Float32Array(v.size));
    this.#v = variables.map((v) => new Float32Array(v.size));
  }

  /** Steps taken so far. */
  get step(): number {
    return this.#step;
  }

  /**
   * Applies one update with `gradients[i]` (values of variable i's gradient, row-major).
   * @throws {InvalidArgumentError} when the number or sizes of gradients do not match
   */
  async apply(gradients: readonly Float32Array[]): Promise<void> {
    if (gradients.length !== this.#variables.length) {
      throw new InvalidArgumentError(
        "gradients",
        `has ${gradients.length} arrays`,
        `${this.#variables.length}`,
      );
    }
    gradients.forEach((g, i) => {
      if (g.length !== this.#variables[i].size) {
        throw new InvalidArgumentError(
          `gradients[${i}]`,
          `has ${g.length} values`,
          `${this.#variables[i].size}`,
        );
      }
    });
    this.#step++;
    const t = this.#step, b1 = this.beta1, b2 = this.beta2, eps = this.epsilon;
    const stepSize = this.learningRate / (1 - Math.pow(b1, t));
    const secondScale = 1 / Math.sqrt(1 - Math.pow(b2, t));
    const params = await Promise.all(this.#variables.map((v) => v.data() as Promise<Float32Array>));
    const next = params.map((p, i) => {
      const g = gradients[i], m = this.#m[i], v = this.#v[i], out = new Float32Array(p.length);
      for (let k = 0; k < p.length; k++) {
        m[k] = b1 * m[k] + (1 - b1) * g[k];
        v[k] = b2 * v[k] + (1 - b2) * g[k] * g[k];
        out[k] = p[k] - stepSize * m[k] / (Math.sqrt(v[k]) * secondScale + eps);
      }
      return out;
    });
    tf.tidy(() => this.#variables.forEach((v, i) => v.assign(tf.tensor(next[i], v.shape))));
  }

  /** A copy of the state. */
  getState(): AdamState {
    const copy = (list: Float32Array[], prefix: string) =>
      list.map((a, i) => ({
        name: `${prefix}/${i}`,
        shape: [...this.#variables[i].shape],
        values: new Float32Array(a),
      }));
    return { step: this.#step, m: copy(this.#m, "m"), v: copy(this.#v, "v") };
  }

  /**
   * Restores a state saved by {@link Adam.getState} (moments copied).
   * @throws {InvalidArgumentError} when counts or sizes differ
   */
  setState(state: AdamState): void {
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new InvalidArgumentError("state.step", `is ${state.step}`, "an integer >= 0");
    }
    for (const [list, name] of [[state.m, "m"], [state.v, "v"]] as const) {
      if (list.length !== this.#variables.length) {
        throw new InvalidArgumentError(
          `state.${name}`,
          `has ${list.length} tensors`,
          `${this.#variables.length}`,
        );
      }
      list.forEach((w, i) => {
        if (w.values.length !== this.#variables[i].size) {
          throw new InvalidArgumentError(
            `state.${name}[${i}]`,
            `has ${w.values.length} values`,
            `${this.#variables[i].size}`,
          );
        }
      });
    }
    state.m.forEach((w, i) => this.#m[i].set(w.values));
    state.v.forEach((w, i) => this.#v[i].set(w.values));
    this.#step = state.step;
  }

  /** Kept for symmetry with tensor optimisers: the state is plain arrays, nothing to free. */
  dispose(): void {}
}
