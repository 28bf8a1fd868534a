/**
 * `PatchVectorEnv`: N patch games in lockstep. The game's only scorer use is at reset (every patch
 * of the case), so every `reset` and every `step` that autoresets games makes ONE batched scorer call
 * per distinct patch size for ALL games being (re)set (one call when the cases share a shape whose
 * sides the grid divides), and a step without resets makes none.
 *
 * Autoreset mode NEXT_STEP (Gymnasium 1.x default): the step that ends a game returns its final
 * observation and flags; the next step ignores that game's actions, resets it, and returns the
 * reset observation with rewards 0, flags false and `autoreset[i] = 1`.
 *
 * Game i draws its cases (and its first mover when `first: "random"`) with its own generator seeded
 * `deriveSeed(seed, i)`, in the order of {@link PatchEnv}: game i plays exactly what a `PatchEnv`
 * reset with seed `deriveSeed(seed, i)` plays.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { checkSeed, deriveSeed, Rng } from "../../data/random.ts";
import type { Case, Vec3, Volume } from "../../data/types.ts";
import { CachedScorer } from "../cached_scorer.ts";
import { EnvStateError } from "../errors.ts";
import { type Scorer, type ScoreRequest, scoreRequests } from "../scorer.ts";
import { type Box, Discrete } from "../spaces.ts";
import { PATCH_AGENTS, type PatchConfig, resolvePatchConfig } from "./config.ts";
import { PatchGame, type PatchInfo, type PatchPerAgent } from "./game.ts";
import { PatchGrid } from "./grid.ts";
import { PatchObservationEncoder, patchObservationSpace } from "./observation.ts";

/**
 * Scores every patch of several (volume, grid) pairs: one scorer call per distinct patch size over
 * all pairs.
 * @returns per pair, scores indexed by patch
 */
export async function scorePatchesBatched(
  scorer: Scorer,
  items: readonly { readonly volume: Volume; readonly grid: PatchGrid }[],
): Promise<Float32Array[]> {
  const out = items.map((it) => new Float32Array(it.grid.count));
  const bySize = new Map<string, { size: Vec3; requests: ScoreRequest[]; targets: [number, Int32Array][] }>();
  items.forEach((it, i) => {
    for (const g of it.grid.groups) {
      const key = g.size.join("x");
      let e = bySize.get(key);
      if (!e) bySize.set(key, e = { size: g.size, requests: [], targets: [] });
      e.requests.push({ volume: it.volume, corners: g.corners });
      e.targets.push([i, g.patches]);
    }
  });
  for (const e of bySize.values()) {
    const results = await scoreRequests(scorer, e.requests, e.size);
    e.targets.forEach(([i, patches], r) => patches.forEach((p, k) => out[i][p] = results[r][k]));
  }
  return out;
}

/** Options of {@link PatchVectorEnv}. */
export interface PatchVectorEnvOptions extends Partial<PatchConfig> {
  /** Number of games (>= 1). */
  readonly numEnvs: number;
  /** Cases drawn uniformly per (re)set game. */
  readonly cases: readonly Case[];
  /** The scorer; cached unless `cache` is false. */
  readonly scorer: Scorer;
  /** Memoise scores (default true). */
  readonly cache?: boolean;
}

/** Batched results. */
export interface PatchVectorStep {
  /** Per game, the observation (both players see the same board). */
  readonly observations: Float32Array[];
  /** Per player, one reward per game. */
  readonly rewards: PatchPerAgent<Float32Array>;
  /** 1 where the game terminated at this step. */
  readonly terminations: Uint8Array;
  /** 1 where the game was truncated at this step. */
  readonly truncations: Uint8Array;
  /** 1 where the game was reset at this step. */
  readonly autoreset: Uint8Array;
  /** Per game, the info (`to_move`, `action_mask`, ...). */
  readonly infos: PatchInfo[];
}

/** N patch games in lockstep. */
export class PatchVectorEnv {
  /** Number of games. */
  readonly numEnvs: number;
  /** Resolved options. */
  readonly config: PatchConfig;
  /** The scorer used. */
  readonly scorer: Scorer;
  /** Autoreset mode. */
  readonly metadata: { readonly autoresetMode: "NEXT_STEP" } = { autoresetMode: "NEXT_STEP" };
  /** The games. */
  readonly games: readonly PatchGame[];
  /** The single-game observation space. */
  readonly observationSpace: Box;
  /** The single-game action space, Discrete(n + 1). */
  readonly actionSpace: Discrete;
  readonly #cases: readonly Case[];
  readonly #rngs: Rng[];
  readonly #grids = new WeakMap<Volume, { grid: PatchGrid; encoder: PatchObservationEncoder }>();
  #started = false;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @throws {InvalidArgumentError} for a bad count, no cases, a missing scorer or a bad option
   */
  constructor(options: PatchVectorEnvOptions) {
    const { numEnvs, cases, scorer, cache, ...game } = options;
    if (!(Number.isInteger(numEnvs) && numEnvs >= 1)) {
      throw new InvalidArgumentError("numEnvs", `is ${numEnvs}`, "an integer >= 1");
    }
    if (!cases?.length) throw new InvalidArgumentError("cases", "is empty", "at least one case");
    if (!scorer || typeof scorer.score !== "function") {
      throw new InvalidArgumentError("scorer", "is missing", "an object implementing Scorer");
    }
    this.numEnvs = numEnvs;
    this.config = resolvePatchConfig(game);
    this.scorer = cache === false
      ? scorer
      : new CachedScorer(scorer, { maxEntries: this.config.scoreCacheEntries });
    this.#cases = cases;
    this.games = Array.from({ length: numEnvs }, () => new PatchGame(this.config));
    this.#rngs = Array.from({ length: numEnvs }, (_, i) => new Rng(i));
    this.observationSpace = patchObservationSpace(this.config.observationShape, this.config.observeScores);
    const [gz, gy, gx] = this.config.grid;
    this.actionSpace = new Discrete(gz * gy * gx + 1);
  }

