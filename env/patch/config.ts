/**
 * Options of the patch game ("Competing for pixels", Saeed et al. 2024), with the choices made where
 * the paper is silent (each documented on its field).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import type { Vec3 } from "../../data/types.ts";
import { DEFAULT_SCORE_CACHE_ENTRIES } from "../cached_scorer.ts";
import type { RewardFunction, RewardSchemeName, TieRule } from "../rewards.ts";

/** The two players. */
export type PatchAgentId = "a" | "b";

/** Both players, in order. */
export const PATCH_AGENTS: readonly PatchAgentId[] = ["a", "b"];

/** Resolved options of the patch game. */
export interface PatchConfig {
  /** Patches along z,y,x (default [1, 4, 4]; a 2D image takes gz = 1). */
  readonly grid: Vec3;
  /**
   * Observation shape z,y,x (default [1, 32, 32]); the whole image is resampled to it. The
   * observation has 2 channels (channels last): intensity with taken patches zeroed, and the mask
   * of taken patches.
   */
  readonly observationShape: Vec3;
  /**
   * Add a third observation channel holding each patch's score (0 once taken): the information
   * the greedy baseline reads. Not in the paper (its agents see the image only). Default false.
   */
  readonly observeScores: boolean;
  /**
   * Intensities mapped linearly to [0, 1] (values outside clip). Default: each image's own min..max
   * (a constant image maps to 0).
   */
  readonly intensityRange?: readonly [number, number];
  /**
   * Presence threshold: a patch "holds the object" when its score is > this (strictly). Used by the
   * termination reward and by the greedy baseline. Default 0.5.
   */
  readonly presenceThreshold: number;
  /**
   * Termination weight w: the terminating agent gets +w or -w (default 100, the demo code's x100).
   * `train:patch` plays with w = 1 (and no early penalty): at 100 the termination outcome drowned
   * the +-1 round rewards and the policy did not learn (see `train/patch_train.ts`).
   */
  readonly terminationWeight: number;
  /**
   * Extra penalty (>= 0) to an agent that terminates before it picked any patch itself (default 1).
   * Not zero-sum (the opponent gets nothing from it). Keep it below `2 * terminationWeight` so that
   * terminating at once on an object-free image (+w - penalty) stays the best move.
   */
  readonly earlyTerminationPenalty: number;
  /** Penalty (>= 0) of an illegal action (a taken patch); the move is refused (default 1). */
  readonly illegalPenalty: number;
  /** Per-round reward scheme of `env/rewards.ts` applied to (score of a's pick, score of b's pick). */
  readonly reward: RewardSchemeName | RewardFunction;
  /** Who wins a tied round under `adversarial` (default `"zero"`: 0 each). */
  readonly ties: TieRule;
  /** Who moves first in each episode: `"a"` (default), `"b"`, or `"random"` (the env's seeded rng). */
  readonly first: PatchAgentId | "random";
  /** Steps (moves, illegal ones included) before truncation. Default `2 * (patches + 1)`. */
  readonly maxSteps: number;
  /** Most scores kept by the env's score cache (default 2^20). */
  readonly scoreCacheEntries: number;
}

/** Defaults of {@link PatchConfig} (maxSteps is derived from the grid). */
export const DEFAULT_PATCH_CONFIG: Omit<PatchConfig, "maxSteps"> = {
  grid: [1, 4, 4],
  observationShape: [1, 32, 32],
  observeScores: false,
  presenceThreshold: 0.5,
  terminationWeight: 100,
  earlyTerminationPenalty: 1,
  illegalPenalty: 1,
  reward: "adversarial",
  ties: "zero",
  first: "a",
  scoreCacheEntries: DEFAULT_SCORE_CACHE_ENTRIES,
};

function positiveVec3(name: string, v: unknown): void {
  if (!(Array.isArray(v) && v.length === 3 && v.every((n) => Number.isInteger(n) && n >= 1))) {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(v)}`, "three positive integers z,y,x");
  }
}

/**
 * Fills defaults (undefined options count as absent) and validates.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolvePatchConfig(options: Partial<PatchConfig> = {}): PatchConfig {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const grid = (given.grid ?? DEFAULT_PATCH_CONFIG.grid) as Vec3;
  positiveVec3("grid", grid);
  const count = grid[0] * grid[1] * grid[2];
  const c: PatchConfig = { ...DEFAULT_PATCH_CONFIG, maxSteps: 2 * (count + 1), ...given } as PatchConfig;
  positiveVec3("observationShape", c.observationShape);
  const bad = (name: string, value: unknown, expected: string): never => {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(value)}`, expected);
  };
  if (!(c.presenceThreshold >= 0 && c.presenceThreshold <= 1)) {
    bad("presenceThreshold", c.presenceThreshold, "a value in [0, 1]");
  }
  for (const k of ["terminationWeight", "earlyTerminationPenalty", "illegalPenalty"] as const) {
    if (!(Number.isFinite(c[k]) && c[k] >= 0)) bad(k, c[k], "a finite number >= 0");
  }
  if (typeof c.observeScores !== "boolean") bad("observeScores", c.observeScores, "true or false");
  if (!["a", "b", "random"].includes(c.first)) bad("first", c.first, "'a', 'b' or 'random'");
  if (!(Number.isInteger(c.maxSteps) && c.maxSteps >= 1)) bad("maxSteps", c.maxSteps, "a positive integer");
  if (!(Number.isSafeInteger(c.scoreCacheEntries) && c.scoreCacheEntries >= 1)) {
    bad("scoreCacheEntries", c.scoreCacheEntries, "a positive integer");
  }
  if (c.intensityRange && !(c.intensityRange[0] < c.intensityRange[1])) {
    bad("intensityRange", c.intensityRange, "[lo, hi] with lo < hi");
  }
  return c;
}
