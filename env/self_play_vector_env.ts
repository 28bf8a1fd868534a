/**
 * `SelfPlayVectorEnv`: the single-agent view of a {@link VectorEnv} for learners that train one
 * side: N games in lockstep, the other side of every game played by one opponent {@link Agent}
 * (one batched `act` call per step), still ONE batched scorer call per step.
 *
 * Autoreset is the VectorEnv's NEXT_STEP (`metadata.autoresetMode`): the step that ends game i
 * returns its final observation and flag; the next step ignores game i's actions, resets it, and
 * returns its reset observation with reward 0 and `autoreset[i] = 1`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import type { Agent } from "./agent.ts";
import { EnvStateError } from "./errors.ts";
import type { AgentId, AgentInfo } from "./game.ts";
import type { Box, Discrete } from "./spaces.ts";
import { MultiDiscrete, Tuple } from "./spaces_multi.ts";
import { VectorEnv, type VectorEnvOptions, type VectorResetArgs } from "./vector_env.ts";

/** Options of {@link SelfPlayVectorEnv}. */
export interface SelfPlayVectorEnvOptions extends VectorEnvOptions {
  /** The side the learner plays in every game (default `"a"`). */
  readonly learner?: AgentId;
  /** The other side of every game; replace it between updates with `setOpponent`. */
  readonly opponent: Agent;
}

/** The learner's side of a vector reset. */
export interface SelfPlayVectorReset {
  /** One observation per game (z,y,x,c float32, the single observation space). */
  readonly observations: Float32Array[];
  /** One info per game. */
  readonly infos: AgentInfo[];
}

/** The learner's side of a vector step. */
export interface SelfPlayVectorStep extends SelfPlayVectorReset {
  /** One reward per game (0 where the game was autoreset). */
  readonly rewards: Float32Array;
  /** 1 where the game terminated at this step. */
  readonly terminations: Uint8Array;
  /** 1 where the game was truncated at this step. */
  readonly truncations: Uint8Array;
  /** 1 where the game was reset at this step (its action was ignored). */
  readonly autoreset: Uint8Array;
}

/** N self-play games in lockstep, seen from the learner's side. */
export class SelfPlayVectorEnv {
  /** The two-agent vector env underneath. */
  readonly vec: VectorEnv;
  /** The learner's side. */
  readonly learner: AgentId;
  /** The opponent's side. */
  readonly opponentSide: AgentId;
  /** Number of games. */
  readonly numEnvs: number;
  /** Autoreset semantics (Gymnasium's `metadata["autoreset_mode"]`). */
  readonly metadata: { readonly autoresetMode: "next_step"; readonly name: string } = {
    autoresetMode: "next_step",
    name: "spars-self-play-vector-v0",
  };
  /** Batched observation space: a Tuple of `numEnvs` single observation spaces (one array per game). */
  readonly observationSpace: Tuple<Float32Array[]>;
  /** Batched action space: MultiDiscrete of `numEnvs` x 6 (one Int32Array of moves). */
  readonly actionSpace: MultiDiscrete;
  #opponent: Agent;
  #opponentObservations?: Float32Array[];
  /** Opponent moves of the current state, kept when a step fails so that a retry replays them. */
  #opponentActions?: Int32Array;

  /**
   * Creates the instance.
   * @throws {InvalidArgumentError} for a bad learner or opponent, and as {@link VectorEnv}
   */
  constructor(options: SelfPlayVectorEnvOptions) {
    const { learner, opponent, ...rest } = options;
    this.learner = learner ?? "a";
    if (this.learner !== "a" && this.learner !== "b") {
      throw new InvalidArgumentError("learner", `is '${learner}'`, "'a' or 'b'");
    }
    if (typeof opponent?.act !== "function") {
      throw new InvalidArgumentError(
        "opponent",
        "is not an Agent",
        "an object with act(observations, contexts)",
      );
    }
    this.opponentSide = this.learner === "a" ? "b" : "a";
    this.#opponent = opponent;
    this.vec = new VectorEnv(rest);
    this.numEnvs = this.vec.numEnvs;
    this.observationSpace = new Tuple<Float32Array[]>(
      Array.from({ length: this.numEnvs }, () => this.vec.singleObservationSpace),
    );
    this.actionSpace = new MultiDiscrete(new Array(this.numEnvs).fill(this.vec.singleActionSpace.n));
  }

  /** Observation space of one game. */
  get singleObservationSpace(): Box {
    return this.vec.singleObservationSpace;
  }

  /** Action space of one game: Discrete(6). */
  get singleActionSpace(): Discrete {
    return this.vec.singleActionSpace;
  }

  /** Replaces the opponent (takes effect at the next step). */
  setOpponent(opponent: Agent): void {
    this.#opponent = opponent;
    this.#opponentActions = undefined;
  }

  /** Resets every game (seeding as {@link VectorEnv.reset}). */
  async reset(args: VectorResetArgs = {}): Promise<SelfPlayVectorReset> {
    const r = await this.vec.reset(args);
    this.#opponentActions = undefined;
    this.#opponentObservations = r.observations[this.opponentSide];
    return { observations: r.observations[this.learner], infos: r.infos[this.learner] };
  }

  /**
   * The learner plays `actions[i]` in game i; the opponent acts on its own observations; all
   * windows are scored in one call. When it throws nothing changes and the opponent's moves are
   * kept, so a retry gives the result the failed step would have given.
   * @throws {InvalidArgumentError} for actions of the wrong length or invalid moves, or bad opponent output
   * @throws {EnvStateError} before reset or after close (from the vector env)
   */
  async step(actions: Int32Array): Promise<SelfPlayVectorStep> {
    if (!(actions instanceof Int32Array) || actions.length !== this.numEnvs) {
      throw new InvalidArgumentError(
        "actions",
        "is not an Int32Array of numEnvs moves",
        `${this.numEnvs} moves`,
      );
    }
    if (this.vec.closed) {
      throw new EnvStateError("step", "called after close()", "a new env: close() is final");
    }
    if (!this.#opponentObservations) throw new EnvStateError("step", "called before reset", "reset() first");
    let theirs = this.#opponentActions;
    if (!theirs) {
      const chosen = await this.#opponent.act(
        this.#opponentObservations!,
        this.vec.contexts(this.opponentSide),
      );
      if (!(chosen instanceof Int32Array) || chosen.length !== this.numEnvs) {
        throw new InvalidArgumentError(
          `opponent ${this.#opponent.name}`,
          "returned no Int32Array of numEnvs moves",
          `${this.numEnvs} moves`,
        );
      }
      theirs = this.#opponentActions = chosen;
    }
    const r = await this.vec.step(
      this.learner === "a" ? { a: actions, b: theirs } : { a: theirs, b: actions },
    );
    this.#opponentActions = undefined;
    this.#opponentObservations = r.observations[this.opponentSide];
    const me = this.learner;
    return {
      observations: r.observations[me],
      infos: r.infos[me],
      rewards: r.rewards[me],
      terminations: r.terminations[me],
      truncations: r.truncations[me],
      autoreset: r.autoreset,
    };
  }

  /** Ends the env for good: `reset` and `step` then throw `EnvStateError`. */
  close(): void {
    this.vec.close();
  }
}
