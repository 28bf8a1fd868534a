/**
 * `VectorEnv`: N two-agent games in lockstep over a list of cases. Every step makes ONE batched
 * scorer call for all 2N windows (resets included), so a network scorer sees one large batch.
 *
 * Autoreset mode is NEXT_STEP (Gymnasium 1.x default, stated in `metadata`): the step that ends a
 * game returns its final observation with its terminated/truncated flag; the NEXT step ignores that
 * game's actions, resets it, and returns the reset observation with reward 0, both flags false and
 * `autoreset[i] = 1`.
 *
 * Observations (`copyObservations`, as Gymnasium's `SyncVectorEnv(copy=...)`):
 * - `true` (default): `observations.a[i]` are arrays the caller owns; a new set at every reset/step.
 * - `false`: every reset and step writes all `2 * numEnvs` observations into ONE preallocated
 *   {@link VectorEnv.observationBuffer} of shape `[numEnvs, 2, z, y, x, c]` (game, agent a/b, then
 *   one observation z,y,x,c), and `observations.a[i]` / `observations.b[i]` are zero-copy views of
 *   game i's rows: the same views (and the same arrays holding them) at every call. Like Gymnasium's
 *   shared-memory vector envs, the next `reset` or `step` OVERWRITES them: read (or copy) what you
 *   need before calling again. Nothing is allocated per step for observations (except in
 *   `window+map` mode, where the game builds the map channel's observation before it is copied in).
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { checkSeed, deriveSeed, Rng, type RngState } from "../data/random.ts";
import type { Case, Vec3 } from "../data/types.ts";
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
import { type ObservationEncoder, observationSpace } from "./observation.ts";
import { type Scorer, scoreRequests } from "./scorer.ts";
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
  /**
   * True (default): observations are new arrays per reset/step, the caller's to keep. False: they
   * are views of {@link VectorEnv.observationBuffer}, overwritten by the next reset or step (see the
   * module doc).
   */
  readonly copyObservations?: boolean;
}

/** Arguments of {@link VectorEnv.reset}. */
export interface VectorResetArgs {
  /** One seed for all games (game i's generator is seeded with `deriveSeed(seed, i)`), or one per game. */
  readonly seed?: number | readonly (number | undefined)[];
}

