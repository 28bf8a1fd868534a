/**
 * `VectorEnv`: N two-agent games in lockstep over a list of cases. Every step makes ONE batched
 * scorer call for all 2N windows (resets included), so a network scorer sees one large batch.
 *
 * Autoreset mode is NEXT_STEP (Gymnasium 1.x default, stated in `metadata`): the step that ends a
 * game returns its final observation with its terminated/truncated flag; the NEXT step ignores that
 * game's actions, resets it, and returns the reset observation with reward 0, both flags false and
 * `autoreset[i] = 1`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { checkSeed, deriveSeed, Rng, type RngState } from "../data/random.ts";
import type { Case } from "../data/types.ts";
import type { AgentContext } from "./agent.ts";
import { CachedScorer } from "./cached_scorer.ts";
import { resolveConfig, type SparsConfig } from "./config.ts";
import { EnvStateError } from "./errors.ts";
import {
  type AgentId,
  type AgentInfo,
  checkAction,
  checkAgentKeys,
  type GameReset,
  type GameStep,
  type PerAgent,
  SparsGame,
} from "./game.ts";
import { MOVE_COUNT } from "./geometry.ts";
import { observationSpace } from "./observation.ts";
import { type Scorer, type ScoreRequest, scoreRequests } from "./scorer.ts";
import { type Box, Discrete } from "./spaces.ts";
import { encoderPool } from "./spars_env.ts";

function isAction(x: number): boolean {
  return Number.isInteger(x) && x >= 0 && x < MOVE_COUNT;
}

/** Options of {@link VectorEnv}. */
export interface VectorEnvOptions extends Partial<SparsConfig> {
  /** Number of games (>= 1). */
  readonly numEnvs: number;
  /** Cases; each (re)set game draws one uniformly with its own seeded generator. */
  readonly cases: readonly Case[];
  /** The scorer; wrapped in a {@link CachedScorer} unless `cache` is false. */
  readonly scorer: Scorer;
  /** Memoise scores per corner (default true), at most `scoreCacheEntries` of them (LRU). */
  readonly cache?: boolean;
}

/** Arguments of {@link VectorEnv.reset}. */
export interface VectorResetArgs {
  /** One seed for all games (game i's generator is seeded with `deriveSeed(seed, i)`), or one per game. */
  readonly seed?: number | readonly (number | undefined)[];
}

/** Batched results of a vector reset. */
export interface VectorReset {
  /** Per agent, one observation per game. */
  readonly observations: PerAgent<Float32Array[]>;
  /** Per agent, one info per game. */
  readonly infos: PerAgent<AgentInfo[]>;
}

/** Batched results of a vector step. */
export interface VectorStep extends VectorReset {
  /** Per agent, one reward per game (0 for games that were autoreset). */
  readonly rewards: PerAgent<Float32Array>;
  /** Per agent, 1 where the game terminated at this step. */
  readonly terminations: PerAgent<Uint8Array>;
  /** Per agent, 1 where the game was truncated at this step. */
  readonly truncations: PerAgent<Uint8Array>;
  /** 1 where the game was reset at this step (its actions were ignored). */
  readonly autoreset: Uint8Array;
}

