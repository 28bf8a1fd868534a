/**
 * Generalised advantage estimation (Schulman et al. 2016) for rollouts of a NEXT_STEP-autoreset
 * vector env, plus explained variance. Pure TypeScript on typed arrays.
 *
 * Layout: every array holds `steps * columns` entries, index `t * columns + c` (a column is one
 * game seen from one side). Row t stores the observation o_t the policy saw, its value V(o_t), and
 * what the env returned for the action taken on it: reward r_t and the terminated/truncated flags.
 * `valid[t, c] = 0` marks the step on which the env reset that game and ignored the action
 * (NEXT_STEP autoreset): it is no transition and gets advantage 0 and return 0.
 *
 * For a valid row, with `next = values[t + 1, c]` (or `bootstrapValues[c]` at the last row):
 * - terminated: `delta = r - V(o_t)`; nothing is bootstrapped and the recursion stops;
 * - truncated: `delta = r + gamma * next - V(o_t)`, where `next` is the value of the FINAL
 *   observation (with NEXT_STEP autoreset, row t+1 holds exactly that observation, on which the
 *   policy was queried before the reset); the recursion stops;
 * - otherwise: `delta = r + gamma * next - V(o_t)` and `A_t = delta + gamma * lambda * A_{t+1}`.
 * Returns are `A + V` (the value targets).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

/** Inputs of {@link computeGae}. */
export interface GaeInputs {
  /** Number of rows (time steps). */
  readonly steps: number;
  /** Number of columns (games x sides). */
  readonly columns: number;
  /** Rewards r_t. */
  readonly rewards: Float32Array;
  /** Values V(o_t). */
  readonly values: Float32Array;
  /** 1 where the step terminated the episode. */
  readonly terminations: Uint8Array;
  /** 1 where the step truncated the episode (time limit, or a cut of the training loop). */
  readonly truncations: Uint8Array;
  /** 1 for real transitions, 0 for autoreset steps. */
  readonly valid: Uint8Array;
  /** V of the observation after the last row, one per column. */
  readonly bootstrapValues: Float32Array;
  /** Discount. */
  readonly gamma: number;
  /** GAE lambda. */
  readonly lambda: number;
}

/** Advantages and returns, same layout as the inputs. */
export interface GaeResult {
  /** Advantage estimates (0 on invalid rows). */
  readonly advantages: Float32Array;
  /** Value targets `advantages + values` (0 on invalid rows). */
  readonly returns: Float32Array;
}

/**
 * Computes GAE advantages and returns (see the module doc for the exact rules).
 * @throws {InvalidArgumentError} when array lengths disagree or gamma/lambda lie outside [0, 1]
 */
export function computeGae(inputs: GaeInputs): GaeResult {
  const { steps: T, columns: C, rewards, values, terminations, truncations, valid, bootstrapValues } = inputs;
  const n = T * C;
  for (const [name, arr] of Object.entries({ rewards, values, terminations, truncations, valid })) {
    if (arr.length !== n) {
      throw new InvalidArgumentError(name, `has length ${arr.length}`, `${n} (steps x columns)`);
    }
  }
  if (bootstrapValues.length !== C) {
    throw new InvalidArgumentError(
      "bootstrapValues",
      `has length ${bootstrapValues.length}`,
      `${C} (columns)`,
    );
  }
  for (const [name, v] of [["gamma", inputs.gamma], ["lambda", inputs.lambda]] as const) {
    if (!(v >= 0 && v <= 1)) throw new InvalidArgumentError(name, `is ${v}`, "a value in [0, 1]");
  }
  const { gamma, lambda } = inputs;
  const advantages = new Float32Array(n), returns = new Float32Array(n);
  for (let c = 0; c < C; c++) {
    let next = 0; // A_{t+1}, carried in float64
    for (let t = T - 1; t >= 0; t--) {
      const i = t * C + c;
      if (!valid[i]) {
        next = 0;
        continue;
      }
      const nextValue = t === T - 1 ? bootstrapValues[c] : values[i + C];
      const terminated = terminations[i] === 1, ended = terminated || truncations[i] === 1;
      const delta = rewards[i] + (terminated ? 0 : gamma * nextValue) - values[i];
      const a = delta + (ended ? 0 : gamma * lambda * next);
      advantages[i] = a;
      returns[i] = a + values[i];
      next = a;
    }
  }
  return { advantages, returns };
}

/**
 * Explained variance `1 - Var(returns - values) / Var(returns)` over the entries where `mask` is
 * 1 (all when omitted). NaN when the returns have zero variance or no entry is selected (as SB3).
 */
export function explainedVariance(values: Float32Array, returns: Float32Array, mask?: Uint8Array): number {
  const selected = (i: number) => !mask || mask[i] === 1;
  let n = 0, meanY = 0, meanD = 0;
  for (let i = 0; i < values.length; i++) {
    if (!selected(i)) continue;
    n++;
    meanY += returns[i];
    meanD += returns[i] - values[i];
  }
  if (n === 0) return NaN;
  meanY /= n;
  meanD /= n;
  let varY = 0, varD = 0;
  for (let i = 0; i < values.length; i++) {
    if (!selected(i)) continue;
    varY += (returns[i] - meanY) ** 2;
    varD += (returns[i] - values[i] - meanD) ** 2;
  }
  return varY <= 0 ? NaN : 1 - varD / varY;
}
