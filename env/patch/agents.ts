/**
 * Agents of the patch game: the contract (a batch of observations plus a context per game in, one
 * action per game out), uniformly random legal play, and the greedy fixed-threshold baseline of the
 * paper (its single-agent variant).
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { Rng } from "../../data/random.ts";
import type { Volume } from "../../data/types.ts";
import { type Scorer, scoreRequests } from "../scorer.ts";
import type { PatchGrid } from "./grid.ts";

/** What a patch agent may know besides the observation. */
export interface PatchAgentContext {
  /** The volume played. */
  readonly volume: Volume;
  /** Its patch grid (n = `grid.count`; action n terminates). */
  readonly grid: PatchGrid;
  /** The env's scorer. */
  readonly scorer: Scorer;
  /** Gymnasium action mask, length n + 1 (1 = legal). */
  readonly actionMask: Uint8Array;
  /** The env's presence threshold. */
  readonly presenceThreshold: number;
}

/** An agent of the patch game: one action in 0..n per game. */
export interface PatchAgent {
  /** A short name for reports. */
  readonly name: string;
  /** One action per observation (`[oz, oy, ox, 2]` float32), in order. */
  act(observations: readonly Float32Array[], contexts: readonly PatchAgentContext[]): Promise<Int32Array>;
}

/** Uniform over the LEGAL actions (untaken patches and terminate), from its own seeded generator. */
export class RandomPatchAgent implements PatchAgent {
  /** `"random"`. */
  readonly name: string = "random";
  readonly #rng: Rng;
  readonly #terminateWeight: number;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param seed generator seed
   * @param terminateWeight weight of terminate relative to one legal patch (default 1: uniform)
   * @throws {InvalidArgumentError} for a negative or non-finite weight
   */
  constructor(seed = 0, terminateWeight = 1) {
    if (!(Number.isFinite(terminateWeight) && terminateWeight >= 0)) {
      throw new InvalidArgumentError("terminateWeight", `is ${terminateWeight}`, "a finite number >= 0");
    }
    this.#rng = new Rng(seed);
    this.#terminateWeight = terminateWeight;
  }

  /** One legal action per game. */
  act(_observations: readonly Float32Array[], contexts: readonly PatchAgentContext[]): Promise<Int32Array> {
    return Promise.resolve(Int32Array.from(contexts, (c) => {
      const mask = c.actionMask, n = mask.length - 1;
      let legal = 0;
      for (let p = 0; p < n; p++) legal += mask[p];
      const total = legal + this.#terminateWeight;
      if (total <= 0) return n;
      let u = this.#rng.float() * total;
      for (let p = 0; p < n; p++) {
        if (mask[p] === 1 && (u -= 1) < 0) return p;
      }
      return n;
    }));
  }
}

/**
 * Greedy fixed-threshold baseline: scores every untaken patch of every game (one scorer call per
 * distinct patch size across all games), takes the best (lowest index on ties), and terminates when
 * none scores above the threshold (strictly; default: the env's presence threshold).
 */
export class GreedyPatchAgent implements PatchAgent {
  /** `"greedy"`. */
  readonly name: string = "greedy";
  readonly #threshold?: number;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param threshold fixed termination threshold in [0, 1] (default: each context's presence threshold)
   * @throws {InvalidArgumentError} for a threshold outside [0, 1]
   */
  constructor(threshold?: number) {
    if (threshold !== undefined && !(threshold >= 0 && threshold <= 1)) {
      throw new InvalidArgumentError("threshold", `is ${threshold}`, "a value in [0, 1]");
    }
    this.#threshold = threshold;
  }

  /** One action per game. */
  async act(
    _observations: readonly Float32Array[],
    contexts: readonly PatchAgentContext[],
  ): Promise<Int32Array> {
    const best = contexts.map(() => ({ patch: -1, score: -Infinity }));
    // Group requests by patch size so that each size is one call over all games.
    const bySize = new Map<
      string,
      { size: readonly [number, number, number]; games: number[]; patches: number[][] }
    >();
    contexts.forEach((c, i) => {
      for (const g of c.grid.groups) {
        const patches = [...g.patches].filter((p) => c.actionMask[p] === 1);
        if (!patches.length) continue;
        const key = g.size.join("x");
        let e = bySize.get(key);
        if (!e) bySize.set(key, e = { size: g.size, games: [], patches: [] });
        e.games.push(i);
        e.patches.push(patches);
      }
    });
    for (const e of bySize.values()) {
      const requests = e.games.map((i, k) => {
        const grid = contexts[i].grid, corners = new Int32Array(3 * e.patches[k].length);
        e.patches[k].forEach((p, j) => corners.set(grid.corners.subarray(3 * p, 3 * p + 3), 3 * j));
        return { volume: contexts[i].volume, corners };
      });
      const scores = await scoreRequests(contexts[0].scorer, requests, e.size);
      e.games.forEach((i, k) => {
        e.patches[k].forEach((p, j) => {
          const s = scores[k][j], b = best[i];
          if (s > b.score || (s === b.score && p < b.patch)) {
            b.score = s;
            b.patch = p;
          }
        });
      });
    }
    return Int32Array.from(contexts, (c, i) => {
      const threshold = this.#threshold ?? c.presenceThreshold;
      const b = best[i];
      return b.patch >= 0 && b.score > threshold ? b.patch : c.grid.count;
    });
  }
}
