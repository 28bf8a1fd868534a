/**
 * The env ids the server serves and how a `make` message's options become an env's options:
 * seeded phantom cases (cached per dataset), a scorer (the ORACLE, reading voxel labels, or a
 * classifier checkpoint given to the server) and the game's options.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import type { Agent } from "../env/agent.ts";
import type { SparsConfig } from "../env/config.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { UnknownEnvError } from "./errors.ts";

/** Env id of the SPARS game on seeded phantoms scored by the oracle (voxel labels: an upper bound). */
export const ORACLE_ENV_ID = "SparsGym/Spars-Oracle-v0";
/** Env id of the SPARS game on seeded phantoms scored by the server's `--classifier` checkpoint. */
export const CLASSIFIER_ENV_ID = "SparsGym/Spars-Classifier-v0";

/** The kinds of env a session can make. */
export type EnvKind = "single" | "parallel" | "vector";

/** Phantom dataset of a `make` (see `data/phantom.ts`). */
export interface PhantomChoice {
  /** Number of cases. Default 8. */
  readonly count: number;
  /** Dataset seed. Default 0. */
  readonly seed: number;
  /** Volume shape z,y,x in voxels. Default 32x64x64. */
  readonly shape: Vec3;
}

/** Everything a `make` asks for, validated. */
export interface MakeChoice {
  /** The env id. */
  readonly env: string;
  /** Single-agent self-play view, two-agent game, or N self-play games. */
  readonly kind: EnvKind;
  /** Games of a vector env (1 otherwise). */
  readonly numEnvs: number;
  /** The opponent of self-play views: `random` (default) or `greedy`. */
  readonly opponent: "random" | "greedy";
  /** The phantoms. */
  readonly phantoms: PhantomChoice;
  /** Game options (window 16x32x32 by default; see `SparsConfig`). */
  readonly game: Partial<SparsConfig>;
}

/** The game options a client may set (numbers, vectors and names; never functions). */
const GAME_KEYS: readonly string[] = [
  "window",
  "stride",
  "start",
  "tau",
  "maxSteps",
  "reward",
  "ties",
  "terminationBonus",
  "mapMode",
  "maskThreshold",
  "observation",
  "observationShape",
  "intensityRange",
  "scoreCacheEntries",
];
const MAKE_KEYS: readonly string[] = ["numEnvs", "opponent", "phantoms", ...GAME_KEYS];

/** Game defaults of the served envs: the pipeline's phantoms setting (window 16x32x32 on 32x64x64). */
export const SERVED_GAME_DEFAULTS: Partial<SparsConfig> = { window: [16, 32, 32] };

function record(value: unknown, source: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(source, `is ${JSON.stringify(value)}`, "an object");
  }
  return value as Record<string, unknown>;
}

/**
 * Validates a `make` message's env id, kind and options.
 * @throws {UnknownEnvError} for an env id not in `envIds`
 * @throws {InvalidArgumentError} for a bad kind, an unknown option or a bad value
 */
