/**
 * The patch game and the pixel game as the server drives them (single-agent Gymnasium view only),
 * made through the registry's tasks (`tasks/game_tasks.ts`):
 * - `SparsGym/Patch-Oracle-v0`: a {@link PatchSelfPlayEnv}; observation `[z, y, x, 2]` float32,
 *   action `Discrete(patches + 1)` (the last one terminates); `info.action_mask` travels as the
 *   uint8 payload array `action_mask` (the client puts it back into `info`);
 * - `SparsGym/Pixel-Phantom-v0`: a {@link PixelSegEnv}; observation `[y, x, 2]` float32 in [0, 1],
 *   action an int32 `[y, x]` map of per-pixel action indices, sent as the payload array `action`;
 *   the step's per-pixel rewards come back as the float32 payload array `reward_map` `[y, x]`.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { deriveSeed } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import { make } from "../env/registry.ts";
import type { RgbaFrame } from "../env/png.ts";
import { RandomPatchAgent } from "../env/patch/agents.ts";
import type { PatchInfo } from "../env/patch/game.ts";
import type { PatchSelfPlayEnv } from "../env/patch/self_play.ts";
import type { PixelInfo, PixelSegEnv } from "../env/pixel/pixel_env.ts";
import { renderPixelEnv } from "../env/pixel/pixel_render.ts";
import {
  PATCH_TASK_ID,
  PATCH_TASK_OPTIONS,
  type PatchTaskOptions,
  PIXEL_TASK_ID,
  PIXEL_TASK_OPTIONS,
  type PixelTaskOptions,
} from "../tasks/game_tasks.ts";
import type { OutArray } from "./protocol.ts";
import { boxReply, discreteJson, type Reply, rgbArray, type ServedEnv } from "./served_env.ts";

/** The game ids served besides the SPARS ones. */
export const GAME_ENV_IDS: readonly string[] = [PATCH_TASK_ID, PIXEL_TASK_ID];

/** Options a client may set per game id (`phantoms` becomes the task's `data`). */
const GAME_OPTION_KEYS: Readonly<Record<string, readonly string[]>> = {
  [PATCH_TASK_ID]: [
    ...["phantoms", "split", "opponent", "grid", "observationShape", "intensityRange"],
    ...["presenceThreshold", "terminationWeight", "earlyTerminationPenalty", "illegalPenalty"],
    ...["reward", "ties", "first", "maxSteps"],
  ],
  [PIXEL_TASK_ID]: ["phantoms", "split", "tMax", "initialMask", "actions"],
};

function phantoms(value: unknown, defaults: { count: number; seed: number; shape: Vec3 }) {
  if (value === undefined || value === null) return defaults;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError("options.phantoms", `is ${JSON.stringify(value)}`, "an object");
  }
  const p = { ...defaults, ...(value as Record<string, unknown>) } as {
    count: unknown;
    seed: unknown;
    shape: unknown;
  };
  if (!(Number.isInteger(p.count) && (p.count as number) >= 1 && (p.count as number) <= 256)) {
    throw new InvalidArgumentError(
      "options.phantoms.count",
      `is ${JSON.stringify(p.count)}`,
      "an integer in 1..256",
    );
  }
  if (!(Number.isInteger(p.seed) && (p.seed as number) >= 0)) {
    throw new InvalidArgumentError(
      "options.phantoms.seed",
      `is ${JSON.stringify(p.seed)}`,
      "an integer >= 0",
    );
  }
  const s = p.shape as number[];
  if (!(Array.isArray(s) && s.length === 3 && s.every((d) => Number.isInteger(d) && d >= 1))) {
    throw new InvalidArgumentError(
      "options.phantoms.shape",
      `is ${JSON.stringify(s)}`,
      "3 positive integers",
    );
  }
  if (s[0] * s[1] * s[2] > 2 ** 22) {
    throw new InvalidArgumentError("options.phantoms.shape", `is ${s.join("x")}`, "at most 2^22 voxels");
  }
  return { count: p.count as number, seed: p.seed as number, shape: s as unknown as Vec3 };
}

