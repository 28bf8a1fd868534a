/**
 * One SPARS episode as a synchronous state machine, split around scoring so that a caller can
 * batch the scorer: `beginReset`/`beginStep` return the corners to score, `finishReset`/`finishStep`
 * take the scores. `SparsEnv` drives one game; `VectorEnv` drives N games with ONE scorer call.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Rng } from "../data/random.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { SparsConfig } from "./config.ts";
import { EnvStateError } from "./errors.ts";
import { MOVE_COUNT, type StartRule, WindowGeometry } from "./geometry.ts";
import type { ObservationEncoder } from "./observation.ts";
import { ProbabilityMap } from "./probability_map.ts";
import { type RewardFunction, rewardFunction } from "./rewards.ts";

/** The two agents, in order. */
export const AGENTS: readonly ["a", "b"] = ["a", "b"];

/** An agent name. */
export type AgentId = "a" | "b";

/** A value per agent. */
export type PerAgent<T> = { a: T; b: T };

/** What `infos[agent]` holds after reset and every step. */
export interface AgentInfo {
  /** This agent's window score in [0, 1] (after its move). */
  readonly score: number;
  /** The opponent's window score. */
  readonly opponentScore: number;
  /** This agent's (clamped) corner z,y,x. */
  readonly corner: Vec3;
  /** The opponent's corner z,y,x. */
  readonly opponentCorner: Vec3;
  /** Steps taken in this episode (0 after reset). */
  readonly step: number;
  /** The case played. */
  readonly caseId: string;
  /** Scores added to the probability map so far (2 per step). */
  readonly mapEvents: number;
  /** Distinct windows in the map so far. */
  readonly mapWindows: number;
  /** Sum of all scores added to the map so far. */
  readonly mapScoreSum: number;
}

/** Result of a reset. */
export interface GameReset {
  /** Observation per agent; built on first read (then the same array), so unread observations cost nothing. */
  readonly observations: PerAgent<Float32Array>;
  /** Info per agent. */
  readonly infos: PerAgent<AgentInfo>;
}

/** Result of a step, PettingZoo style (five per-agent records). */
export interface GameStep extends GameReset {
  /** Reward per agent. */
  readonly rewards: PerAgent<number>;
  /** True when a window's score reached tau (the task ended). */
  readonly terminations: PerAgent<boolean>;
  /** True when the step limit was hit without termination. */
  readonly truncations: PerAgent<boolean>;
}

function packCorners([a, b]: readonly [Vec3, Vec3]): Int32Array {
  return Int32Array.of(a[0], a[1], a[2], b[0], b[1], b[2]);
}

function perAgentStart(start: SparsConfig["start"]): PerAgent<StartRule> {
  return typeof start === "string" || Array.isArray(start)
    ? { a: start as StartRule, b: start as StartRule }
    : start as PerAgent<StartRule>;
}

/**
 * Checks one action: an integer in 0..5.
 * @param source the argument named in the error, e.g. `actions.a` or `actions.b[3]`
 * @throws {InvalidArgumentError} otherwise
 */
export function checkAction(source: string, action: unknown): void {
  if (!(typeof action === "number" && Number.isInteger(action) && action >= 0 && action < MOVE_COUNT)) {
    throw new InvalidArgumentError(
      source,
      `is ${typeof action === "string" ? `the string "${action}"` : String(action)}`,
      `an integer action in 0..${MOVE_COUNT - 1} (one of the ${MOVE_COUNT} moves)`,
    );
  }
}

/**
 * Checks that a per-agent record has no key besides `a` and `b` (a third agent is a caller bug).
 * @throws {InvalidArgumentError} naming the extra key
 */
export function checkAgentKeys(actions: object, source = "actions"): void {
  for (const key in actions) {
    if (key !== "a" && key !== "b") {
      throw new InvalidArgumentError(
        `${source}.${key}`,
        "is not an agent of this game",
        "actions for exactly the agents 'a' and 'b' (remove the extra key)",
      );
    }
  }
}

