/**
 * Ready-made SPARS tasks, registered on import:
 *
 * | id | data | scorer |
 * | --- | --- | --- |
 * | `SparsGym/Spars-Oracle-v0` | the default benchmark: 72 phantoms 48x96x96 (10-20 mm tumours, seed 0, split 50/25/25), window 12x24x24, random starts, 32 steps | oracle (voxel labels, tumour = 2) |
 * | `SparsGym/Spars-Oracle-Paper-v0` | 32 phantoms 180x256x256, window 24x48x48 (the paper's, 0.47% of the volume), ties to `a` | oracle |
 * | `SparsGym/Spars-Classifier-v0` | as `Spars-Oracle-v0` | the classifier checkpoint at `checkpoint` (required) |
 * | `SparsGym/Spars-Phantom-v0` | as `Spars-Oracle-v0` | the classifier shipped in `tasks/checkpoints/` (phantom_task.ts) |
 * | `SparsGym/Spars-BraTS2018-Flair-v0` | BraTS per-case folders given as `data` (required), FLAIR z-scored, whole tumour 1,2,4, fold 1/6 (real_tasks.ts) | oracle (voxel labels), or `checkpoint` |
 * | `SparsGym/Spars-STS-CT-v0` | case folders `<case>/CT_image.nii.gz` given as `data` (required), CT in HU, fold 1/3 (real_tasks.ts) | oracle (voxel labels), or `checkpoint` |
 *
 * Every task builds a {@link SelfPlayEnv} (the Gymnasium single-agent view; the two-agent
 * PettingZoo view is its `.env`) whose opponent is by default a seeded random agent. The oracle
 * tasks need no network and no tfjs; the classifier task loads tfjs (`models/`) only when made.
 * The game numbers duplicate `train/train_config.ts` PRESETS (`default` and `paper`): tasks may not
 * import `train/`. Changing any of them means a new version of the id.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { phantomDataset } from "../data/dataset.ts";
import type { SplitName } from "../data/split.ts";
import type { Case, Vec3 } from "../data/types.ts";
import type { Agent } from "../env/agent.ts";
import { GreedyAgent, RandomAgent } from "../env/baseline_agents.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { register } from "../env/registry.ts";
import type { Scorer } from "../env/scorer.ts";
import { type OpponentFunction, SelfPlayEnv } from "../env/self_play_env.ts";
import type { SparsEnvOptions } from "../env/spars_env.ts";

/** Phantom data of a task. */
export interface PhantomDataOptions {
  /** Number of phantoms (all splits together). */
  readonly count: number;
  /** Dataset seed (also the split seed). */
  readonly seed: number;
  /** Phantom shape z,y,x in voxels. */
  readonly shape: Vec3;
  /** Tumours per positive phantom [min, max] (default the generator's [1, 3]). */
  readonly tumours?: readonly [number, number];
  /** Tumour radius range in mm (default the generator's [5, 15]). */
  readonly tumourRadiusMm?: readonly [number, number];
  /** Split fractions [train, val, test] (default 0.7, 0.15, 0.15). */
  readonly fractions?: readonly [number, number, number];
}

/** Options of the SPARS tasks: the game's options plus data, split, scorer and opponent. */
export interface SparsTaskOptions extends Omit<SparsEnvOptions, "scorer" | "cases"> {
  /** The phantoms played on. */
  readonly data: PhantomDataOptions;
  /** Which split's cases the env draws from (default `"train"`). */
  readonly split: SplitName;
  /** Label value(s) of the target (phantoms: 2, tumour). */
  readonly target: number | readonly number[];
  /** The side trained (default `"a"`). */
  readonly learner?: "a" | "b";
  /** The other side: `"random"` / `"greedy"` (seeded with `opponentSeed`), an Agent or a function. */
  readonly opponent: "random" | "greedy" | Agent | OpponentFunction;
  /** Seed of a named opponent (default 0). */
  readonly opponentSeed: number;
  /** Plays these cases instead of the split's (the oracle scorer then reads their labels). */
  readonly cases?: readonly Case[];
  /** Replaces the task's scorer (e.g. a scorer wrapped for metering). */
  readonly scorer?: Scorer;
  /** Classifier task: folder of a classifier checkpoint (`classifier.json` and weights). */
  readonly checkpoint?: string;
  /** Classifier task: scoring batch size (default 16). */
  readonly batchSize?: number;
}

/**
 * Game options of the v0 tasks: `train/train_config.ts` PRESETS.default as it was when v0 was published
 * (duplicated: tasks may not import train/). The preset has since moved to the `novelty` reward, the
 * `distinct` map and `window+context` observations; v0 keeps `absolute`, `sum` and `window+position`,
 * because a task id never changes meaning (a v1 would take the new game).
 */
