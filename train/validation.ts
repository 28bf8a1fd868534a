/**
 * The default `validate` hook of self-play training: the current policy segments a few validation
 * cases by termination-threshold inference (`eval/segment.ts`) and the hook returns their mean Dice
 * against the voxel labels. Voxel labels are read here to EVALUATE only; nothing of it reaches the
 * learner. Everything is seeded with fixed seeds, so values are comparable across updates: only the
 * policy changes.
 *
 * Players: side `a` is the policy in `mode` (default `sample`), side `b` the same policy sampling
 * with another seed, so the two windows are two distinct players (never two identical argmax
 * clones).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { targetMask } from "../data/tile.ts";
import type { Case } from "../data/types.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { dice } from "../eval/metrics.ts";
import { segment, type SegmentOptions } from "../eval/segment.ts";
import { type ActionMode, PolicyAgent } from "../agents/policy_agent.ts";
import type { PolicyNetwork } from "../agents/policy_network.ts";

/** Options of {@link validationDiceHook}. */
export interface ValidationDiceOptions {
  /** Validation cases; those with labels holding the target are used, at most `maxCases`. */
  readonly cases: readonly Case[];
  /** The scorer (wrapped once in a cache kept across validations). */
  readonly scorer: Scorer;
  /** Label values of the target (Dice truth). */
  readonly target: number | readonly number[];
  /**
   * Game and mask options of `segment` (window, stride, tau, maxSteps, observation, ... as in
   * training; `rule`, `threshold`, `starts`, `gate`, ...). Default mask rule: `peak` 0.5.
   */
  readonly segment?: Omit<Partial<SegmentOptions>, "agents" | "scorer" | "cache">;
  /** Cases used. Default 4. */
  readonly maxCases?: number;
  /** How side a acts. Default `sample`. */
  readonly mode?: ActionMode;
  /** Seed of the players and of random starts. Default 0. */
  readonly seed?: number;
}

/**
 * Makes the hook: `(network) => mean Dice` over the usable cases (see the module doc). Cases whose
 * Dice is undefined (no target voxel) are skipped; with none left the hook returns NaN.
 * @throws {InvalidArgumentError} when no case has labels holding the target, or `maxCases` < 1
 */
export function validationDiceHook(
  options: ValidationDiceOptions,
): (network: PolicyNetwork, update?: number) => Promise<number> {
  const maxCases = options.maxCases ?? 4, seed = options.seed ?? 0, mode = options.mode ?? "sample";
  if (!(Number.isInteger(maxCases) && maxCases >= 1)) {
    throw new InvalidArgumentError("maxCases", `is ${maxCases}`, "an integer >= 1");
  }
  const usable: { c: Case; truth: Uint8Array }[] = [];
  for (const c of options.cases) {
    if (usable.length >= maxCases) break;
    if (!c.labels) continue;
    const truth = targetMask(c.labels, options.target);
    if (truth.some((v) => v !== 0)) usable.push({ c, truth });
  }
  if (!usable.length) {
    throw new InvalidArgumentError(
      "validation cases",
      "hold no labelled target voxel",
      "cases with the target",
    );
  }
  const scorer = new CachedScorer(options.scorer);
  const segmentOptions = options.segment ?? {};
  return async (network: PolicyNetwork): Promise<number> => {
    let sum = 0, count = 0;
    for (const [k, { c, truth }] of usable.entries()) {
      const agents = {
        a: new PolicyAgent(network, { mode, seed: (seed + 2 * k) >>> 0, name: "validated" }),
        b: new PolicyAgent(network, { mode: "sample", seed: (seed + 2 * k + 1) >>> 0, name: "partner" }),
      };
      const result = await segment(c, {
        rule: { kind: "peak", value: 0.5 },
        seed,
        ...segmentOptions,
        agents,
        scorer,
        cache: false,
      });
      const d = dice(result.mask, truth);
      if (Number.isFinite(d)) {
        sum += d;
        count++;
      }
    }
    return count ? sum / count : NaN;
  };
}