/** A begun reset or step: what `finishReset`/`finishStep` commits and `cancel` drops. */
type Pending =
  | {
    readonly kind: "reset";
    readonly case: Case;
    readonly geometry: WindowGeometry;
    readonly corners: [Vec3, Vec3];
  }
  | { readonly kind: "step"; readonly corners: [Vec3, Vec3] };

/**
 * The state machine of one episode at a time. `beginReset`/`beginStep` change nothing but a pending
 * record; `finishReset`/`finishStep` commit it; `cancel` drops it (after a scorer failure), so the
 * game stays exactly as it was and the same reset or step can be retried.
 */
export class SparsGame {
  /** The game's options. */
  readonly config: SparsConfig;
  #reward: RewardFunction;
  #encoderFor: (c: Case) => ObservationEncoder;
  #case?: Case;
  #geometry?: WindowGeometry;
  #map?: ProbabilityMap;
  #encoder?: ObservationEncoder;
  #corners: [Vec3, Vec3] = [[0, 0, 0], [0, 0, 0]];
  #scores: [number, number] = [0, 0];
  #step = 0;
  #phase: "idle" | "ready" | "done" = "idle";
  #pending?: Pending;

  /**
   * Creates the instance; see the class documentation for the arguments.
   * @param encoderFor returns the observation encoder of a case (shared across games on one volume) */
  constructor(config: SparsConfig, encoderFor: (c: Case) => ObservationEncoder) {
    this.config = config;
    this.#reward = rewardFunction(config.reward, { ties: config.ties, shapingWeight: config.shapingWeight });
    this.#encoderFor = encoderFor;
  }

  /** The case being played (undefined before the first reset). */
  get case(): Case | undefined {
    return this.#case;
  }
  /** Steps taken in this episode. */
  get step(): number {
    return this.#step;
  }
  /** True once the episode terminated or was truncated. */
  get done(): boolean {
    return this.#phase === "done";
  }
  /** True between a reset and the end of the episode. */
  get running(): boolean {
    return this.#phase === "ready";
  }
  /** Current corners of a and b. */
  get corners(): readonly [Vec3, Vec3] {
    return this.#corners;
  }
  /** Current scores of a and b. */
  get scores(): readonly [number, number] {
    return this.#scores;
  }
  /** Window geometry of the current case. */
  get geometry(): WindowGeometry | undefined {
    return this.#geometry;
  }
  /** The probability map of the current episode. */
  get map(): ProbabilityMap | undefined {
    return this.#map;
  }

  /** True while a reset or step is begun and neither finished nor cancelled. */
  get pending(): boolean {
    return this.#pending !== undefined;
  }

  /**
   * Begins an episode on `c` (replacing any pending reset or step); returns the two start corners
   * to score (packed z,y,x). Nothing but the pending record changes until {@link finishReset}.
   */
  beginReset(c: Case, rng: Rng): Int32Array {
    const g = new WindowGeometry(c.image.shape, this.config.window, this.config.stride);
    const rules = perAgentStart(this.config.start);
    const corners: [Vec3, Vec3] = [g.start(rules.a, rng), g.start(rules.b, rng)];
    this.#pending = { kind: "reset", case: c, geometry: g, corners };
    return packCorners(corners);
  }

  /** Completes a reset with the start windows' scores `[a, b]`. */
  finishReset(scores: ArrayLike<number>): GameReset {
    const p = this.#pending;
    if (p?.kind !== "reset") {
      throw new EnvStateError("SparsGame", "finishReset without beginReset", "beginReset first");
    }
    this.#pending = undefined;
    if (this.#case?.image !== p.case.image || !this.#map) {
      this.#map = new ProbabilityMap(
        p.case.image.shape,
        this.config.window,
        this.config.mapMode,
        this.config.maskThreshold,
      );
      this.#encoder = this.#encoderFor(p.case);
    } else this.#map.reset();
    this.#case = p.case;
    this.#geometry = p.geometry;
    this.#corners = p.corners;
    this.#step = 0;
    this.#scores = [scores[0], scores[1]];
    this.#phase = "ready";
    return { observations: this.#observe(), infos: this.#infos() };
  }

  /** Drops a begun reset or step (e.g. its scoring failed): the game is as before it began. */
  cancel(): void {
    this.#pending = undefined;
  }

