/**
 * The options of the pixel-level actor-critic (`pixel_a2c.ts`): every hyper-parameter with the
 * paper's value where it gives one, and their validation.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

/** Every hyper-parameter (the paper's value where it gives one). */
export interface PixelA2cOptions {
  /** Adam step size (paper 1e-3). */
  readonly learningRate: number;
  /** Learning-rate factor every `lrDecayEvery` epochs (paper 0.9). */
  readonly lrDecay: number;
  /** Epochs between decays (paper 25). */
  readonly lrDecayEvery: number;
  /** Discount (paper 0.95). */
  readonly gamma: number;
  /** Steps per episode (paper 10). */
  readonly tMax: number;
  /** Episodes (slices) per update (paper 2). */
  readonly batchSize: number;
  /** Entropy bonus coefficient (paper silent; PixelRL's code 0.01). */
  readonly entCoef: number;
  /** Value loss coefficient (paper silent; PixelRL's code 0.5). */
  readonly vfCoef: number;
  /** Learn the reward-map kernel `w` (PixelRL: true). False keeps the identity. */
  readonly learnRewardKernel: boolean;
  /** Bootstrap the last step with `V(s_T)` instead of 0 (paper: 0, the episode ends). Default false. */
  readonly bootstrapTruncation: boolean;
  /** Global gradient-norm clip; Infinity disables (paper: none). */
  readonly maxGradNorm: number;
  /** Adam epsilon (PyTorch/Chainer default 1e-8). */
  readonly adamEpsilon: number;
  /**
   * Train only the heads (and `w`), keeping the shared trunk (and attention block) fixed: after a
   * warm start, the untrained value head's large gradients then cannot rewrite the policy's
   * features. Default false (the paper trains everything).
   */
  readonly freezeTrunk: boolean;
}

/** The paper's settings (see each field). */
export const DEFAULT_PIXEL_A2C_OPTIONS: PixelA2cOptions = {
  learningRate: 1e-3,
  lrDecay: 0.9,
  lrDecayEvery: 25,
  gamma: 0.95,
  tMax: 10,
  batchSize: 2,
  entCoef: 0.01,
  vfCoef: 0.5,
  learnRewardKernel: true,
  bootstrapTruncation: false,
  maxGradNorm: Infinity,
  adamEpsilon: 1e-8,
  freezeTrunk: false,
};

/**
 * Merges options over the defaults and validates them.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolvePixelA2cOptions(options: Partial<PixelA2cOptions> = {}): PixelA2cOptions {
  const o = { ...DEFAULT_PIXEL_A2C_OPTIONS, ...options };
  const checks: [keyof PixelA2cOptions, boolean, string][] = [
    ["learningRate", o.learningRate >= 0 && Number.isFinite(o.learningRate), "a finite number >= 0"],
    ["lrDecay", o.lrDecay > 0 && o.lrDecay <= 1, "a value in (0, 1]"],
    ["lrDecayEvery", Number.isInteger(o.lrDecayEvery) && o.lrDecayEvery >= 1, "an integer >= 1"],
    ["gamma", o.gamma >= 0 && o.gamma <= 1, "a value in [0, 1]"],
    ["tMax", Number.isInteger(o.tMax) && o.tMax >= 1, "an integer >= 1"],
    ["batchSize", Number.isInteger(o.batchSize) && o.batchSize >= 1, "an integer >= 1"],
    ["entCoef", Number.isFinite(o.entCoef), "a finite number"],
    ["vfCoef", o.vfCoef >= 0 && Number.isFinite(o.vfCoef), "a finite number >= 0"],
    ["learnRewardKernel", typeof o.learnRewardKernel === "boolean", "true or false"],
    ["bootstrapTruncation", typeof o.bootstrapTruncation === "boolean", "true or false"],
    ["maxGradNorm", o.maxGradNorm > 0, "a number > 0 (Infinity disables)"],
    ["adamEpsilon", o.adamEpsilon > 0, "a number > 0"],
    ["freezeTrunk", typeof o.freezeTrunk === "boolean", "true or false"],
  ];
  for (const [name, ok, expected] of checks) {
    if (!ok) throw new InvalidArgumentError(name, `is ${o[name]}`, expected);
  }
  return o;
}