/**
 * Makes the served env of a game id from a `make` message's kind and options.
 * @throws {InvalidArgumentError} for a kind other than `single`, an unknown option, or a bad value
 */
export async function makeGameEnv(env: string, kind: unknown, options: unknown): Promise<ServedEnv> {
  if ((kind ?? "single") !== "single") {
    throw new InvalidArgumentError(
      "kind",
      `is ${JSON.stringify(kind)} for ${env}`,
      "'single' (games other than SPARS)",
    );
  }
  const o = (options ?? {}) as Record<string, unknown>;
  if (typeof o !== "object" || Array.isArray(o)) {
    throw new InvalidArgumentError("options", `is ${JSON.stringify(options)}`, "an object");
  }
  const allowed = GAME_OPTION_KEYS[env];
  for (const key of Object.keys(o)) {
    if (!allowed.includes(key)) {
      throw new InvalidArgumentError(`options.${key}`, "is not an option", `one of ${allowed.join(", ")}`);
    }
  }
  const { phantoms: p, ...rest } = o;
  if (env === PATCH_TASK_ID) {
    if (rest.opponent !== undefined && rest.opponent !== "random" && rest.opponent !== "greedy") {
      throw new InvalidArgumentError(
        "options.opponent",
        `is ${JSON.stringify(rest.opponent)}`,
        "'random' or 'greedy'",
      );
    }
    const made = await make<PatchSelfPlayEnv, PatchTaskOptions>(PATCH_TASK_ID, {
      ...rest,
      data: phantoms(p, PATCH_TASK_OPTIONS.data),
      renderMode: "rgb_array",
    } as Partial<PatchTaskOptions>);
    return new ServedPatch(made, (rest.opponent ?? "random") === "random");
  }
  const made = await make<PixelSegEnv, PixelTaskOptions>(PIXEL_TASK_ID, {
    ...rest,
    data: phantoms(p, PIXEL_TASK_OPTIONS.data),
  } as Partial<PixelTaskOptions>);
  return new ServedPixel(made);
}

/** A patch info as JSON (without its mask) and the mask as a payload array. */
function patchInfo(info: PatchInfo): { info: Record<string, unknown>; mask: OutArray } {
  const { action_mask, ...rest } = info;
  return { info: rest, mask: { data: action_mask, shape: [action_mask.length] } };
}

/** The patch game's single-agent view. */
export class ServedPatch implements ServedEnv {
  readonly #env: PatchSelfPlayEnv;
  readonly #reseedOpponent: boolean;

  /**
   * Creates the instance.
   * @param env the self-play env (made by the task)
   * @param reseedOpponent true when the opponent is the random agent, reseeded by each seeded reset
   */
  constructor(env: PatchSelfPlayEnv, reseedOpponent: boolean) {
    this.#env = env;
    this.#reseedOpponent = reseedOpponent;
  }