export const DEFAULT_TASK_OPTIONS: Readonly<SparsTaskOptions> = Object.freeze<SparsTaskOptions>({
  data: {
    count: 72,
    seed: 0,
    shape: [48, 96, 96],
    tumours: [1, 3],
    tumourRadiusMm: [10, 20],
    fractions: [0.5, 0.25, 0.25],
  },
  split: "train",
  target: 2,
  opponent: "random",
  opponentSeed: 0,
  window: [12, 24, 24],
  stride: 4,
  tau: 0.3,
  termination: "none",
  maxSteps: 32,
  reward: "absolute",
  ties: "zero",
  terminationBonus: 0,
  observation: "window+position",
  observationShape: [8, 16, 16],
  start: "random",
  mapMode: "sum",
});

/** Game options of `train/train_config.ts` PRESETS.paper (duplicated, see above). */
export const PAPER_TASK_OPTIONS: Readonly<SparsTaskOptions> = Object.freeze<SparsTaskOptions>({
  ...DEFAULT_TASK_OPTIONS,
  data: {
    count: 32,
    seed: 0,
    shape: [180, 256, 256],
    tumours: [1, 3],
    tumourRadiusMm: [10, 20],
    fractions: [0.75, 0.125, 0.125],
  },
  window: [24, 48, 48],
  observation: "window",
  observationShape: [12, 24, 24],
  start: "center",
  termination: "tau",
  maxSteps: 128,
  reward: "adversarial",
  ties: "a",
});

/** The cases of one split of the task's phantoms, in split order. */
export async function taskCases(data: PhantomDataOptions, split: SplitName): Promise<Case[]> {
  const [train, val, test] = data.fractions ?? [0.7, 0.15, 0.15];
  const ds = phantomDataset({
    count: data.count,
    seed: data.seed,
    shape: data.shape,
    ...(data.tumours ? { tumours: data.tumours } : {}),
    ...(data.tumourRadiusMm ? { tumourRadiusMm: data.tumourRadiusMm } : {}),
    fractions: { train, val, test },
  });
  const out: Case[] = [];
  for await (const c of ds.split(split).cases()) out.push(c);
  return out;
}

function opponentOf(o: SparsTaskOptions): Agent | OpponentFunction {
  if (o.opponent === "random") return new RandomAgent(o.opponentSeed);
  if (o.opponent === "greedy") return new GreedyAgent(o.opponentSeed);
  if (typeof o.opponent === "function" || typeof o.opponent?.act === "function") return o.opponent;
  throw new InvalidArgumentError(
    "opponent",
    `is ${JSON.stringify(o.opponent)}`,
    "'random', 'greedy', an Agent or a function",
  );
}

/** Builds the task's env around `scorer` (the part every SPARS task shares). */
export async function buildSparsTask(
  o: SparsTaskOptions,
  scorerFor: (cases: readonly Case[]) => Scorer | Promise<Scorer>,
): Promise<SelfPlayEnv> {
  const {
    data,
    split,
    target: _target,
    opponent: _opponent,
    opponentSeed: _seed,
    scorer,
    checkpoint: _checkpoint,
    batchSize: _batch,
    cases: given,
    ...game
  } = o;
  const cases = given ?? await taskCases(data, split);
  return new SelfPlayEnv({
    ...game,
    scorer: scorer ?? await scorerFor(cases),
    cases,
    opponent: opponentOf(o),
  });
}

/** Factory of the oracle tasks: the scorer reads the split's voxel labels (an upper bound). */
export function makeOracleTask(o: SparsTaskOptions): Promise<SelfPlayEnv> {
  return buildSparsTask(o, (cases) => new OracleScorer(cases, { target: o.target }));
}

/**
 * Factory of the classifier task: the scorer is the classifier checkpoint at `o.checkpoint`,
 * loaded with tfjs (imported here, only when the task is made) on the backend already set.
 * @throws {InvalidArgumentError} when no checkpoint is given
 */
export function makeClassifierTask(o: SparsTaskOptions): Promise<SelfPlayEnv> {
  const dir = o.checkpoint;
  if (o.scorer === undefined && (typeof dir !== "string" || dir === "")) {
    throw new InvalidArgumentError(
      "checkpoint",
      "is missing",
      "make('SparsGym/Spars-Classifier-v0', { checkpoint: '<run>/classifier' })",
    );
  }
  return buildSparsTask(o, async () => {
    const { ClassifierScorer } = await import("../models/classifier_scorer.ts");
    return await ClassifierScorer.load(dir!, { batchSize: o.batchSize ?? 16 });
  });
}

register<SelfPlayEnv, SparsTaskOptions>("SparsGym/Spars-Oracle-v0", makeOracleTask, DEFAULT_TASK_OPTIONS, {
  description: "72 phantoms 48x96x96, window 12x24x24, oracle scorer (voxel labels: upper bound)",
});
register<SelfPlayEnv, SparsTaskOptions>(
  "SparsGym/Spars-Oracle-Paper-v0",
  makeOracleTask,
  PAPER_TASK_OPTIONS,
  { description: "32 phantoms 180x256x256, the paper's window 24x48x48 and tie rule, oracle scorer" },
);
register<SelfPlayEnv, SparsTaskOptions>(
  "SparsGym/Spars-Classifier-v0",
  makeClassifierTask,
  DEFAULT_TASK_OPTIONS,
  { description: "as Spars-Oracle-v0, scored by the classifier checkpoint given as `checkpoint`" },
);
