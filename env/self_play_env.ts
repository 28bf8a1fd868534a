/**
 * `SelfPlayEnv`: the single-agent Gymnasium 1.x view of the game for training one side. The other
 * side is played by an opponent (an {@link Agent}, e.g. a frozen policy drawn from a pool, or a
 * plain function) that sees its own observation.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { EnvStateError } from "./errors.ts";
import type { Agent, AgentContext } from "./agent.ts";
import { type AgentId, type AgentInfo, checkAction } from "./game.ts";
import type { Rendered } from "./render.ts";
import { type ResetArgs, SparsEnv, type SparsEnvOptions } from "./spars_env.ts";
import type { Box, Discrete } from "./spaces.ts";

/** An opponent given as a function of its observation and context; returns an action in 0..5. */
export type OpponentFunction = (observation: Float32Array, context: AgentContext) => number | Promise<number>;

/** Options of {@link SelfPlayEnv}. */
export interface SelfPlayEnvOptions extends SparsEnvOptions {
  /** The side the learner plays (default `"a"`). */
  readonly learner?: AgentId;
  /** The other side. Replace it between episodes with {@link SelfPlayEnv.setOpponent}. */
  readonly opponent: Agent | OpponentFunction;
}

/** Gymnasium-style result of a reset. */
export interface SingleReset {
  /** The learner's observation. */
  readonly observation: Float32Array;
  /** The learner's info. */
  readonly info: AgentInfo;
}

/** Gymnasium-style result of a step. */
export interface SingleStep extends SingleReset {
  /** The learner's reward. */
  readonly reward: number;
  /** A window reached tau. */
  readonly terminated: boolean;
  /** The step limit was hit. */
  readonly truncated: boolean;
}

/** One side of a {@link SparsEnv}; the opponent acts inside `step`. */
export class SelfPlayEnv {
  /** The two-agent env underneath. */
  readonly env: SparsEnv;
  /** The learner's side. */
  readonly learner: AgentId;
  /** The opponent's side. */
  readonly opponentSide: AgentId;
  #opponent: Agent | OpponentFunction;
  #opponentObservation?: Float32Array;
  #opponentInfo?: AgentInfo;
  /** The opponent's move in the current state, kept when a step fails so that a retry replays it. */
  #opponentAction?: number;

  /** Creates the instance; see the class documentation for the arguments. */
  constructor(options: SelfPlayEnvOptions) {
    const { learner, opponent, ...rest } = options;
    this.learner = learner ?? "a";
    if (this.learner !== "a" && this.learner !== "b") {
      throw new InvalidArgumentError("learner", `is '${learner}'`, "'a' or 'b'");
    }
    this.opponentSide = this.learner === "a" ? "b" : "a";
    this.#opponent = opponent;
    this.env = new SparsEnv(rest);
  }

  /** The learner's observation space. */
  get observationSpace(): Box {
    return this.env.observationSpace(this.learner);
  }

  /** The learner's action space, Discrete(6). */
  get actionSpace(): Discrete {
    return this.env.actionSpace(this.learner);
  }

  /** Replaces the opponent (takes effect at the next step). */
  setOpponent(opponent: Agent | OpponentFunction): void {
    this.#opponent = opponent;
    this.#opponentAction = undefined;
  }

  /** Starts an episode. */
  async reset(args: ResetArgs = {}): Promise<SingleReset> {
    const r = await this.env.reset(args);
    this.#opponentAction = undefined;
    this.#remember(r.observations[this.opponentSide], r.infos[this.opponentSide]);
    return { observation: r.observations[this.learner], info: r.infos[this.learner] };
  }

  /**
   * The learner plays `action`; the opponent plays its own move; both windows are scored. When the
   * step fails (a bad action, a scorer error) nothing changes, and the opponent's move is kept, so a
   * retry gives the result the failed step would have given.
   * @throws {EnvStateError} before reset, after the episode ended, or after close
   * @throws {InvalidArgumentError} for a bad learner action, or a bad move returned by the opponent
   */
  async step(action: number): Promise<SingleStep> {
    const game = this.env.game;
    if (this.env.closed) {
      throw new EnvStateError("step", "called after close()", "a new env: close() is final");
    }
    checkAction("action", action);
    if (game.pending) {
      throw new EnvStateError("step", "called while a step is still being scored", "await the previous call");
    }
    if (!game.running) {
      throw new EnvStateError(
        "step",
        game.done ? "called after the episode ended" : "called before reset",
        "reset() first",
      );
    }
    const context: AgentContext = {
      volume: this.env.game.case!.image,
      geometry: this.env.game.geometry!,
      scorer: this.env.scorer,
      info: this.#opponentInfo!,
    };
    const o = this.#opponent;
    let opponentAction = this.#opponentAction;
    if (opponentAction === undefined) {
      const chosen = typeof o === "function"
        ? await o(this.#opponentObservation!, context)
        : (await o.act([this.#opponentObservation!], [context]))?.[0];
      checkAction(`opponent (side ${this.opponentSide})`, chosen);
      opponentAction = this.#opponentAction = chosen;
    }
    const actions = this.learner === "a"
      ? { a: action, b: opponentAction }
      : { a: opponentAction, b: action };
    const r = await this.env.step(actions);
    this.#opponentAction = undefined;
    this.#remember(r.observations[this.opponentSide], r.infos[this.opponentSide]);
    return {
      observation: r.observations[this.learner],
      reward: r.rewards[this.learner],
      terminated: r.terminations[this.learner],
      truncated: r.truncations[this.learner],
      info: r.infos[this.learner],
    };
  }

  /** Renders the two-agent state. */
  render(): Rendered {
    return this.env.render();
  }

  /** Closes the env for good: `reset` and `step` then throw {@link EnvStateError}. */
  close(): void {
    this.env.close();
  }

  #remember(observation: Float32Array, info: AgentInfo): void {
    this.#opponentObservation = observation;
    this.#opponentInfo = info;
  }
}
