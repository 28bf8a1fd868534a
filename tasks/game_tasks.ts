/**
 * Ready-made tasks of the other two games, registered on import:
 *
 * | id | data | rewards |
 * | --- | --- | --- |
 * | `SparsGym/Patch-Oracle-v0` | the patch game ("Competing for pixels") on 60 seeded 2D phantoms 1x64x64 (split 70/15/15 stratified by presence), 8x8 patches, observation 1x32x32x2, intensities [-100, 200] HU, presence threshold 0.3, random first mover | patch scores by the ORACLE (share of tumour voxels: voxel labels) |
 * | `SparsGym/Pixel-Phantom-v0` | the pixel game (PixelDRL-MG) on the axial slice through the tumour of 40 seeded phantoms 32x64x64 (slices 64x64, windowed to [0, 1]), 10 steps, the paper's actions (background, keep), all-foreground start | per-pixel rewards from the VOXEL LABELS (fully supervised) |
 *
 * The patch task builds a {@link PatchSelfPlayEnv} (the learner plays `a`; the opponent, a seeded
 * random agent by default, plays `b`); the pixel task a {@link PixelSegEnv}. The numbers duplicate
 * `train/patch_train.ts` DEFAULT_PATCH_TRAIN_CONFIG (tasks may not import `train/`); changing any of
 * them means a new version of the id.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";
import { generatePhantomDataset } from "../data/phantom.ts";
import { splitIds, type SplitName } from "../data/split.ts";
import type { Case, Vec3 } from "../data/types.ts";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { register } from "../env/registry.ts";
import type { Scorer } from "../env/scorer.ts";
import { GreedyPatchAgent, type PatchAgent, RandomPatchAgent } from "../env/patch/agents.ts";
import type { PatchAgentId } from "../env/patch/config.ts";
import type { PatchEnvOptions } from "../env/patch/patch_env.ts";
import { PatchSelfPlayEnv } from "../env/patch/self_play.ts";
import { phantomPixelSlices } from "../env/pixel/pixel_data.ts";
import {
  type InitialMask,
  KEEP,
  PAPER_ACTIONS,
  PixelSegEnv,
  type PixelSlice,
  SET_BACKGROUND,
  SET_FOREGROUND,
} from "../env/pixel/pixel_env.ts";

/** Id of the patch game task. */
export const PATCH_TASK_ID = "SparsGym/Patch-Oracle-v0";
/** Id of the pixel game task. */
export const PIXEL_TASK_ID = "SparsGym/Pixel-Phantom-v0";

/** Seeded phantoms of a task: count, dataset (and split) seed, shape z,y,x in voxels. */
export interface GamePhantoms {
  /** Number of phantoms (all splits). */
  readonly count: number;
  /** Dataset and split seed. */
  readonly seed: number;
  /** Phantom shape z,y,x. */
  readonly shape: Vec3;
}

/** Options of `SparsGym/Patch-Oracle-v0`: the patch game's options plus data, split and opponent. */
export interface PatchTaskOptions extends Omit<PatchEnvOptions, "scorer" | "cases"> {
  /** The phantoms (2D: depth 1). */
  readonly data: GamePhantoms;
  /** Which split's cases are played (default `train`). */
  readonly split: SplitName;
  /** The learner's side (default `a`). */
  readonly learner?: PatchAgentId;
  /** The other side: `random` (seeded with `opponentSeed`), `greedy` (threshold 0.5), or an agent. */
  readonly opponent: "random" | "greedy" | PatchAgent;
  /** Seed of the random opponent. */
  readonly opponentSeed: number;
  /** Replaces the task's scorer. */
  readonly scorer?: Scorer;
}

/** Defaults of the patch task (as DEFAULT_PATCH_TRAIN_CONFIG of `train/patch_train.ts`). */
export const PATCH_TASK_OPTIONS: Readonly<PatchTaskOptions> = Object.freeze<PatchTaskOptions>({
  data: { count: 60, seed: 0, shape: [1, 64, 64] },
  split: "train",
  opponent: "random",
  opponentSeed: 0,
  grid: [1, 8, 8],
  observationShape: [1, 32, 32],
  intensityRange: [-100, 200],
  presenceThreshold: 0.3,
  first: "random",
});

/** The cases of one split of the patch task's phantoms (stratified by presence, as patch training). */
export function patchTaskCases(data: GamePhantoms, split: SplitName): Case[] {
  const all = generatePhantomDataset({ count: data.count, seed: data.seed, shape: data.shape });
  const strata = new Map(all.map((c) => [c.id, c.presence ?? 0] as [string, 0 | 1]));
  const ids = splitIds(all.map((c) => c.id), data.seed, undefined, strata)[split];
  const byId = new Map(all.map((c) => [c.id, c]));
  return ids.map((id) => byId.get(id)!);
}

