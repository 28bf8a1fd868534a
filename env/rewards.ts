/**
 * Reward schemes of the two-agent game. A scheme maps both windows' scores (and corners, and the
 * step) to the two agents' rewards. Schemes are selected by name or given as a function, so that
 * researchers can benchmark their own.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";

/** Who wins a tie under the `adversarial` scheme: nobody (0 each), agent `a`, or agent `b`. */
export type TieRule = "zero" | "a" | "b";

/** What a reward function sees at each step (after both moves, scores in [0, 1]). */
export interface RewardContext {
  /** Score of agent a's window. */
  readonly scoreA: number;
  /** Score of agent b's window. */
  readonly scoreB: number;
  /** Agent a's corner (z,y,x). */
  readonly cornerA: Vec3;
  /** Agent b's corner (z,y,x). */
  readonly cornerB: Vec3;
  /** The step number, 1 for the first step after reset. */
  readonly step: number;
}

/** A custom reward scheme: returns `[rewardA, rewardB]`. Must be deterministic. */
export type RewardFunction = (context: RewardContext) => readonly [number, number];

/** Names of the built-in schemes. */
export type RewardSchemeName = "adversarial" | "margin" | "absolute";

/**
 * Builds a reward function.
 *
 * - `adversarial` (SPARS): +1 to the higher score, -1 to the other; a tie gives 0/0 (`"zero"`),
 *   or +1/-1 to the agent named by `ties` (the reference code gives ties to its learner).
 * - `margin`: `a` gets `scoreA - scoreB`, `b` the opposite (zero-sum, dense).
 * - `absolute`: each agent gets its own score (cooperative, not zero-sum).
 * - a function: used as is.
 *
 * @throws {InvalidArgumentError} for an unknown name or tie rule
 */
export function rewardFunction(
  scheme: RewardSchemeName | RewardFunction,
  ties: TieRule = "zero",
): RewardFunction {
  if (typeof scheme === "function") return scheme;
  if (!["zero", "a", "b"].includes(ties)) {
    throw new InvalidArgumentError("ties", `is '${ties}'`, "'zero', 'a' or 'b'");
  }
  switch (scheme) {
    case "adversarial": {
      const tie: readonly [number, number] = ties === "a" ? [1, -1] : ties === "b" ? [-1, 1] : [0, 0];
      return ({ scoreA, scoreB }) => scoreA > scoreB ? [1, -1] : scoreA < scoreB ? [-1, 1] : tie;
    }
    case "margin":
      return ({ scoreA, scoreB }) => [scoreA - scoreB, scoreB - scoreA];
    case "absolute":
      return ({ scoreA, scoreB }) => [scoreA, scoreB];
    default:
      throw new InvalidArgumentError(
        "reward",
        `is '${scheme}'`,
        "'adversarial', 'margin', 'absolute' or a function",
      );
  }
}