  /**
   * Begins a step: checks both actions and returns the two new corners to score. Nothing but the
   * pending record changes until {@link finishStep}.
   * @throws {EnvStateError} before reset, after the episode ended, or while a step is pending
   * @throws {InvalidArgumentError} for an action outside 0..5
   */
  beginStep(actions: PerAgent<number>): Int32Array {
    if (this.#phase === "done") {
      throw new EnvStateError("step", "called after the episode ended", "reset() first");
    }
    if (this.#phase !== "ready") throw new EnvStateError("step", "called before reset", "reset() first");
    if (this.#pending) {
      throw new EnvStateError(
        "step",
        `called while a ${this.#pending.kind} is still being scored`,
        "await the previous call before stepping again",
      );
    }
    if (typeof actions !== "object" || actions === null) {
      throw new InvalidArgumentError("actions", `is ${String(actions)}`, "an object { a, b } of actions");
    }
    checkAgentKeys(actions);
    checkAction("actions.a", actions.a);
    checkAction("actions.b", actions.b);
    const g = this.#geometry!;
    const corners: [Vec3, Vec3] = [g.move(this.#corners[0], actions.a), g.move(this.#corners[1], actions.b)];
    this.#pending = { kind: "step", corners };
    return packCorners(corners);
  }

  /** Completes a step with the new windows' scores `[a, b]`. */
  finishStep(scores: ArrayLike<number>): GameStep {
    const p = this.#pending;
    if (p?.kind !== "step") {
      throw new EnvStateError("SparsGame", "finishStep without beginStep", "beginStep first");
    }
    this.#pending = undefined;
    this.#corners = p.corners;
    const [sa, sb] = [scores[0], scores[1]];
    this.#scores = [sa, sb];
    this.#step++;
    const map = this.#map!;
    const newA = map.visits(this.#corners[0]) === 0, newB = map.visits(this.#corners[1]) === 0;
    // Each agent's OWN score goes into its OWN window.
    map.add(this.#corners[0], sa);
    map.add(this.#corners[1], sb);
    const [ra, rb] = this.#reward({
      scoreA: sa,
      scoreB: sb,
      cornerA: this.#corners[0],
      cornerB: this.#corners[1],
      step: this.#step,
      newA,
      newB,
    });
    const { tau, terminationBonus } = this.config;
    const terminated = this.config.termination === "tau" && (sa >= tau || sb >= tau);
    const truncated = !terminated && this.#step >= this.config.maxSteps;
    this.#phase = terminated || truncated ? "done" : "ready";
    return {
      observations: this.#observe(),
      rewards: {
        a: ra + (terminated && sa >= tau ? terminationBonus : 0),
        b: rb + (terminated && sb >= tau ? terminationBonus : 0),
      },
      terminations: { a: terminated, b: terminated },
      truncations: { a: truncated, b: truncated },
      infos: this.#infos(),
    };
  }

  // Observations that depend only on the corner are built on first read (most of a step's cost is
  // copying them; agents that ignore them, like the baselines, never pay). The map channel depends
  // on the current map, so that mode is built at once.
  #observe(): PerAgent<Float32Array> {
    const e = this.#encoder!, m = this.#map!, step = this.#step;
    const [ca, cb] = this.#corners;
    if (e.mode === "window+map") return { a: e.encode(ca, m, step), b: e.encode(cb, m, step) };
    let a: Float32Array | undefined, b: Float32Array | undefined;
    return {
      get a(): Float32Array {
        return a ??= e.encode(ca);
      },
      get b(): Float32Array {
        return b ??= e.encode(cb);
      },
    };
  }

  #infos(): PerAgent<AgentInfo> {
    const m = this.#map!;
    const common = {
      step: this.#step,
      caseId: this.#case!.id,
      mapEvents: m.events,
      mapWindows: m.uniqueWindows,
      mapScoreSum: m.scoreSum,
    };
    const [ca, cb] = this.#corners, [sa, sb] = this.#scores;
    return {
      a: { score: sa, opponentScore: sb, corner: ca, opponentCorner: cb, ...common },
      b: { score: sb, opponentScore: sa, corner: cb, opponentCorner: ca, ...common },
    };
  }
}
