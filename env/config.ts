/**
 * Options of the SPARS game, their defaults and their validation.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { DEFAULT_SCORE_CACHE_ENTRIES } from "./cached_scorer.ts";
import type { StartRule } from "./geometry.ts";
import { observationChannels, type ObservationMode } from "./observation.ts";
import { MAP_MODES, type MapMode } from "./probability_map.ts";
import { type RewardFunction, rewardFunction, type RewardSchemeName, type TieRule } from "./rewards.ts";

/** Every option of the game. Units: voxels (z,y,x) unless stated. */
export interface SparsConfig {
  /** Window size z,y,x in voxels. Default 24x48x48 (the paper's 48x48x24 in x,y,z). */
  readonly window: Vec3;
  /** Move length in voxels. Default 4. */
  readonly stride: number;
  /** First corner of each agent: one rule for both, or one per agent. Default `"center"`. */
  readonly start: StartRule | { readonly a: StartRule; readonly b: StartRule };
  /** Termination threshold: the episode terminates when a window's score is >= tau. Default 0.3. */
  readonly tau: number;
  /**
   * `"tau"` (default, the paper): the episode terminates on the first step (never at reset) on which
   * a window's score is >= tau. `"none"`: it never terminates and always runs `maxSteps` (a fixed
   * horizon; its end is a truncation). tau is still reported and used by evaluation sweeps.
   */
  readonly termination: "tau" | "none";
  /** Truncation: the episode is truncated after this many steps. Default 128. */
  readonly maxSteps: number;
  /** Reward scheme (name or function). Default `"adversarial"`. */
  readonly reward: RewardSchemeName | RewardFunction;
  /** Tie rule of the adversarial scheme. Default `"zero"`. */
  readonly ties: TieRule;
  /** Weight of the own score in the `adversarial+score` scheme. Default 1. */
  readonly shapingWeight: number;
  /**
   * Added to the reward of each agent whose window reached tau on the terminating step. Default 0
   * (the paper). With per-step adversarial rewards, the leading agent otherwise gains by never
   * reaching tau, since termination ends its stream of +1s.
   */
  readonly terminationBonus: number;
  /** How scores combine in the probability map. Default `"sum"`. */
  readonly mapMode: MapMode;
  /**
   * The env's segmentation is `map > maskThreshold`: the default threshold of `env.map.mask()`.
   * Default 0.5 (the reference). Evaluation (`eval/segment.ts`) cuts its own merged map with its
   * mask rule and records that rule's threshold here, in the config it returns.
   */
  readonly maskThreshold: number;
  /** Observation mode. Default `"window"`. */
  readonly observation: ObservationMode;
  /** Observation shape z,y,x (the window is resampled to it). Default 12x24x24. */
  readonly observationShape: Vec3;
  /** Bounds of the intensity channel in the observation space. Default unbounded. */
  readonly intensityRange?: readonly [number, number];
  /**
   * Image channels (modalities) of the cases, the observation's first channels (data/channels.ts);
   * a case with another count is refused. Default 1.
   */
  readonly imageChannels?: number;
  /**
   * Memory bound of the per-corner observation memo, bytes per env (shared by all its volumes, so
   * memory does not grow with the number of cases). Default 256 MiB; 0 disables it.
   */
  readonly observationCacheBytes: number;
  /**
   * Most window scores the env's score cache keeps (about 55 bytes each); beyond it the least
   * recently used is evicted. Default 2^20 (about 58 MB). CLI `--score-cache-entries`.
   */
  readonly scoreCacheEntries: number;
}

/** The defaults (see each field). */
export const DEFAULT_SPARS_CONFIG: SparsConfig = {
  window: [24, 48, 48],
  stride: 4,
  start: "center",
  tau: 0.3,
  termination: "tau",
  maxSteps: 128,
  reward: "adversarial",
  ties: "zero",
  shapingWeight: 1,
  terminationBonus: 0,
  mapMode: "sum",
  maskThreshold: 0.5,
  observation: "window",
  observationShape: [12, 24, 24],
  observationCacheBytes: 256 * 2 ** 20,
  scoreCacheEntries: DEFAULT_SCORE_CACHE_ENTRIES,
};