/**
 * Factory of `SparsGym/Patch-Oracle-v0`.
 * @throws {InvalidArgumentError} for an unknown opponent, plus the patch env's option errors
 */
export function makePatchTask(o: PatchTaskOptions): Promise<PatchSelfPlayEnv> {
  const { data, split, opponent, opponentSeed, scorer, ...game } = o;
  const agent = opponent === "random"
    ? new RandomPatchAgent(opponentSeed)
    : opponent === "greedy"
    ? new GreedyPatchAgent()
    : typeof opponent?.act === "function"
    ? opponent
    : undefined;
  if (!agent) {
    throw new InvalidArgumentError(
      "opponent",
      `is ${JSON.stringify(opponent)}`,
      "'random', 'greedy' or an agent",
    );
  }
  const cases = patchTaskCases(data, split);
  return Promise.resolve(
    new PatchSelfPlayEnv({
      ...game,
      cases,
      scorer: scorer ?? new OracleScorer(cases, { target: 2 }),
      opponent: agent,
    }),
  );
}

/** Options of `SparsGym/Pixel-Phantom-v0`. */
export interface PixelTaskOptions {
  /** The phantoms (one slice through the tumour each; slices are y,x of the shape). */
  readonly data: GamePhantoms;
  /** Which split's slices are played (default `train`). */
  readonly split: SplitName;
  /** Steps per episode (default 10, the paper's). */
  readonly tMax: number;
  /** Mask at reset: `foreground` (default, the paper's) or `background`. */
  readonly initialMask: "foreground" | "background";
  /** Per-pixel actions: `paper` (background, keep) or `paper+foreground` (adds set-foreground). */
  readonly actions: "paper" | "paper+foreground";
}

/** Defaults of the pixel task. */
export const PIXEL_TASK_OPTIONS: Readonly<PixelTaskOptions> = Object.freeze<PixelTaskOptions>({
  data: { count: 40, seed: 0, shape: [32, 64, 64] },
  split: "train",
  tMax: 10,
  initialMask: "foreground",
  actions: "paper",
});

/**
 * The pixel env of a task's slices with its game options (shared by the phantom and real-data pixel
 * tasks).
 * @throws {InvalidArgumentError} for unknown `actions` or `initialMask`, plus the pixel env's option errors
 */
export function pixelTaskEnv(
  slices: readonly PixelSlice[],
  o: Pick<PixelTaskOptions, "tMax" | "initialMask" | "actions">,
): PixelSegEnv {
  const actions = o.actions === "paper"
    ? PAPER_ACTIONS
    : o.actions === "paper+foreground"
    ? [SET_BACKGROUND, KEEP, SET_FOREGROUND]
    : undefined;
  if (!actions) {
    throw new InvalidArgumentError(
      "actions",
      `is ${JSON.stringify(o.actions)}`,
      "'paper' or 'paper+foreground'",
    );
  }
  if (o.initialMask !== "foreground" && o.initialMask !== "background") {
    throw new InvalidArgumentError(
      "initialMask",
      `is ${JSON.stringify(o.initialMask)}`,
      "'foreground' or 'background'",
    );
  }
  return new PixelSegEnv({ slices, tMax: o.tMax, actions, initialMask: o.initialMask as InitialMask });
}

/**
 * Factory of `SparsGym/Pixel-Phantom-v0`.
 * @throws {InvalidArgumentError} for unknown `actions` or `initialMask`, an empty split, plus the
 *   pixel env's option errors
 */
export function makePixelTask(o: PixelTaskOptions): Promise<PixelSegEnv> {
  const slices = phantomPixelSlices({ count: o.data.count, seed: o.data.seed, shape: o.data.shape })[o.split];
  if (!slices?.length) {
    throw new InvalidArgumentError(
      "split",
      `${o.split} of ${o.data.count} phantoms is empty`,
      "more phantoms",
    );
  }
  return Promise.resolve(pixelTaskEnv(slices, o));
}

register<PatchSelfPlayEnv, PatchTaskOptions>(PATCH_TASK_ID, makePatchTask, PATCH_TASK_OPTIONS, {
  description: "patch game, 60 2D phantoms 1x64x64, 8x8 patches, oracle patch scores (voxel labels)",
});
register<PixelSegEnv, PixelTaskOptions>(PIXEL_TASK_ID, makePixelTask, PIXEL_TASK_OPTIONS, {
  description: "pixel game, slices 64x64 through phantom tumours, rewards from voxel labels",
});
