/**
 * Agents that need no network: uniform random moves, and greedy moves to the neighbouring window
 * with the best score (a strong non-learning baseline that a learned policy must beat).
 *
 * @module
 */
import { Rng } from "../data/random.ts";
import type { Agent, AgentContext } from "./agent.ts";
import { MOVE_COUNT } from "./geometry.ts";
import { scoreRequests } from "./scorer.ts";

/** Uniformly random moves from its own seeded generator. */
export class RandomAgent implements Agent {
  /** `"random"`. */
  readonly name: string = "random";
  readonly #rng: Rng;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param seed seed of the agent's generator */
  constructor(seed = 0) {
    this.#rng = new Rng(seed);
  }

  /** One action (0..5) per observation; see {@link Agent}. */
  act(observations: readonly Float32Array[], _contexts?: readonly AgentContext[]): Promise<Int32Array> {
    const out = new Int32Array(observations.length);
    for (let i = 0; i < out.length; i++) out[i] = this.#rng.int(MOVE_COUNT);
    return Promise.resolve(out);
  }
}

/**
 * Moves to the neighbouring (clamped) corner with the highest score, asking the env's scorer for
 * all 6 neighbours of every game in ONE call. Ties are broken uniformly at random by its own seeded
 * generator (so on a flat score landscape it wanders instead of stalling), and a move that the
 * border clamps to the current corner loses every tie.
 */
export class GreedyAgent implements Agent {
  /** `"greedy"`. */
  readonly name: string = "greedy";
  readonly #rng: Rng;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param seed seed of the tie-breaking generator */
  constructor(seed = 0) {
    this.#rng = new Rng(seed);
  }

  /** One action (0..5) per observation; see {@link Agent}. */
  async act(_observations: readonly Float32Array[], contexts: readonly AgentContext[]): Promise<Int32Array> {
    if (!contexts.length) return new Int32Array(0);
    const requests = contexts.map((c) => {
      const corners = new Int32Array(3 * MOVE_COUNT);
      for (let m = 0; m < MOVE_COUNT; m++) corners.set(c.geometry.move(c.info.corner, m), 3 * m);
      return { volume: c.volume, corners };
    });
    const scores = await scoreRequests(contexts[0].scorer, requests, contexts[0].geometry.size);
    const ties: number[] = [];
    return Int32Array.from(contexts, (c, i) => {
      let bestScore = -Infinity;
      for (let m = 0; m < MOVE_COUNT; m++) {
        const stays = requests[i].corners.subarray(3 * m, 3 * m + 3).every((v, a) => v === c.info.corner[a]);
        // Scores are float32 in [0, 1]: a stay penalty below their resolution only breaks ties.
        const s = scores[i][m] - (stays ? 1e-9 : 0);
        if (s > bestScore) {
          bestScore = s;
          ties.length = 0;
        }
        if (s === bestScore) ties.push(m);
      }
      return ties[this.#rng.int(ties.length)];
    });
  }
}
