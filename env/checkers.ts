/**
 * Env checkers, ports of Gymnasium's `check_env` and PettingZoo's `parallel_api_test`: they play
 * seeded episodes and throw an {@link EnvCheckError} on the first broken contract (determinism under
 * a seed, observations inside their spaces, dict infos, flag types, agents never coming back, errors
 * on misuse).
 *
 * @module
 */
import { SparsGymError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import { EnvStateError } from "./errors.ts";
import type { Discrete, Space } from "./spaces.ts";

/** A broken env contract. */
export class EnvCheckError extends SparsGymError {}

/** What {@link checkEnv} needs: the Gymnasium single-agent surface. */
export interface GymEnvLike {
  /** The observation space. */
  readonly observationSpace: Space<Float32Array>;
  /** The action space. */
  readonly actionSpace: Discrete;
  /** Starts an episode. */
  reset(args?: { seed?: number }): Promise<{ observation: Float32Array; info: object }>;
  /** Plays one action. */
  step(
    action: number,
  ): Promise<
    { observation: Float32Array; reward: number; terminated: boolean; truncated: boolean; info: object }
  >;
}

/** What {@link checkParallelEnv} needs: the PettingZoo Parallel surface. */
export interface ParallelEnvLike<A extends string> {
  /** Every agent that may act. */
  readonly possibleAgents: readonly A[];
  /** Agents still acting. */
  readonly agents: A[];
  /** An agent's observation space. */
  observationSpace(agent: A): Space<Float32Array>;
  /** An agent's action space. */
  actionSpace(agent: A): Discrete;
  /** Starts an episode. */
  reset(
    args?: { seed?: number },
  ): Promise<{ observations: Record<A, Float32Array>; infos: Record<A, object> }>;
  /** Plays one action. */
  /** Plays one action per live agent. */
  step(actions: Record<A, number>): Promise<{
    observations: Record<A, Float32Array>;
    rewards: Record<A, number>;
    terminations: Record<A, boolean>;
    truncations: Record<A, boolean>;
    infos: Record<A, object>;
  }>;
}

/** Options of the checkers. */
export interface CheckOptions {
  /** Seed of the checked episodes (default 0). */
  readonly seed?: number;
  /** Steps per rollout before giving up waiting for the end (default 1000). */
  readonly maxSteps?: number;
}

function fail(what: string, expected: string): never {
  throw new EnvCheckError("env check", what, expected);
}

function isPlainObject(x: unknown): boolean {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

async function expectThrows(
  what: string,
  fn: () => Promise<unknown>,
  errorClass: abstract new (...a: never[]) => Error,
): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof errorClass) return;
    fail(`${what} threw ${(e as Error).name}: ${(e as Error).message}`, `a ${errorClass.name}`);
  }
  fail(`${what} did not throw`, `a ${errorClass.name}`);
}

/** A compact, comparable trace of a rollout. */
type Trace = string[];

function traceOf(obs: Float32Array, extra: unknown): string {
  let h = 0;
  for (let i = 0; i < obs.length; i++) h = (Math.imul(h, 31) + Math.round(obs[i] * 1e6)) | 0;
  return `${obs.length}:${h}:${JSON.stringify(extra)}`;
}

/**
 * Checks a single-agent env. `makeEnv` must build a fresh env each call (misuse is tested on one).
 * @throws {EnvCheckError} on the first failed check
 */
export async function checkEnv(makeEnv: () => GymEnvLike, options: CheckOptions = {}): Promise<void> {
  const seed = options.seed ?? 0, limit = options.maxSteps ?? 1000;
  await expectThrows("step before reset", () => makeEnv().step(0), EnvStateError);
  const rollout = async (): Promise<Trace> => {
    const env = makeEnv();
    const actions = new Rng(seed + 1);
    const { observation, info } = await env.reset({ seed });
    if (!env.observationSpace.contains(observation)) {
      fail("reset observation outside the observation space", "a member");
    }
    if (!isPlainObject(info)) fail("reset info is not a plain object", "a dict-like info");
    const trace: Trace = [traceOf(observation, info)];
    for (let t = 0; t < limit; t++) {
      const r = await env.step(actions.int(env.actionSpace.n));
      if (!env.observationSpace.contains(r.observation)) {
        fail(`step ${t} observation outside the observation space`, "a member");
      }
      if (typeof r.reward !== "number" || !Number.isFinite(r.reward)) {
        fail(`step ${t} reward ${r.reward}`, "a finite number");
      }
      if (typeof r.terminated !== "boolean" || typeof r.truncated !== "boolean") {
        fail(`step ${t} flags`, "booleans");
      }
      if (!isPlainObject(r.info)) fail(`step ${t} info`, "a plain object");
      trace.push(traceOf(r.observation, [r.reward, r.terminated, r.truncated, r.info]));
      if (r.terminated || r.truncated) {
        await expectThrows("step after the episode ended", () => env.step(0), EnvStateError);
        return trace;
      }
    }
    return fail(`no episode end within ${limit} steps`, "termination or truncation");
  };
  const first = await rollout(), second = await rollout();
  if (first.length !== second.length || first.some((s, i) => s !== second[i])) {
    fail("two rollouts with the same seed and actions differ", "identical trajectories");
  }
  const env = makeEnv();
  await env.reset({ seed });
  await expectThrows("step with action -1", () => env.step(-1), Error);
  await expectThrows(`step with action ${env.actionSpace.n}`, () => env.step(env.actionSpace.n), Error);
}