/** Batched results of a vector reset. */
export interface VectorReset {
  /**
   * Per agent, one observation per game (z,y,x,c floats). With `copyObservations: false`, views of
   * the env's `observationBuffer`, overwritten by the next reset or step.
   */
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
  /** False when observations are views of {@link observationBuffer} (see the module doc). */
  readonly copyObservations: boolean;
  /**
   * With `copyObservations: false`: the batch of every observation, shape
   * {@link observationBufferShape} = `[numEnvs, 2, z, y, x, c]` (agent a at index 0, b at 1),
   * allocated once and rewritten by every reset and step; undefined when `copyObservations` is true.
   */
  readonly observationBuffer: Float32Array | undefined;
  /** Shape of {@link observationBuffer}: `[numEnvs, 2, ...singleObservationSpace.shape]`. */
  readonly observationBufferShape: readonly number[];
  readonly #cases: readonly Case[];
  readonly #games: SparsGame[];
  readonly #encoderFor: (c: Case) => ObservationEncoder;
  readonly #views?: PerAgent<Float32Array[]>;
  /**
   * Private copies of the observations (slot 2i + agent) for encoders that slide them from the
   * previous corner: the views are the caller's to mutate, these are not.
   */
  #slides?: {
    readonly observations: Float32Array[];
    readonly corners: [number, number, number][];
    readonly encoders: (ObservationEncoder | undefined)[];
  };
  #rngs: Rng[];
  #latest?: PerAgent<AgentInfo[]>;
  #busy = false;
  #closed = false;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(options: VectorEnvOptions) {
    const { numEnvs, cases, scorer, cache, copyObservations, ...game } = options;
    if (!Number.isInteger(numEnvs) || numEnvs < 1) {
      throw new InvalidArgumentError("numEnvs", `is ${numEnvs}`, "a positive integer");
    }
    if (!cases?.length) throw new InvalidArgumentError("cases", "is empty", "at least one case");
    if (copyObservations !== undefined && typeof copyObservations !== "boolean") {
      throw new InvalidArgumentError("copyObservations", `is ${String(copyObservations)}`, "true or false");
    }
    this.numEnvs = numEnvs;
    this.config = resolveConfig(game);
    this.scorer = cache === false
      ? scorer
      : new CachedScorer(scorer, { maxEntries: this.config.scoreCacheEntries });
    this.#cases = cases;
    const encoders = this.#encoderFor = encoderPool(this.config);
    this.#games = Array.from({ length: numEnvs }, () => new SparsGame(this.config, encoders));
    this.#rngs = this.#seededRngs(0);
    this.singleObservationSpace = observationSpace(
      this.config.observation,
      this.config.observationShape,
      this.config.intensityRange,
      this.config.imageChannels ?? 1,
    );
    this.copyObservations = copyObservations ?? true;
    this.observationBufferShape = [numEnvs, 2, ...this.singleObservationSpace.shape];
    if (!this.copyObservations) {
      const len = this.singleObservationSpace.size;
      const buffer = this.observationBuffer = new Float32Array(numEnvs * 2 * len);
      const view = (i: number, agent: number) =>
        buffer.subarray((2 * i + agent) * len, (2 * i + agent + 1) * len);
      this.#views = {
        a: Array.from({ length: numEnvs }, (_, i) => view(i, 0)),
        b: Array.from({ length: numEnvs }, (_, i) => view(i, 1)),
      };
    }
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
      const scores = await scoreRequests(this.scorer, requests, this.config.window);
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
    const games = this.#games, n = this.numEnvs;
    const autoreset = new Uint8Array(n);
    for (let i = 0; i < n; i++) autoreset[i] = games[i].done ? 1 : 0;
    for (let i = 0; i < n; i++) {
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
      scores = await scoreRequests(this.scorer, requests, this.config.window);
    } catch (e) {
      this.#rollback(rngs, saved);
      throw e;
    } finally {
      this.#busy = false;
    }
    const rewards = { a: new Float32Array(n), b: new Float32Array(n) };
    const terminations = { a: new Uint8Array(n), b: new Uint8Array(n) };
    const truncations = { a: new Uint8Array(n), b: new Uint8Array(n) };
    const results: GameReset[] = new Array(n);
    for (let i = 0; i < n; i++) {
      if (autoreset[i]) {
        results[i] = games[i].finishReset(scores[i]);
        continue;
      }
      const r: GameStep = results[i] = games[i].finishStep(scores[i]);
      rewards.a[i] = r.rewards.a;
      rewards.b[i] = r.rewards.b;
      terminations.a[i] = r.terminations.a ? 1 : 0;
      terminations.b[i] = r.terminations.b ? 1 : 0;
      truncations.a[i] = r.truncations.a ? 1 : 0;
      truncations.b[i] = r.truncations.b ? 1 : 0;
    }
    const { observations, infos } = this.#collectReset(results);
    return { observations, infos, rewards, terminations, truncations, autoreset };
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
    const observations = this.#views
      ? this.#writeObservations(results, this.#views)
      : { a: results.map((r) => r.observations.a), b: results.map((r) => r.observations.b) };
    const infos = { a: results.map((r) => r.infos.a), b: results.map((r) => r.infos.b) };
    this.#latest = infos;
    return { observations, infos };
  }

  /** Writes every game's two observations into the batch buffer's views; returns the views. */
  #writeObservations(
    results: readonly GameReset[],
    views: PerAgent<Float32Array[]>,
  ): PerAgent<Float32Array[]> {
    const mapMode = this.config.observation === "window+map";
    for (let i = 0; i < this.numEnvs; i++) {
      if (mapMode) {
        // The game built these already (its map channel is read at once): copy, do not recompute.
        views.a[i].set(results[i].observations.a);
        views.b[i].set(results[i].observations.b);
        continue;
      }
      const g = this.#games[i], encoder = this.#encoderFor(g.case!);
      this.#encode(encoder, 2 * i, g.corners[0], views.a[i]);
      this.#encode(encoder, 2 * i + 1, g.corners[1], views.b[i]);
    }
    return views;
  }

  /**
   * Writes the observation at `corner` into `view`. An incremental encoder slides slot `slot`'s
   * private copy from its last corner (a move reads only the uncovered slab), then it is copied
   * out natively; the first time, or after a case change, it is encoded in full.
   */
  #encode(encoder: ObservationEncoder, slot: number, corner: Vec3, view: Float32Array): void {
    if (!encoder.incremental) {
      encoder.encodeInto(corner, view);
      return;
    }
    const slides = this.#slides ??= {
      observations: Array.from({ length: 2 * this.numEnvs }, () => new Float32Array(view.length)),
      corners: Array.from({ length: 2 * this.numEnvs }, () => [0, 0, 0]),
      encoders: new Array(2 * this.numEnvs),
    };
    const own = slides.observations[slot], last = slides.corners[slot];
    if (slides.encoders[slot] === encoder) encoder.encodeFrom(last, corner, own);
    else encoder.encodeInto(corner, own);
    slides.encoders[slot] = encoder;
    last[0] = corner[0];
    last[1] = corner[1];
    last[2] = corner[2];
    view.set(own);
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
