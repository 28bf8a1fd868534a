/**
 * `PatchEnv`: the two-player patch game with PettingZoo's Parallel API, turn-based.
 *
 * Why Parallel and not AEC: every game of this package (SPARS, the vector envs, the checkers, the
 * Python server) speaks Parallel, so a user switches games without switching loops. Turn order is
 * explicit instead: `infos[agent].to_move` names the player whose action the next `step` uses; the
 * idle player's action is ignored (it may be omitted). Both players stay in `agents` until the
 * game ends, then both leave together (PettingZoo's `parallel_api_test` contract).
 *
 * At reset the env scores EVERY patch of the case with its scorer (one call per distinct patch size,
 * through a {@link CachedScorer} by default); picks and the termination check read those scores.
 * The rules are in `./game.ts`; observations in `./observation.ts`.
 *
 * @module
 */
import { InvalidArgumentError } from "../../data/errors.ts";
import { checkSeed, Rng } from "../../data/random.ts";
import type { Case, Volume } from "../../data/types.ts";
import { CachedScorer } from "../cached_scorer.ts";
import { EnvStateError } from "../errors.ts";
import type { RgbaFrame } from "../png.ts";
import { type Scorer, scoreRequests } from "../scorer.ts";
import { type Box, Discrete } from "../spaces.ts";
import { PATCH_AGENTS, type PatchAgentId, type PatchConfig, resolvePatchConfig } from "./config.ts";
import { PatchGame, type PatchPerAgent, type PatchReset, type PatchStep } from "./game.ts";
import { PatchGrid } from "./grid.ts";
import { PatchObservationEncoder, patchObservationSpace } from "./observation.ts";
import { renderPatchAnsi, renderPatchRgb } from "./render.ts";

/** Options of {@link PatchEnv}. */
export interface PatchEnvOptions extends Partial<PatchConfig> {
  /** The scorer (object-presence classifier, or an oracle for debugging). */
  readonly scorer: Scorer;
  /** Cases drawn uniformly at reset when `options.case` is not given. All must share one shape. */
  readonly cases?: readonly Case[];
  /** Memoise scores (default true). */
  readonly cache?: boolean;
  /** What `render()` returns (default `"ansi"`). */
  readonly renderMode?: "ansi" | "rgb_array";
}

/** Arguments of {@link PatchEnv.reset}. */
export interface PatchResetArgs {
  /** Reseeds the env's generator (case draw, `first: "random"`); undefined continues the stream. */
  readonly seed?: number;
  /** `case`: the case to play (its shape sets the grid; must match the action space). */
  readonly options?: { readonly case?: Case };
}

/**
 * Scores every patch of `grid` on `volume`, one scorer call per distinct patch size.
 * @returns scores indexed by patch
 */
export async function scoreAllPatches(
  scorer: Scorer,
  volume: Volume,
  grid: PatchGrid,
): Promise<Float32Array> {
  const out = new Float32Array(grid.count);
  for (const g of grid.groups) {
    const [s] = await scoreRequests(scorer, [{ volume, corners: g.corners }], g.size);
    g.patches.forEach((p, k) => out[p] = s[k]);
  }
  return out;
}

/** The two-player turn-based Parallel env of the patch game. */
export class PatchEnv {
  /** `["a", "b"]`. */
  readonly possibleAgents: readonly PatchAgentId[] = PATCH_AGENTS;
  /** Render modes and name. */
  readonly metadata: { readonly renderModes: readonly string[]; readonly name: string } = {
    renderModes: ["ansi", "rgb_array"],
    name: "patch-v0",
  };
  /** Resolved options. */
  readonly config: PatchConfig;
  /** The scorer used (cached unless `cache: false`). */
  readonly scorer: Scorer;
  /** Render mode. */
  readonly renderMode: "ansi" | "rgb_array";
  /** The rules and board. */
  readonly game: PatchGame;
  readonly #cases: readonly Case[];
  readonly #rng = new Rng(0);
  readonly #observationSpace: Box;
  readonly #actionSpace: Discrete;
  readonly #patches: number;
  readonly #grids = new WeakMap<Volume, { grid: PatchGrid; encoder: PatchObservationEncoder }>();
  #agents: PatchAgentId[] = [];
  #closed = false;
  #busy = false;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @throws {InvalidArgumentError} for a missing scorer or a bad option
   */
  constructor(options: PatchEnvOptions) {
    const { scorer, cases, cache, renderMode, ...game } = options;
    if (!scorer || typeof scorer.score !== "function") {
      throw new InvalidArgumentError("scorer", "is missing", "an object implementing Scorer");
    }
    this.config = resolvePatchConfig(game);
    this.scorer = cache === false
      ? scorer
      : new CachedScorer(scorer, { maxEntries: this.config.scoreCacheEntries });
    this.#cases = cases ?? [];
    this.renderMode = renderMode ?? "ansi";
    if (this.renderMode !== "ansi" && this.renderMode !== "rgb_array") {
      throw new InvalidArgumentError("renderMode", `is '${this.renderMode}'`, "'ansi' or 'rgb_array'");
    }
    const [gz, gy, gx] = this.config.grid;
    this.#patches = gz * gy * gx;
    this.#observationSpace = patchObservationSpace(this.config.observationShape, this.config.observeScores);
    this.#actionSpace = new Discrete(this.#patches + 1);
    this.game = new PatchGame(this.config);
  }

