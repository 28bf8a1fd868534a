/**
 * A session's env as the server drives it: the single-agent self-play view and the two-agent game,
 * each turning a decoded request into a reply header and payload arrays.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { deriveSeed } from "../data/random.ts";
import type { AgentInfo } from "../env/game.ts";
import type { RgbaFrame } from "../env/png.ts";
import { SelfPlayEnv } from "../env/self_play_env.ts";
import { SparsEnv, type SparsEnvOptions } from "../env/spars_env.ts";
import type { Box, BoxDtype, Discrete } from "../env/spaces.ts";
import { makeOpponent } from "./catalog.ts";
import type { OutArray } from "./protocol.ts";

/** A reply: JSON fields and payload arrays. */
export interface Reply {
  /** JSON fields of the reply header. */
  readonly header: Record<string, unknown>;
  /** Payload arrays by name. */
  readonly arrays?: Readonly<Record<string, OutArray>>;
}

/** What a session needs of an env. */
export interface ServedEnv {
  /** Spaces and metadata. */
  spaces(): Reply;
  /** Starts an episode (every game of a vector env); `seed` undefined continues the streams. */
  reset(seed: number | number[] | undefined): Promise<Reply>;
  /** One step with the request's actions (JSON `action`/`actions`, or payload arrays). */
  step(json: Record<string, unknown>, arrays: Readonly<Record<string, ArrayLike<number>>>): Promise<Reply>;
  /** An RGB frame HxWx3 uint8. */
  render(): Reply;
  /** Frees the env. */
  close(): void;
}

/** Describes a Box for the wire: shape, dtype, and bounds as float32 payload arrays (they hold +-inf). */
export function boxReply(
  name: string,
  box: Box<BoxDtype>,
): { json: Record<string, unknown>; arrays: Record<string, OutArray> } {
  return {
    json: { type: "Box", shape: box.shape, dtype: box.dtype, low: `${name}_low`, high: `${name}_high` },
    arrays: {
      [`${name}_low`]: { data: Float32Array.from(box.low), shape: box.shape },
      [`${name}_high`]: { data: Float32Array.from(box.high), shape: box.shape },
    },
  };
}

/** Describes a Discrete space for the wire. */
export function discreteJson(d: Discrete): Record<string, unknown> {
  return { type: "Discrete", n: d.n, start: d.start };
}

/** An RGBA frame as HxWx3 uint8 (alpha dropped). */
export function rgbArray(frame: RgbaFrame): OutArray {
  const { width, height, data } = frame;
  const out = new Uint8Array(width * height * 3);
  for (let p = 0, q = 0; p < out.length; p += 3, q += 4) {
    out[p] = data[q];
    out[p + 1] = data[q + 1];
    out[p + 2] = data[q + 2];
  }
  return { data: out, shape: [height, width, 3] };
}

/** Reads the single integer seed of a single or parallel env. */
function singleSeed(seed: number | number[] | undefined): number | undefined {
  if (Array.isArray(seed)) throw new InvalidArgumentError("seed", "is a list", "one seed or null");
  return seed;
}

/** Render options of every served env: the tumour label's contour, a liver HU window. */
const RENDER = { target: 2, intensityRange: [-200, 250] as [number, number] };

/** The Gymnasium view: the learner plays side `a`, the server's opponent side `b`. */
export class ServedSingle implements ServedEnv {
  readonly #env: SelfPlayEnv;
  readonly #opponent: "random" | "greedy";

