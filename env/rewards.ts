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
  /**
   * True when agent a's window was not yet in this episode's probability map before this step (a
   * window both agents enter on the same step is new for both). Absent means new: games where a
   * pick can never repeat (the patch game) need not set it.
   */
  readonly newA?: boolean;
  /** The same for agent b's window. */
  readonly newB?: boolean;
}

/** A custom reward scheme: returns `[rewardA, rewardB]`. Must be deterministic. */
export type RewardFunction = (context: RewardContext) => readonly [number, number];

/** Names of the built-in schemes. */
export type RewardSchemeName = "adversarial" | "adversarial+score" | "margin" | "absolute" | "novelty";

/** The built-in schemes, in help order. */
export const REWARD_SCHEMES: readonly RewardSchemeName[] = [
  "adversarial",
  "adversarial+score",
  "margin",
  "absolute",
  "novelty",
];

/** Options of the built-in schemes. */
export interface RewardOptions {
  /** Who wins a tie of `adversarial` and `adversarial+score`. Default `"zero"`. */
  readonly ties?: TieRule;
  /** Weight of the own score added by `adversarial+score`. Default 1. */
  readonly shapingWeight?: number;
}

/**
 * Builds a reward function.
 *
 * - `adversarial` (SPARS): +1 to the higher score, -1 to the other; a tie gives 0/0 (`"zero"`),
 *   or +1/-1 to the agent named by `ties` (the reference code gives ties to its learner).
 * - `adversarial+score`: `adversarial` plus `shapingWeight` times the agent's own score (the
 *   +/-1 saturates once one side dominates; the own score keeps pulling both to high scores).
 * - `margin`: `a` gets `scoreA - scoreB`, `b` the opposite (zero-sum, dense).
 * - `absolute`: each agent gets its own score (cooperative, not zero-sum).
 * - `novelty`: each agent gets its own score when its window is new to the episode's map, else 0
 *   (tied to map quality: only windows that add information to the map pay, so an agent that
 *   parks on one high-scoring window stops earning).
 * - a function: used as is.
 *
 * @param scheme a name or a function
 * @param options tie rule and shaping weight (a string is read as the tie rule, as before)
 * @throws {InvalidArgumentError} for an unknown name, tie rule or a non-finite shaping weight
 */
export function rewardFunction(
  scheme: RewardSchemeName | RewardFunction,
  options: TieRule | RewardOptions = {},
): RewardFunction {
  const { ties = "zero", shapingWeight = 1 } = typeof options === "string" ? { ties: options } : options;
  if (typeof scheme === "function") return scheme;
  if (!["zero", "a", "b"].includes(ties)) {
    throw new InvalidArgumentError("ties", `is '${ties}'`, "'zero', 'a' or 'b'");
  }
  if (!Number.isFinite(shapingWeight)) {
    throw new InvalidArgumentError("shapingWeight", `is ${shapingWeight}`, "a finite number");
  }
  const tie: readonly [number, number] = ties === "a" ? [1, -1] : ties === "b" ? [-1, 1] : [0, 0];
  const adversarial = (a: number, b: number): readonly [number, number] =>
    a > b ? [1, -1] : a < b ? [-1, 1] : tie;
  switch (scheme) {
    case "adversarial":
      return ({ scoreA, scoreB }) => adversarial(scoreA, scoreB);
    case "adversarial+score":
      return ({ scoreA, scoreB }) => {
        const [ra, rb] = adversarial(scoreA, scoreB);
        return [ra + shapingWeight * scoreA, rb + shapingWeight * scoreB];
      };
    case "margin":
      return ({ scoreA, scoreB }) => [scoreA - scoreB, scoreB - scoreA];
    case "absolute":
      return ({ scoreA, scoreB }) => [scoreA, scoreB];
    case "novelty":
      return ({ scoreA, scoreB, newA = true, newB = true }) => [newA ? scoreA : 0, newB ? scoreB : 0];
    default:
      throw new InvalidArgumentError(
        "reward",
        `is '${scheme}'`,
        `one of ${REWARD_SCHEMES.join(", ")} or a function`,
      );
  }
}