export function parseMake(
  env: unknown,
  kind: unknown,
  options: unknown,
  envIds: readonly string[],
): MakeChoice {
  if (typeof env !== "string" || !envIds.includes(env)) {
    throw new UnknownEnvError("env", `is ${JSON.stringify(env)}`, `one of ${envIds.join(", ")}`);
  }
  const k = kind ?? "single";
  if (k !== "single" && k !== "parallel" && k !== "vector") {
    throw new InvalidArgumentError("kind", `is ${JSON.stringify(kind)}`, "'single', 'parallel' or 'vector'");
  }
  const o = record(options, "options");
  for (const key of Object.keys(o)) {
    if (!MAKE_KEYS.includes(key)) {
      throw new InvalidArgumentError(`options.${key}`, "is not an option", `one of ${MAKE_KEYS.join(", ")}`);
    }
  }
  const numEnvs = o.numEnvs ?? 1;
  if (!(Number.isInteger(numEnvs) && (numEnvs as number) >= 1 && (numEnvs as number) <= 4096)) {
    throw new InvalidArgumentError(
      "options.numEnvs",
      `is ${JSON.stringify(numEnvs)}`,
      "an integer in 1..4096",
    );
  }
  const opponent = o.opponent ?? "random";
  if (opponent !== "random" && opponent !== "greedy") {
    throw new InvalidArgumentError(
      "options.opponent",
      `is ${JSON.stringify(opponent)}`,
      "'random' or 'greedy'",
    );
  }
  const p = record(o.phantoms, "options.phantoms");
  const phantoms: PhantomChoice = {
    count: (p.count ?? 8) as number,
    seed: (p.seed ?? 0) as number,
    shape: (p.shape ?? [32, 64, 64]) as Vec3,
  };
  if (!(Number.isInteger(phantoms.count) && phantoms.count >= 1 && phantoms.count <= 64)) {
    throw new InvalidArgumentError("options.phantoms.count", `is ${phantoms.count}`, "an integer in 1..64");
  }
  const shape = phantoms.shape;
  if (!(Array.isArray(shape) && shape.length === 3 && shape.every((d) => Number.isInteger(d) && d >= 8))) {
    throw new InvalidArgumentError(
      "options.phantoms.shape",
      `is ${JSON.stringify(shape)}`,
      "3 integers >= 8",
    );
  }
  if (shape[0] * shape[1] * shape[2] > 2 ** 22) {
    throw new InvalidArgumentError("options.phantoms.shape", `is ${shape.join("x")}`, "at most 2^22 voxels");
  }
  for (const key of ["window", "observationShape", "intensityRange"]) {
    const v = o[key];
    if (v !== undefined && !(Array.isArray(v) && v.every((d) => typeof d === "number"))) {
      throw new InvalidArgumentError(`options.${key}`, `is ${JSON.stringify(v)}`, "a list of numbers");
    }
  }
  const game: Record<string, unknown> = { ...SERVED_GAME_DEFAULTS };
  for (const key of GAME_KEYS) if (o[key] !== undefined) game[key] = o[key];
  return {
    env,
    kind: k,
    numEnvs: k === "vector" ? numEnvs as number : 1,
    opponent,
    phantoms,
    game: game as Partial<SparsConfig>,
  };
}

/** Phantom datasets and their scorers, generated once per (count, seed, shape) and shared by sessions. */
export class CaseStore {
  readonly #sets = new Map<string, { cases: Case[]; oracle: OracleScorer }>();
  readonly #limit: number;

  /**
   * Creates the instance.
   * @param limit most datasets kept (least recently made evicted first)
   */
  constructor(limit = 8) {
    this.#limit = limit;
  }

  /** The cases and oracle scorer of a phantom dataset (tumour label 2). */
  get(p: PhantomChoice): { cases: Case[]; oracle: OracleScorer } {
    const key = JSON.stringify([p.count, p.seed, p.shape]);
    let set = this.#sets.get(key);
    if (set) this.#sets.delete(key);
    else {
      const cases = generatePhantomDataset({ count: p.count, seed: p.seed, shape: p.shape });
      set = { cases, oracle: new OracleScorer(cases, { target: 2 }) };
    }
    this.#sets.set(key, set);
    if (this.#sets.size > this.#limit) this.#sets.delete(this.#sets.keys().next().value!);
    return set;
  }
}

/** The scorer of an env id: the oracle of the cases, or the server's classifier. */
export function scorerFor(env: string, oracle: Scorer, classifier: Scorer | undefined): Scorer {
  if (env === CLASSIFIER_ENV_ID && classifier) return classifier;
  return oracle;
}

/** A fresh opponent of a self-play view, seeded (so that a seeded reset replays its moves). */
export function makeOpponent(kind: "random" | "greedy", seed: number): Agent {
  return kind === "greedy" ? new GreedyAgent(seed) : new RandomAgent(seed);
}
