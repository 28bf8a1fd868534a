/**
 * Matches against a FIXED reference agent (e.g. `RandomAgent`, `GreedyAgent`): a progress measure
 * that, unlike the win rate against a moving self-play pool, is comparable across updates. Every
 * game of a {@link VectorEnv} plays exactly ONE episode from a seeded reset, and every one of those
 * episodes counts (counting the first `k` episodes to end would favour short ones). Games that end
 * early keep being stepped (autoreset) until the last one ends; those extra episodes are ignored.
 *
 * Statistics are from side `a` (the agent under test):
 * - win / draw / loss: sign of the episode return (the sum of a's rewards);
 * - score margin: a's window score minus the reference's window score after each step's moves,
 *   averaged over all counted steps (step-weighted), in [-1, 1].
 *
 * @module
 */
import type { Agent } from "../env/agent.ts";
import type { VectorEnv } from "../env/vector_env.ts";

/** Outcome of {@link playReferenceMatch}, from side a. */
export interface ReferenceMatchResult {
  /** Episodes counted (= the env's number of games). */
  readonly episodes: number;
  /** Share of episodes with a positive return for a. */
  readonly winRate: number;
  /** Share of episodes with return 0. */
  readonly drawRate: number;
  /** Mean episode return of a. */
  readonly meanReturn: number;
  /** Mean episode length in steps. */
  readonly meanLength: number;
  /** Mean over all counted steps of (a's window score - b's window score). */
  readonly meanMargin: number;
  /** Counted steps (sum of the episode lengths). */
  readonly steps: number;
}

/**
 * Plays `a` (side a) against `reference` (side b): the env is reset with `seed`, then every game
 * plays one episode (see the module doc). With fresh agents seeded the same way and the same `seed`,
 * two calls differ only through the agents' policies.
 */
export async function playReferenceMatch(
  env: VectorEnv,
  a: Agent,
  reference: Agent,
  seed: number,
): Promise<ReferenceMatchResult> {
  const n = env.numEnvs;
  let obs = (await env.reset({ seed })).observations;
  const done = new Uint8Array(n), returns = new Float64Array(n);
  let remaining = n, steps = 0, marginSum = 0, wins = 0, draws = 0, returnSum = 0;
  while (remaining > 0) {
    const actionsA = await a.act(obs.a, env.contexts("a"));
    const actionsB = await reference.act(obs.b, env.contexts("b"));
    const r = await env.step({ a: actionsA, b: actionsB });
    for (let i = 0; i < n; i++) {
      // A game's first episode has no autoreset row: autoreset only follows an end.
      if (done[i]) continue;
      const info = r.infos.a[i];
      steps++;
      marginSum += info.score - info.opponentScore;
      returns[i] += r.rewards.a[i];
      if (r.terminations.a[i] || r.truncations.a[i]) {
        done[i] = 1;
        remaining--;
        const ret = returns[i];
        if (ret > 0) wins++;
        else if (ret === 0) draws++;
        returnSum += ret;
      }
    }
    obs = r.observations;
  }
  return {
    episodes: n,
    winRate: wins / n,
    drawRate: draws / n,
    meanReturn: returnSum / n,
    meanLength: steps / n,
    meanMargin: steps ? marginSum / steps : NaN,
    steps,
  };
}