  /**
   * Creates the instance.
   * @param options the env's options
   * @param opponent the opponent kind (seeded per seeded reset)
   */
  constructor(options: SparsEnvOptions, opponent: "random" | "greedy") {
    this.#opponent = opponent;
    this.#env = new SelfPlayEnv({
      ...options,
      renderMode: "rgb_array",
      render: RENDER,
      opponent: makeOpponent(opponent, 1),
    });
  }

  /** See {@link ServedEnv.spaces}. */
  spaces(): Reply {
    const obs = boxReply("observation", this.#env.observationSpace);
    return {
      header: {
        observationSpace: obs.json,
        actionSpace: discreteJson(this.#env.actionSpace),
        numEnvs: 1,
        config: this.#env.env.config,
      },
      arrays: obs.arrays,
    };
  }

  /** See {@link ServedEnv.reset}. */
  async reset(seed: number | number[] | undefined): Promise<Reply> {
    const s = singleSeed(seed);
    if (s !== undefined) this.#env.setOpponent(makeOpponent(this.#opponent, deriveSeed(s, 1)));
    const r = await this.#env.reset({ seed: s });
    return { header: { info: r.info }, arrays: { obs: obsArray(r.observation, this.#env.observationSpace) } };
  }

  /** See {@link ServedEnv.step}. */
  async step(json: Record<string, unknown>): Promise<Reply> {
    const r = await this.#env.step(json.action as number);
    return {
      header: { reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: r.info },
      arrays: { obs: obsArray(r.observation, this.#env.observationSpace) },
    };
  }

  /** See {@link ServedEnv.render}. */
  render(): Reply {
    return { header: {}, arrays: { rgb: rgbArray(this.#env.render() as RgbaFrame) } };
  }

  /** See {@link ServedEnv.close}. */
  close(): void {
    this.#env.close();
  }
}

function obsArray(data: Float32Array, space: Box): OutArray {
  return { data, shape: space.shape };
}

/** The two-agent game (PettingZoo Parallel API). */
export class ServedParallel implements ServedEnv {
  readonly #env: SparsEnv;

  /**
   * Creates the instance.
   * @param options the env's options
   */
  constructor(options: SparsEnvOptions) {
    this.#env = new SparsEnv({ ...options, renderMode: "rgb_array", render: RENDER });
  }

  /** See {@link ServedEnv.spaces}. */
  spaces(): Reply {
    const obs = boxReply("observation", this.#env.observationSpace("a"));
    return {
      header: {
        observationSpace: obs.json,
        actionSpace: discreteJson(this.#env.actionSpace("a")),
        possibleAgents: this.#env.possibleAgents,
        numEnvs: 1,
        config: this.#env.config,
      },
      arrays: obs.arrays,
    };
  }

  /** See {@link ServedEnv.reset}. */
  async reset(seed: number | number[] | undefined): Promise<Reply> {
    const r = await this.#env.reset({ seed: singleSeed(seed) });
    return { header: { infos: r.infos, agents: this.#env.agents }, arrays: this.#obs(r.observations) };
  }

  /** See {@link ServedEnv.step}. */
  async step(json: Record<string, unknown>): Promise<Reply> {
    const actions = json.actions;
    if (typeof actions !== "object" || actions === null || Array.isArray(actions)) {
      throw new InvalidArgumentError(
        "actions",
        `is ${JSON.stringify(actions)}`,
        "an object { a, b } of moves 0..5",
      );
    }
    const r = await this.#env.step(actions as { a: number; b: number });
    const infos: Record<string, AgentInfo> = r.infos;
    return {
      header: {
        rewards: r.rewards,
        terminations: r.terminations,
        truncations: r.truncations,
        infos,
        agents: this.#env.agents,
      },
      arrays: this.#obs(r.observations),
    };
  }

  /** See {@link ServedEnv.render}. */
  render(): Reply {
    return { header: {}, arrays: { rgb: rgbArray(this.#env.render() as RgbaFrame) } };
  }

  /** See {@link ServedEnv.close}. */
  close(): void {
    this.#env.close();
  }

  #obs(o: { a: Float32Array; b: Float32Array }): Record<string, OutArray> {
    const shape = this.#env.observationSpace("a").shape;
    return { obs_a: { data: o.a, shape }, obs_b: { data: o.b, shape } };
  }
}