function checkVec(name: string, v: Vec3): void {
  if (v.length !== 3 || !v.every((d) => Number.isInteger(d) && d >= 1)) {
    throw new InvalidArgumentError(name, `is ${JSON.stringify(v)}`, "three positive integers (z,y,x)");
  }
}

const START_NAMES: readonly string[] = ["center", "random"];

function checkStartRule(name: string, rule: unknown): void {
  if (typeof rule === "string" && START_NAMES.includes(rule)) return;
  if (
    Array.isArray(rule) && rule.length === 3 &&
    rule.every((d) => typeof d === "number" && Number.isInteger(d) && d >= 0)
  ) return;
  throw new InvalidArgumentError(
    name,
    `is ${JSON.stringify(rule) ?? String(rule)}`,
    `${START_NAMES.map((n) => `'${n}'`).join(" or ")}, or a corner [z, y, x] of non-negative integers`,
  );
}

function checkStart(start: unknown): void {
  if (typeof start === "object" && start !== null && !Array.isArray(start)) {
    const perAgent = start as Record<string, unknown>;
    for (const key in perAgent) {
      if (key !== "a" && key !== "b") {
        throw new InvalidArgumentError(`start.${key}`, "is not an agent", "per-agent rules { a, b } only");
      }
    }
    checkStartRule("start.a", perAgent.a);
    checkStartRule("start.b", perAgent.b);
  } else checkStartRule("start", start);
}

/**
 * Merges options over the defaults and validates them (volume-dependent checks, such as the window
 * fitting, happen at reset). An option given as `undefined` takes its default.
 * @throws {InvalidArgumentError} naming the first bad option
 */
export function resolveConfig(options: Partial<SparsConfig> = {}): SparsConfig {
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const c: SparsConfig = { ...DEFAULT_SPARS_CONFIG, ...given };
  checkVec("window", c.window);
  checkVec("observationShape", c.observationShape);
  checkStart(c.start);
  if (!Number.isInteger(c.stride) || c.stride < 1) {
    throw new InvalidArgumentError("stride", `is ${c.stride}`, "a positive integer");
  }
  if (!(c.tau >= 0 && c.tau <= 1)) throw new InvalidArgumentError("tau", `is ${c.tau}`, "a value in [0, 1]");
  if (c.termination !== "tau" && c.termination !== "none") {
    throw new InvalidArgumentError("termination", `is '${c.termination}'`, "'tau' or 'none'");
  }
  if (!Number.isInteger(c.maxSteps) || c.maxSteps < 1) {
    throw new InvalidArgumentError("maxSteps", `is ${c.maxSteps}`, "a positive integer");
  }
  if (!Number.isFinite(c.terminationBonus)) {
    throw new InvalidArgumentError("terminationBonus", `is ${c.terminationBonus}`, "a finite number");
  }
  if (!(Number.isSafeInteger(c.scoreCacheEntries) && c.scoreCacheEntries >= 1)) {
    throw new InvalidArgumentError(
      "scoreCacheEntries",
      `is ${c.scoreCacheEntries}`,
      `a positive integer number of cached scores (default ${DEFAULT_SCORE_CACHE_ENTRIES}; CLI --score-cache-entries)`,
    );
  }
  if (!Number.isFinite(c.maskThreshold)) {
    throw new InvalidArgumentError("maskThreshold", `is ${c.maskThreshold}`, "a finite number");
  }
  if (!MAP_MODES.includes(c.mapMode)) {
    throw new InvalidArgumentError("mapMode", `is '${c.mapMode}'`, `one of ${MAP_MODES.join(", ")}`);
  }
  if (c.intensityRange && !(c.intensityRange[0] < c.intensityRange[1])) {
    throw new InvalidArgumentError("intensityRange", `is ${c.intensityRange.join("..")}`, "lo < hi");
  }
  observationChannels(c.observation, c.imageChannels ?? 1);
  rewardFunction(c.reward, { ties: c.ties, shapingWeight: c.shapingWeight });
  return c;
}