/**
 * Checks a Parallel (multi-agent) env. `makeEnv` must build a fresh env each call.
 * @throws {EnvCheckError} on the first failed check
 */
export async function checkParallelEnv<A extends string>(
  makeEnv: () => ParallelEnvLike<A>,
  options: CheckOptions = {},
): Promise<void> {
  const seed = options.seed ?? 0, limit = options.maxSteps ?? 1000;
  const fresh = makeEnv();
  const possible = [...fresh.possibleAgents];
  for (const a of possible) {
    if (
      fresh.observationSpace(a) !== fresh.observationSpace(a) || fresh.actionSpace(a) !== fresh.actionSpace(a)
    ) {
      fail(`spaces of agent ${a} are new objects on each call`, "the same object every call");
    }
  }
  const noop = Object.fromEntries(possible.map((a) => [a, 0])) as Record<A, number>;
  await expectThrows("step before reset", () => fresh.step(noop), EnvStateError);
  const rollout = async (): Promise<Trace> => {
    const env = makeEnv();
    const rng = new Rng(seed + 1);
    const r0 = await env.reset({ seed });
    if (JSON.stringify(env.agents) !== JSON.stringify(possible)) {
      fail(`agents after reset are ${env.agents}`, `${possible}`);
    }
    const trace: Trace = [];
    for (const a of possible) {
      if (!env.observationSpace(a).contains(r0.observations[a])) {
        fail(`reset observation of ${a} outside its space`, "a member");
      }
      if (!isPlainObject(r0.infos[a])) fail(`reset info of ${a}`, "a plain object");
      trace.push(traceOf(r0.observations[a], r0.infos[a]));
    }
    const gone = new Set<A>();
    for (let t = 0; t < limit; t++) {
      const live = env.agents;
      for (const a of live) {
        if (gone.has(a)) fail(`agent ${a} came back at step ${t}`, "agents never come back");
      }
      if (!live.length) {
        await expectThrows("step after every agent is done", () => env.step(noop), EnvStateError);
        return trace;
      }
      const actions = Object.fromEntries(live.map((a) => [a, rng.int(env.actionSpace(a).n)])) as Record<
        A,
        number
      >;
      const r = await env.step(actions);
      for (const a of live) {
        for (const key of ["observations", "rewards", "terminations", "truncations", "infos"] as const) {
          if (!(a in r[key])) fail(`step ${t}: ${key} lacks agent ${a}`, "one entry per live agent");
        }
        if (!env.observationSpace(a).contains(r.observations[a])) {
          fail(`step ${t} observation of ${a} outside its space`, "a member");
        }
        if (!Number.isFinite(r.rewards[a])) {
          fail(`step ${t} reward of ${a} is ${r.rewards[a]}`, "a finite number");
        }
        if (typeof r.terminations[a] !== "boolean" || typeof r.truncations[a] !== "boolean") {
          fail(`step ${t} flags of ${a}`, "booleans");
        }
        if (!isPlainObject(r.infos[a])) fail(`step ${t} info of ${a}`, "a plain object");
        if (r.terminations[a] || r.truncations[a]) gone.add(a);
        trace.push(
          traceOf(r.observations[a], [r.rewards[a], r.terminations[a], r.truncations[a], r.infos[a]]),
        );
      }
      for (const a of env.agents) {
        if (gone.has(a)) fail(`agent ${a} is still listed after its end`, "done agents leave `agents`");
      }
    }
    return fail(`no episode end within ${limit} steps`, "termination or truncation");
  };
  const first = await rollout(), second = await rollout();
  if (first.length !== second.length || first.some((s, i) => s !== second[i])) {
    fail("two rollouts with the same seed and actions differ", "identical trajectories");
  }
  const env = makeEnv();
  await env.reset({ seed });
  const bad = { ...noop, [possible[0]]: -1 } as Record<A, number>;
  await expectThrows("step with action -1", () => env.step(bad), Error);
}
