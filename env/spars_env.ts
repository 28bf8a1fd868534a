/**
 * `SparsEnv`: the two-agent SPARS game with PettingZoo's Parallel API. Agents `a` and `b` move
 * windows; a scorer scores both; the higher score wins the step; both scores go into the
 * probability map; the episode terminates when a score reaches tau and is truncated at maxSteps.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { checkSeed, Rng } from "../data/random.ts";
import type { Case } from "../data/types.ts";
import { CachedScorer } from "./cached_scorer.ts";
import { resolveConfig, type SparsConfig } from "./config.ts";
import { EnvStateError } from "./errors.ts";
import { type AgentId, AGENTS, type GameReset, type GameStep, type PerAgent, SparsGame } from "./game.ts";
import { MOVE_COUNT } from "./geometry.ts";
import { ObservationEncoder, observationSpace } from "./observation.ts";
import { ObservationMemo } from "./observation_memo.ts";
import type { ProbabilityMap } from "./probability_map.ts";
import { RENDER_MODES, type Rendered, renderGame, type RenderMode, type RenderOptions } from "./render.ts";
import { checkScores, type Scorer } from "./scorer.ts";
import { type Box, Discrete } from "./spaces.ts";

/** Options of {@link SparsEnv}: the game's options plus what it plays on and how it scores. */
export interface SparsEnvOptions extends Partial<SparsConfig> {
  /** The scorer (the reward model). Wrapped in a {@link CachedScorer} unless `cache` is false. */
  readonly scorer: Scorer;
  /** Cases to draw from at reset when `options.case` is not given (uniformly, with the env's rng). */
  readonly cases?: readonly Case[];
  /** Memoise scores per corner (default true), at most `scoreCacheEntries` of them (LRU). */
  readonly cache?: boolean;
  /** What `render()` returns (default `"ansi"`). */
  readonly renderMode?: RenderMode;
  /** Options of `rgb_array` rendering. */
  readonly render?: RenderOptions;
}

/** Arguments of {@link SparsEnv.reset}, as Gymnasium/PettingZoo: a seed, and the case to play. */
export interface ResetArgs {
  /**
   * Reseeds the env's generator (sfc32) before the reset: a non-negative safe integer. Undefined
   * (the default) continues the stream.
   */
  readonly seed?: number;
  /** `case`: the case to play (default: drawn from `cases`). */
  readonly options?: { readonly case?: Case };
}

/**
 * Returns observation encoders shared by all games of one env on the same volume; all of them
 * memoise into one {@link ObservationMemo} of `config.observationCacheBytes`.
 */
export function encoderPool(config: SparsConfig): (c: Case) => ObservationEncoder {
  const pool = new WeakMap<object, ObservationEncoder>();
  const memo = new ObservationMemo(config.observationCacheBytes);
  return (c) => {
    let e = pool.get(c.image);
    if (!e) {
      e = new ObservationEncoder(
        c.image,
        config.window,
        config.observationShape,
        config.observation,
        memo,
        config.imageChannels ?? 1,
      );
      pool.set(c.image, e);
    }
    return e;
  };
}

