/**
 * Matches between two agents on a {@link VectorEnv}: agent `a` against agent `b` until a number of
 * episodes have finished, with outcome statistics from `a`'s side (win = positive episode return).
 * Used for the episode statistics printed after training and by tests.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Agent } from "../env/agent.ts";
import type { VectorEnv } from "../env/vector_env.ts";

/** Outcome statistics of a match, from side a. */
export interface MatchResult {
  /** Episodes counted. */
  readonly episodes: number;
  /** Episodes with a positive return for a. */
  readonly wins: number;
  /** Episodes with return 0. */
  readonly draws: number;
  /** Episodes with a negative return for a. */
  readonly losses: number;
  /** wins / episodes. */
  readonly winRate: number;
  /** draws / episodes. */
  readonly drawRate: number;
  /** Mean episode return of a. */
  readonly meanReturn: number;
  /** Mean episode length in steps. */
  readonly meanLength: number;
  /** Share of episodes ended by tau (the rest hit the step limit). */
  readonly terminatedShare: number;
}

/**
 * Plays `a` (side a) against `b` (side b) on every game of `env` until `episodes` episodes have
 * ended (the first ones to end are counted). The env is reset with `seed` first.
 * @throws {InvalidArgumentError} when `episodes` is not a positive integer
 */
export async function playMatch(
  env: VectorEnv,
  a: Agent,
  b: Agent,
  episodes: number,
  seed: number,
): Promise<MatchResult> {
  if (!(Number.isInteger(episodes) && episodes >= 1)) {
    throw new InvalidArgumentError("episodes", `is ${episodes}`, "an integer >= 1");
  }
  let obs = (await env.reset({ seed })).observations;
  const returns = new Float64Array(env.numEnvs), lengths = new Int32Array(env.numEnvs);
  let count = 0, wins = 0, draws = 0, losses = 0, returnSum = 0, lengthSum = 0, terminated = 0;
  while (count < episodes) {
    const actionsA = await a.act(obs.a, env.contexts("a"));
    const actionsB = await b.act(obs.b, env.contexts("b"));
    const r = await env.step({ a: actionsA, b: actionsB });
    for (let i = 0; i < env.numEnvs && count < episodes; i++) {
      if (r.autoreset[i]) continue;
      returns[i] += r.rewards.a[i];
      lengths[i]++;
      if (r.terminations.a[i] || r.truncations.a[i]) {
        count++;
        const ret = returns[i];
        if (ret > 0) wins++;
        else if (ret < 0) losses++;
        else draws++;
        returnSum += ret;
        lengthSum += lengths[i];
        terminated += r.terminations.a[i];
        returns[i] = 0;
        lengths[i] = 0;
      }
    }
    obs = r.observations;
  }
  return {
    episodes: count,
    wins,
    draws,
    losses,
    winRate: wins / count,
    drawRate: draws / count,
    meanReturn: returnSum / count,
    meanLength: lengthSum / count,
    terminatedShare: terminated / count,
  };
}