/** N games in lockstep. */
export class VectorEnv {
  /** Number of games. */
  readonly numEnvs: number;
  /** Autoreset semantics, as Gymnasium's `metadata["autoreset_mode"]`. */
  readonly metadata: { readonly autoresetMode: "next_step"; readonly name: string } = {
    autoresetMode: "next_step",
    name: "spars-vector-v0",
  };
  /** Resolved game options (shared by all games). */
  readonly config: SparsConfig;
  /** The scorer (cached wrapper when caching is on). */
  readonly scorer: Scorer;
  /** Observation space of one game and agent. */
  readonly singleObservationSpace: Box;
  /** Action space of one game and agent: Discrete(6). */
  readonly singleActionSpace: Discrete = new Discrete(MOVE_COUNT);
  readonly #cases: readonly Case[];
  readonly #games: SparsGame[];
  #rngs: Rng[];
  #latest?: PerAgent<AgentInfo[]>;
  #busy = false;
  #closed = false;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(options: VectorEnvOptions) {
    const { numEnvs, cases, scorer, cache, ...game } = options;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new InvalidArgumentError("numEnvs", `is ${numEnvs}`, "a positive integer");
    }
    if (!cases?.length) throw new InvalidArgumentError("cases", "is empty", "at least one case");
    this.numEnvs = numEnvs;
    this.config = resolveConfig(game);
    this.scorer = cache === false
      ? scorer
      : new CachedScorer(scorer, { maxEntries: this.config.scoreCacheEntries });
    this.#cases = cases;
    const encoders = encoderPool(this.config);
    this.#games = Array.from({ length: numEnvs }, () => new SparsGame(this.config, encoders));
    this.#rngs = this.#seededRngs(0);
    this.singleObservationSpace = observationSpace(
      this.config.observation,
      this.config.observationShape,
      this.config.intensityRange,
      this.config.imageChannels ?? 1,
    );
  }

  /** The games (read their corners, maps and cases; do not drive them directly). */
  get games(): readonly SparsGame[] {
    return this.#games;
  }

  /**
   * Resets every game. `seed` (a non-negative safe integer) seeds game i's generator with
   * `deriveSeed(seed, i)` (every bit of the seed counts); an array of `numEnvs` seeds (as Gymnasium's list) seeds game i with `seed[i]`,
   * exactly as `SparsEnv.reset({ seed: seed[i] })` on the same cases (an undefined entry continues
   * that game's stream); no seed continues every stream. When it throws (a scorer error included)
   * every game and generator is as before, so the reset can be retried.
   * @throws {InvalidArgumentError} for a bad seed, or a seed array of the wrong length
   * @throws {EnvStateError} after close, or while another reset or step is in flight
   */
  async reset(args: VectorResetArgs = {}): Promise<VectorReset> {
    const seed = args.seed;
    if (Array.isArray(seed)) {
      if (seed.length !== this.numEnvs) {
        throw new InvalidArgumentError(
          "seed",
          `is an array of ${seed.length} seeds`,
          `one seed per game: an array of numEnvs = ${this.numEnvs}, or a single seed`,
        );
      }
      seed.forEach((s, i) => checkSeed(s, `seed[${i}]`));
    } else checkSeed(seed, "seed");
    this.#checkOpen("reset");
    this.#enter("reset");
    const rngs = this.#rngs, saved = rngs.map((r) => r.getState());
    try {
      if (Array.isArray(seed)) {
        this.#rngs = rngs.map((r, i) => seed[i] === undefined ? r : new Rng(seed[i]));
      } else if (seed !== undefined) this.#rngs = this.#seededRngs(seed);
      const requests = this.#games.map((g, i) => {
        const c = this.#draw(i);
        return { volume: c.image, corners: g.beginReset(c, this.#rngs[i]) };
      });
      const scores = await this.#score(requests);
      const results = this.#games.map((g, i) => g.finishReset(scores[i]));
      return this.#collectReset(results);
    } catch (e) {
      this.#rollback(rngs, saved);
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Steps every game with `actions.a[i]`, `actions.b[i]` (Int32Array of length numEnvs each);
   * games that ended at the previous step are reset instead (NEXT_STEP autoreset). Every action of
   * every running game is checked before any game moves; when it throws (a scorer error included)
   * every game is as before, so the step can be retried.
   * @throws {InvalidArgumentError} for wrong lengths, invalid actions of running games, or a key
   *   besides `a` and `b`
   * @throws {EnvStateError} before reset, after close, or while another reset or step is in flight
   */
  async step(actions: PerAgent<Int32Array>): Promise<VectorStep> {
    this.#checkOpen("step");
    if (typeof actions !== "object" || actions === null) {
      throw new InvalidArgumentError("actions", `is ${String(actions)}`, "an object { a, b } of Int32Arrays");
    }
    checkAgentKeys(actions);
    for (const agent of ["a", "b"] as const) {
      if (actions[agent]?.length !== this.numEnvs) {
        throw new InvalidArgumentError(
          `actions.${agent}`,
          `has length ${actions[agent]?.length}`,
          `${this.numEnvs} actions`,
        );
      }
    }
    if (!this.#latest) throw new EnvStateError("step", "called before reset", "reset() first");
    const autoreset = Uint8Array.from(this.#games, (g) => (g.done ? 1 : 0));
    for (let i = 0; i < this.numEnvs; i++) {
      if (autoreset[i]) continue; // NEXT_STEP: its actions are ignored
      if (!isAction(actions.a[i])) checkAction(`actions.a[${i}]`, actions.a[i]);
      if (!isAction(actions.b[i])) checkAction(`actions.b[${i}]`, actions.b[i]);
    }
    this.#enter("step");
    const rngs = this.#rngs;
    const saved = autoreset.includes(1) ? rngs.map((r) => r.getState()) : undefined;
    let scores: Float32Array[];
    try {
      const requests = this.#games.map((g, i) => {
        if (!autoreset[i]) {
          return { volume: g.case!.image, corners: g.beginStep({ a: actions.a[i], b: actions.b[i] }) };
        }
        const c = this.#draw(i);
        return { volume: c.image, corners: g.beginReset(c, rngs[i]) };
      });
      scores = await this.#score(requests);
    } catch (e) {
      this.#rollback(rngs, saved);
      throw e;
    } finally {
      this.#busy = false;
    }
    const n = this.numEnvs;
    const rewards = { a: new Float32Array(n), b: new Float32Array(n) };
    const terminations = { a: new Uint8Array(n), b: new Uint8Array(n) };
    const truncations = { a: new Uint8Array(n), b: new Uint8Array(n) };
    const results: GameReset[] = this.#games.map((g, i) => {
      if (autoreset[i]) return g.finishReset(scores[i]);
      const r: GameStep = g.finishStep(scores[i]);
      for (const agent of ["a", "b"] as const) {
        rewards[agent][i] = r.rewards[agent];
        terminations[agent][i] = r.terminations[agent] ? 1 : 0;
        truncations[agent][i] = r.truncations[agent] ? 1 : 0;
      }
      return r;
    });
    return { ...this.#collectReset(results), rewards, terminations, truncations, autoreset };
  }

  /** Per-game contexts of an agent (for agents that read scores, such as the greedy baseline). */
  contexts(agent: AgentId): AgentContext[] {
    if (!this.#latest) throw new InvalidArgumentError("contexts", "called before reset", "reset() first");
    return this.#games.map((g, i) => ({
      volume: g.case!.image,
      geometry: g.geometry!,
      scorer: this.scorer,
      info: this.#latest![agent][i],
    }));
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Ends the env for good (no native resources): `reset` and `step` then throw {@link EnvStateError}. */
  close(): void {
    this.#closed = true;
  }

  #checkOpen(method: string): void {
    if (this.#closed) {
      throw new EnvStateError(method, "called after close()", "a new env: close() is final");
    }
  }

  #enter(method: string): void {
    if (this.#busy) {
      throw new EnvStateError(method, "called while another reset or step is in flight", "await it first");
    }
    this.#busy = true;
  }

  /** Undoes a failed reset or step: drops every begun game and restores the generators. */
  #rollback(rngs: Rng[], saved: readonly RngState[] | undefined): void {
    for (const g of this.#games) g.cancel();
    this.#rngs = rngs;
    if (saved) rngs.forEach((r, i) => r.setState(saved[i]));
  }

  #collectReset(results: readonly GameReset[]): VectorReset {
    const observations = { a: results.map((r) => r.observations.a), b: results.map((r) => r.observations.b) };
    const infos = { a: results.map((r) => r.infos.a), b: results.map((r) => r.infos.b) };
    this.#latest = infos;
    return { observations, infos };
  }

  async #score(requests: readonly ScoreRequest[]): Promise<Float32Array[]> {
    return await scoreRequests(this.scorer, requests, this.config.window);
  }

  #draw(i: number): Case {
    return this.#cases[this.#rngs[i].int(this.#cases.length)];
  }

  #seededRngs(seed: number): Rng[] {
    return Array.from(
      { length: this.numEnvs },
      (_, i) => new Rng(deriveSeed(seed, i)),
    );
  }
}