/** The two-agent Parallel env. `reset` and `step` are async because scoring is. */
export class SparsEnv {
  /** Every agent that may ever act: `["a", "b"]`. */
  readonly possibleAgents: readonly AgentId[] = AGENTS;
  /** Render modes and name. */
  readonly metadata: { readonly renderModes: readonly RenderMode[]; readonly name: string } = {
    renderModes: RENDER_MODES,
    name: "spars-v0",
  };
  /** The resolved options. */
  readonly config: SparsConfig;
  /** The scorer used (the cached wrapper when caching is on). */
  readonly scorer: Scorer;
  /** The render mode. */
  readonly renderMode: RenderMode;
  readonly #cases: readonly Case[];
  readonly #game: SparsGame;
  readonly #rng = new Rng(0);
  readonly #observationSpace: Box;
  readonly #actionSpace = new Discrete(MOVE_COUNT);
  readonly #renderOptions: RenderOptions;
  #agents: AgentId[] = [];
  #closed = false;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(options: SparsEnvOptions) {
    const { scorer, cases, cache, renderMode, render, ...game } = options;
    if (!scorer || typeof scorer.score !== "function") {
      throw new InvalidArgumentError("scorer", "is missing", "an object implementing Scorer");
    }
    this.config = resolveConfig(game);
    this.scorer = cache === false
      ? scorer
      : new CachedScorer(scorer, { maxEntries: this.config.scoreCacheEntries });
    this.#cases = cases ?? [];
    this.renderMode = renderMode ?? "ansi";
    if (!this.metadata.renderModes.includes(this.renderMode)) {
      throw new InvalidArgumentError(
        "renderMode",
        `is '${this.renderMode}'`,
        "'ansi', 'rgb_array' or 'rgba_array'",
      );
    }
    this.#renderOptions = render ?? {};
    this.#game = new SparsGame(this.config, encoderPool(this.config));
    this.#observationSpace = observationSpace(
      this.config.observation,
      this.config.observationShape,
      this.config.intensityRange,
      this.config.imageChannels ?? 1,
    );
  }

  /** Agents still acting: both after reset, none once the episode ended. */
  get agents(): AgentId[] {
    return [...this.#agents];
  }

  /** The observation space of an agent (the same object on every call). */
  observationSpace(agent: AgentId): Box {
    this.#checkAgent(agent);
    return this.#observationSpace;
  }

  /** The action space of an agent (the same object on every call): Discrete(6). */
  actionSpace(agent: AgentId): Discrete {
    this.#checkAgent(agent);
    return this.#actionSpace;
  }

  /** The underlying game (corners, scores, map, case). */
  get game(): SparsGame {
    return this.#game;
  }

  /** The probability map of the current episode. */
  get map(): ProbabilityMap {
    if (!this.#game.map) throw new EnvStateError("map", "read before reset", "reset() first");
    return this.#game.map;
  }

  /**
   * Starts an episode.
   * @throws {InvalidArgumentError} for a seed that is not undefined or a non-negative safe integer
   */
  async reset(args: ResetArgs = {}): Promise<GameReset> {
    checkSeed(args.seed, "seed");
    this.#checkOpen("reset");
    const saved = this.#rng.getState();
    let c: Case, scores: ArrayLike<number>;
    try {
      if (args.seed !== undefined) this.#rng.reseed(args.seed);
      c = args.options?.case ?? this.#drawCase();
      scores = await this.#score(c, this.#game.beginReset(c, this.#rng));
    } catch (e) {
      // Leave the env as it was (episode, generator): the same reset can be retried.
      this.#game.cancel();
      this.#rng.setState(saved);
      throw e;
    }
    const result = this.#game.finishReset(scores);
    this.#agents = [...AGENTS];
    return result;
  }

  /**
   * Both agents move; returns observations, rewards, terminations, truncations and infos per agent.
   * Nothing changes when it throws (a failed scorer call included): the step can be retried.
   * @throws {EnvStateError} before reset, after the episode ended, or after close
   * @throws {InvalidArgumentError} for a missing or invalid action, or a key besides `a` and `b`
   */
  async step(actions: PerAgent<number>): Promise<GameStep> {
    this.#checkOpen("step");
    const corners = this.#game.beginStep(actions);
    let scores: ArrayLike<number>;
    try {
      scores = await this.#score(this.#game.case!, corners);
    } catch (e) {
      this.#game.cancel();
      throw e;
    }
    const result = this.#game.finishStep(scores);
    if (this.#game.done) this.#agents = [];
    return result;
  }

  /**
   * Renders the current state in the env's render mode: `ansi` text, `rgb_array` an H x W x 3
   * `RgbFrame` (Gymnasium's), `rgba_array` the same picture as an RGBA frame.
   */
  render(): Rendered {
    return renderGame(this.#game, this.renderMode, this.#renderOptions);
  }

  /** True once {@link close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends the env for good (it holds no native resources): `agents` becomes empty and `reset` and
   * `step` then throw {@link EnvStateError}. Calling it again does nothing.
   */
  close(): void {
    this.#agents = [];
    this.#closed = true;
  }

  async #score(c: Case, corners: Int32Array): Promise<ArrayLike<number>> {
    const scores: unknown = await this.scorer.score(c.image, corners, this.config.window);
    checkScores(this.scorer.id, scores, 2);
    return scores;
  }

  #checkOpen(method: string): void {
    if (this.#closed) {
      throw new EnvStateError(method, "called after close()", "a new env: close() is final");
    }
  }

  #drawCase(): Case {
    if (!this.#cases.length) {
      throw new InvalidArgumentError(
        "reset",
        "no case given and the env has no cases",
        "options.case or SparsEnvOptions.cases",
      );
    }
    return this.#cases[this.#rng.int(this.#cases.length)];
  }

  #checkAgent(agent: AgentId): void {
    if (agent !== "a" && agent !== "b") {
      throw new InvalidArgumentError("agent", `is '${agent}'`, "'a' or 'b'");
    }
  }
}