  /** See {@link ServedEnv.spaces}. */
  spaces(): Reply {
    const obs = boxReply("observation", this.#env.observationSpace);
    const config = this.#env.env.config;
    return {
      header: {
        observationSpace: obs.json,
        actionSpace: discreteJson(this.#env.actionSpace),
        numEnvs: 1,
        config: { ...config, reward: typeof config.reward === "string" ? config.reward : "custom" },
      },
      arrays: obs.arrays,
    };
  }

  /** See {@link ServedEnv.reset}. */
  async reset(seed: number | number[] | undefined): Promise<Reply> {
    if (Array.isArray(seed)) throw new InvalidArgumentError("seed", "is a list", "one seed or null");
    if (seed !== undefined && this.#reseedOpponent) {
      this.#env.setOpponent(new RandomPatchAgent(deriveSeed(seed, 1)));
    }
    const r = await this.#env.reset({ seed });
    const { info, mask } = patchInfo(r.info);
    return { header: { info }, arrays: { obs: this.#obs(r.observation), action_mask: mask } };
  }

  /** See {@link ServedEnv.step}. */
  async step(json: Record<string, unknown>): Promise<Reply> {
    const r = await this.#env.step(json.action as number);
    const { info, mask } = patchInfo(r.info);
    return {
      header: { reward: r.reward, terminated: r.terminated, truncated: r.truncated, info },
      arrays: { obs: this.#obs(r.observation), action_mask: mask },
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

  #obs(data: Float32Array): OutArray {
    return { data, shape: this.#env.observationSpace.shape };
  }
}

/** The pixel game (one env whose action is a map of per-pixel actions). */
export class ServedPixel implements ServedEnv {
  readonly #env: PixelSegEnv;

  /**
   * Creates the instance.
   * @param env the pixel env (made by the task)
   */
  constructor(env: PixelSegEnv) {
    this.#env = env;
  }

  /** See {@link ServedEnv.spaces}. */
  spaces(): Reply {
    const obs = boxReply("observation", this.#env.observationSpace);
    const act = boxReply("action", this.#env.actionSpace);
    return {
      header: {
        observationSpace: obs.json,
        actionSpace: act.json,
        numEnvs: 1,
        config: {
          tMax: this.#env.tMax,
          shape: this.#env.shape,
          actions: this.#env.actions.map((a) => a.name),
        },
      },
      arrays: { ...obs.arrays, ...act.arrays },
    };
  }

  /** See {@link ServedEnv.reset}. */
  reset(seed: number | number[] | undefined): Promise<Reply> {
    if (Array.isArray(seed)) throw new InvalidArgumentError("seed", "is a list", "one seed or null");
    const r = this.#env.reset({ seed });
    return Promise.resolve({
      header: { info: pixelInfo(r.info) },
      arrays: { obs: this.#obs(r.observation) },
    });
  }

  /**
   * See {@link ServedEnv.step}: the action map is the payload array `action` (any integer dtype,
   * `y * x` values, x fastest).
   * @throws {InvalidArgumentError} when `action` is missing, has the wrong length or non-integers
   */
  step(json: Record<string, unknown>, arrays: Readonly<Record<string, ArrayLike<number>>>): Promise<Reply> {
    const [h, w] = this.#env.shape;
    const given = arrays.action ??
      (Array.isArray(json.action) ? (json.action as unknown[]).flat(2) as number[] : undefined);
    if (!given || given.length !== h * w) {
      throw new InvalidArgumentError(
        "action",
        `has ${given?.length ?? "no"} values`,
        `an int32 array [${h}, ${w}]`,
      );
    }
    const actions = new Int32Array(h * w);
    for (let i = 0; i < actions.length; i++) {
      const v = Number(given[i]);
      if (!Number.isInteger(v)) {
        throw new InvalidArgumentError(`action[${i}]`, `is ${given[i]}`, "an integer");
      }
      actions[i] = v;
    }
    const r = this.#env.step(actions);
    return Promise.resolve({
      header: { reward: r.reward, terminated: r.terminated, truncated: r.truncated, info: pixelInfo(r.info) },
      arrays: { obs: this.#obs(r.observation), reward_map: { data: r.rewardMap, shape: [h, w] } },
    });
  }

  /** See {@link ServedEnv.render}. */
  render(): Reply {
    return { header: {}, arrays: { rgb: rgbArray(renderPixelEnv(this.#env)) } };
  }

  /** See {@link ServedEnv.close}. */
  close(): void {
    this.#env.close();
  }

  #obs(data: Float32Array): OutArray {
    return { data, shape: this.#env.observationSpace.shape };
  }
}

function pixelInfo(info: PixelInfo): Record<string, unknown> {
  return { ...info };
}
