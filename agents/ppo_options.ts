/**
 * PPO's hyper-parameters: their names and defaults (CleanRL's), the SPARS reference's settings
 * (SB3's), and their validation. The update itself is in `ppo.ts`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

/** Every PPO hyper-parameter (CleanRL's names and defaults unless stated). */
export interface PpoOptions {
  /** Adam step size. Default 3e-4. */
  readonly learningRate: number;
  /** Linear decay of the learning rate to 0 over the run (CleanRL: true; SB3: false). Default true. */
  readonly annealLearningRate: boolean;
  /** Env steps per game per rollout (SB3 `n_steps`; the paper: 32). Default 32. */
  readonly numSteps: number;
  /** Transitions per minibatch (SB3 `batch_size`; the paper: 8). Default 64. */
  readonly minibatchSize: number;
  /** Passes over each rollout (SB3 `n_epochs`; the paper: 1). Default 4. */
  readonly updateEpochs: number;
  /** Discount. Default 0.99. */
  readonly gamma: number;
  /** GAE lambda. Default 0.95. */
  readonly gaeLambda: number;
  /** Normalise advantages per minibatch. Default true. */
  readonly normalizeAdvantages: boolean;
  /** Surrogate clipping coefficient. Default 0.2. */
  readonly clipCoef: number;
  /** Clip the value loss around the old values with `clipCoef` (CleanRL: true; SB3: false). Default true. */
  readonly clipValueLoss: boolean;
  /** Entropy bonus coefficient (CleanRL 0.01; SB3 and the paper 0). Default 0.01. */
  readonly entCoef: number;
  /** Value loss coefficient. Default 0.5. */
  readonly vfCoef: number;
  /**
   * The value loss is `0.5 * mean((V - R)^2)` before `vfCoef` (CleanRL: true, so vfCoef 0.5 weighs
   * the squared error by 0.25) or the plain mean squared error (SB3's `F.mse_loss`: false, so vf_coef
   * 0.5 weighs it by 0.5). Default true.
   */
  readonly valueLossHalf: boolean;
  /** Global gradient-norm clip. Default 0.5. */
  readonly maxGradNorm: number;
  /** Early stop of the epochs above this mean approx KL; null disables. Default null. */
  readonly targetKl: number | null;
  /** Adam epsilon. Default 1e-5. */
  readonly adamEpsilon: number;
}

/** The defaults (see each field). */
export const DEFAULT_PPO_OPTIONS: PpoOptions = {
  learningRate: 3e-4,
  annealLearningRate: true,
  numSteps: 32,
  minibatchSize: 64,
  updateEpochs: 4,
  gamma: 0.99,
  gaeLambda: 0.95,
  normalizeAdvantages: true,
  clipCoef: 0.2,
  clipValueLoss: true,
  entCoef: 0.01,
  vfCoef: 0.5,
  valueLossHalf: true,
  maxGradNorm: 0.5,
  targetKl: null,
  adamEpsilon: 1e-5,
};

/**
 * The SPARS reference's settings: SB3 PPO defaults (constant learning rate, no value clipping, no
 * entropy bonus, vf_coef 0.5 on the plain mean squared error) with n_steps 32, batch 8, 1 epoch.
 */
export const PAPER_PPO_OPTIONS: PpoOptions = {
  ...DEFAULT_PPO_OPTIONS,
  annealLearningRate: false,
  numSteps: 32,
  minibatchSize: 8,
  updateEpochs: 1,
  clipValueLoss: false,
  valueLossHalf: false,
  entCoef: 0,
};

/**
 * Merges options over the defaults and validates them.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolvePpoOptions(options: Partial<PpoOptions> = {}): PpoOptions {
  const o = { ...DEFAULT_PPO_OPTIONS, ...options };
  const checks: [keyof PpoOptions, boolean, string][] = [
    ["learningRate", o.learningRate >= 0 && Number.isFinite(o.learningRate), "a finite number >= 0"],
    ["numSteps", Number.isInteger(o.numSteps) && o.numSteps >= 1, "an integer >= 1"],
    ["minibatchSize", Number.isInteger(o.minibatchSize) && o.minibatchSize >= 1, "an integer >= 1"],
    ["updateEpochs", Number.isInteger(o.updateEpochs) && o.updateEpochs >= 1, "an integer >= 1"],
    ["gamma", o.gamma >= 0 && o.gamma <= 1, "a value in [0, 1]"],
    ["gaeLambda", o.gaeLambda >= 0 && o.gaeLambda <= 1, "a value in [0, 1]"],
    ["clipCoef", o.clipCoef > 0 && Number.isFinite(o.clipCoef), "a finite number > 0"],
    ["entCoef", Number.isFinite(o.entCoef), "a finite number"],
    ["vfCoef", o.vfCoef >= 0 && Number.isFinite(o.vfCoef), "a finite number >= 0"],
    ["valueLossHalf", typeof o.valueLossHalf === "boolean", "true or false"],
    ["maxGradNorm", o.maxGradNorm > 0, "a number > 0 (Infinity disables clipping)"],
    ["targetKl", o.targetKl === null || o.targetKl > 0, "null or a number > 0"],
    ["adamEpsilon", o.adamEpsilon > 0, "a number > 0"],
  ];
  for (const [name, ok, expected] of checks) {
    if (!ok) throw new InvalidArgumentError(name, `is ${o[name]}`, expected);
  }
  return o;
}
