/**
 * N self-play games in one env: the server's {@link VectorEnv} with side `a` played by the client
 * and side `b` by the server's opponent, one batched scorer call per step, NEXT_STEP autoreset.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { deriveSeed } from "../data/random.ts";
import type { Agent } from "../env/agent.ts";
import { EnvStateError } from "../env/errors.ts";
import type { AgentInfo } from "../env/game.ts";
import { VectorEnv, type VectorEnvOptions } from "../env/vector_env.ts";
import { makeOpponent } from "./catalog.ts";
import type { OutArray } from "./protocol.ts";
import { boxReply, discreteJson, type Reply, type ServedEnv } from "./served_env.ts";

/** Info columns: one value (or corner) per game. */
function infoColumns(infos: readonly AgentInfo[]): Record<string, unknown[]> {
  return {
    score: infos.map((i) => i.score),
    opponentScore: infos.map((i) => i.opponentScore),
    corner: infos.map((i) => i.corner),
    step: infos.map((i) => i.step),
    caseId: infos.map((i) => i.caseId),
  };
}

/** N observations as one [N, ...shape] array (written one after the other, no copy here). */
function stack(observations: readonly Float32Array[], shape: readonly number[]): OutArray {
  return { data: observations, shape: [observations.length, ...shape] };
}

/** A vector of self-play games. */
export class ServedVector implements ServedEnv {
  readonly #env: VectorEnv;
  readonly #opponentKind: "random" | "greedy";
  #opponent: Agent;
  #opponentObs: Float32Array[] = [];

  /**
   * Creates the instance.
   * @param options the vector env's options
   * @param opponent the opponent kind
   */
  constructor(options: VectorEnvOptions, opponent: "random" | "greedy") {
    this.#env = new VectorEnv(options);
    this.#opponentKind = opponent;
    this.#opponent = makeOpponent(opponent, 1);
  }

  /** See {@link ServedEnv.spaces}. */
  spaces(): Reply {
    const obs = boxReply("observation", this.#env.singleObservationSpace);
    return {
      header: {
        observationSpace: obs.json,
        actionSpace: discreteJson(this.#env.singleActionSpace),
        numEnvs: this.#env.numEnvs,
        autoresetMode: this.#env.metadata.autoresetMode,
        config: this.#env.config,
      },
      arrays: obs.arrays,
    };
  }

  /** See {@link ServedEnv.reset}. */
  async reset(seed: number | number[] | undefined): Promise<Reply> {
    if (typeof seed === "number") this.#opponent = makeOpponent(this.#opponentKind, deriveSeed(seed, 1));
    if (Array.isArray(seed)) this.#opponent = makeOpponent(this.#opponentKind, deriveSeed(seed[0] ?? 0, 1));
    const r = await this.#env.reset({ seed });
    this.#opponentObs = r.observations.b;
    return {
      header: { infos: infoColumns(r.infos.a) },
      arrays: { obs: stack(r.observations.a, this.#env.singleObservationSpace.shape) },
    };
  }

  /** See {@link ServedEnv.step}: `actions` is an int32 payload array of N moves, or a JSON list. */
  async step(
    json: Record<string, unknown>,
    arrays: Readonly<Record<string, ArrayLike<number>>>,
  ): Promise<Reply> {
    const given = arrays.actions ?? json.actions;
    if (!Array.isArray(given) && !(given instanceof Int32Array)) {
      throw new InvalidArgumentError(
        "actions",
        `is ${JSON.stringify(given) ?? typeof given}`,
        `${this.#env.numEnvs} moves 0..5 (an int32 payload array 'actions' or a JSON list)`,
      );
    }
    const a = Int32Array.from(given as ArrayLike<number>);
    if (a.length !== this.#env.numEnvs || !Array.from(given as ArrayLike<number>).every(Number.isInteger)) {
      throw new InvalidArgumentError(
        "actions",
        `holds ${a.length} values`,
        `${this.#env.numEnvs} integer moves 0..5`,
      );
    }
    if (!this.#opponentObs.length) throw new EnvStateError("step", "called before reset", "reset() first");
    const b = await this.#opponent.act(this.#opponentObs, this.#env.contexts("b"));
    const r = await this.#env.step({ a, b });
    this.#opponentObs = r.observations.b;
    return {
      header: { infos: infoColumns(r.infos.a) },
      arrays: {
        obs: stack(r.observations.a, this.#env.singleObservationSpace.shape),
        rewards: { data: r.rewards.a, shape: [a.length] },
        terminations: { data: r.terminations.a, shape: [a.length] },
        truncations: { data: r.truncations.a, shape: [a.length] },
        autoreset: { data: r.autoreset, shape: [a.length] },
      },
    };
  }

  /** Vector envs are not rendered. */
  render(): Reply {
    throw new InvalidArgumentError("render", "asked of a vector env", "a single or parallel env");
  }

  /** See {@link ServedEnv.close}. */
  close(): void {
    this.#env.close();
  }
}