  /** Resets every game (game i seeded `deriveSeed(seed, i)` when a seed is given). */
  async reset(args: { seed?: number } = {}): Promise<PatchVectorStep> {
    checkSeed(args.seed, "seed");
    if (args.seed !== undefined) this.#rngs.forEach((r, i) => r.reseed(deriveSeed(args.seed!, i)));
    const all = this.games.map((_, i) => i);
    const infos = await this.#resetGames(all);
    this.#started = true;
    const zeros = () => new Float32Array(this.numEnvs);
    return {
      observations: infos.map((r) => r.observation),
      rewards: { a: zeros(), b: zeros() },
      terminations: new Uint8Array(this.numEnvs),
      truncations: new Uint8Array(this.numEnvs),
      autoreset: new Uint8Array(this.numEnvs),
      infos: infos.map((r) => r.info),
    };
  }

  /**
   * Steps every game with its mover's action `actions[i]` (games autoreset at this step ignore it).
   * @throws {EnvStateError} before reset
   * @throws {InvalidArgumentError} for a wrong length or an action outside 0..n of a live game
   */
  async step(actions: ArrayLike<number>): Promise<PatchVectorStep> {
    if (!this.#started) throw new EnvStateError("step", "called before reset", "reset() first");
    if (actions.length !== this.numEnvs) {
      throw new InvalidArgumentError(
        "actions",
        `has ${actions.length} entries`,
        `${this.numEnvs}, one per game`,
      );
    }
    const n = this.actionSpace.n;
    const resetting = this.games.map((g, i) => (g.done ? i : -1)).filter((i) => i >= 0);
    this.games.forEach((g, i) => {
      const a = actions[i];
      if (!g.done && !(Number.isInteger(a) && a >= 0 && a < n)) {
        throw new InvalidArgumentError(`actions[${i}]`, `is ${a}`, `an integer in 0..${n - 1}`);
      }
    });
    const fresh = await this.#resetGames(resetting);
    const out: PatchVectorStep = {
      observations: new Array(this.numEnvs),
      rewards: { a: new Float32Array(this.numEnvs), b: new Float32Array(this.numEnvs) },
      terminations: new Uint8Array(this.numEnvs),
      truncations: new Uint8Array(this.numEnvs),
      autoreset: new Uint8Array(this.numEnvs),
      infos: new Array(this.numEnvs),
    };
    resetting.forEach((i, k) => {
      out.observations[i] = fresh[k].observation;
      out.infos[i] = fresh[k].info;
      out.autoreset[i] = 1;
    });
    this.games.forEach((g, i) => {
      if (out.autoreset[i]) return;
      const mover = PATCH_AGENTS[g.toMove];
      const r = g.play({ [mover]: actions[i] });
      out.observations[i] = r.observations.a;
      out.infos[i] = r.infos.a;
      out.rewards.a[i] = r.rewards.a;
      out.rewards.b[i] = r.rewards.b;
      out.terminations[i] = r.terminations.a ? 1 : 0;
      out.truncations[i] = r.truncations.a ? 1 : 0;
    });
    return out;
  }

  async #resetGames(indices: readonly number[]): Promise<{ observation: Float32Array; info: PatchInfo }[]> {
    if (!indices.length) return [];
    const picks = indices.map((i) => {
      const rng = this.#rngs[i];
      const c = this.#cases[rng.int(this.#cases.length)];
      const first: 0 | 1 = this.config.first === "a"
        ? 0
        : this.config.first === "b"
        ? 1
        : rng.int(2) as 0 | 1;
      return { c, first, ...this.#gridOf(c.image) };
    });
    const scores = await scorePatchesBatched(
      this.scorer,
      picks.map((p) => ({ volume: p.c.image, grid: p.grid })),
    );
    return indices.map((i, k) => {
      const p = picks[k];
      const r = this.games[i].begin(p.c, p.grid, p.encoder, scores[k], p.first);
      return { observation: r.observations.a, info: r.infos.a };
    });
  }

  #gridOf(volume: Volume): { grid: PatchGrid; encoder: PatchObservationEncoder } {
    let g = this.#grids.get(volume);
    if (!g) {
      const grid = new PatchGrid(volume.shape, this.config.grid);
      const encoder = new PatchObservationEncoder(
        volume,
        grid,
        this.config.observationShape,
        this.config.intensityRange,
        this.config.observeScores,
      );
      this.#grids.set(volume, g = { grid, encoder });
    }
    return g;
  }
}