  /** Number of patches n (actions 0..n-1 take a patch, n terminates). */
  get patchCount(): number {
    return this.#patches;
  }

  /** Players still in the game: both after reset, none once it ended. */
  get agents(): PatchAgentId[] {
    return [...this.#agents];
  }

  /** The observation space (the same object each call): float32 `[oz, oy, ox, c]` in [0, 1], c = 2 or 3. */
  observationSpace(agent: PatchAgentId): Box {
    this.#checkAgent(agent);
    return this.#observationSpace;
  }

  /** The action space (the same object each call): Discrete(n + 1), n = terminate. */
  actionSpace(agent: PatchAgentId): Discrete {
    this.#checkAgent(agent);
    return this.#actionSpace;
  }

  /** The grid and encoder of a volume (built once per volume). */
  gridOf(volume: Volume): { grid: PatchGrid; encoder: PatchObservationEncoder } {
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

  /**
   * Starts an episode. When it throws (a scorer error) the env's generator is left as it was.
   * @throws {InvalidArgumentError} for a bad seed, no case, or a case too small for the grid
   * @throws {EnvStateError} after close or while a call is in flight
   */
  async reset(args: PatchResetArgs = {}): Promise<PatchReset> {
    checkSeed(args.seed, "seed");
    this.#checkOpen("reset");
    const saved = this.#rng.getState();
    this.#busy = true;
    try {
      if (args.seed !== undefined) this.#rng.reseed(args.seed);
      const c = args.options?.case ?? this.#drawCase();
      const first: 0 | 1 = this.config.first === "a"
        ? 0
        : this.config.first === "b"
        ? 1
        : (this.#rng.int(2) as 0 | 1);
      const { grid, encoder } = this.gridOf(c.image);
      const scores = await scoreAllPatches(this.scorer, c.image, grid);
      const r = this.game.begin(c, grid, encoder, scores, first);
      this.#agents = [...PATCH_AGENTS];
      return r;
    } catch (e) {
      this.#rng.setState(saved);
      throw e;
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Plays the mover's action (see `infos[agent].to_move`); the idle player's is ignored.
   * @throws {EnvStateError} before reset, after the end, or after close
   * @throws {InvalidArgumentError} for a missing/out-of-range action or an unknown key
   */
  step(actions: Partial<PatchPerAgent<number>>): Promise<PatchStep> {
    try {
      this.#checkOpen("step");
      const r = this.game.play(actions);
      if (this.game.done) this.#agents = [];
      return Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The union of picked patches (voxel mask, z,y,x). */
  segmentation(): Uint8Array {
    this.#checkReset();
    return this.game.segmentation();
  }

  /** Score-weighted map of picked patches (voxels, z,y,x). */
  scoreMap(): Float32Array {
    this.#checkReset();
    return this.game.scoreMap();
  }

  /** Renders: text, or an RGBA frame (image | taken patches by player | score map). */
  render(): string | RgbaFrame {
    return this.renderMode === "ansi" ? renderPatchAnsi(this.game) : renderPatchRgb(this.game);
  }

  /** Ends the env for good. */
  close(): void {
    this.#agents = [];
    this.#closed = true;
  }

  #checkReset(): void {
    if (!this.game.case) throw new EnvStateError("segmentation", "read before reset", "reset() first");
  }

  #checkOpen(method: string): void {
    if (this.#closed) throw new EnvStateError(method, "called after close()", "a new env");
    if (this.#busy) throw new EnvStateError(method, "called while reset is in flight", "await reset()");
  }

  #drawCase(): Case {
    if (!this.#cases.length) {
      throw new InvalidArgumentError(
        "reset",
        "no case given and the env has no cases",
        "options.case or cases",
      );
    }
    return this.#cases[this.#rng.int(this.#cases.length)];
  }

  #checkAgent(agent: PatchAgentId): void {
    if (agent !== "a" && agent !== "b") {
      throw new InvalidArgumentError("agent", `is '${agent}'`, "'a' or 'b'");
    }
  }
}
