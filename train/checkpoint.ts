/**
 * Training checkpoints: everything a self-play run needs to continue exactly where it stopped.
 *
 * ```
 * <run>/checkpoints/update-00000040/
 *   state.json      update, env steps, elapsed time, every generator state, Adam step, pool index,
 *                   the learning-rate schedule's length
 *   learner.bin     the learner's weights
 *   optimizer.bin   Adam's first and second moments
 *   opponent.bin    the current (frozen) opponent's weights
 *   pool.bin        every pool snapshot's weights
 * ```
 *
 * Written atomically: the files go into `checkpoints/.tmp-update-...` which is renamed to
 * `update-NNNNNNNN` as the last step, so a folder with that name is always complete; a kill during
 * the write leaves only a `.tmp-` folder, which loading ignores and removes. Older checkpoints
 * beyond `keep` are deleted after the rename, each renamed to a hidden `.update-...trash-` name
 * first (so a kill mid-deletion leaves no partial `update-` folder; loading removes the leftover).
 *
 * Resuming ({@link loadLatestCheckpoint}) validates a checkpoint against its files (the folder name,
 * tensor counts, weight shapes) and the run (steps per update, total updates, the network's
 * weights); an invalid newest checkpoint is skipped with a warning naming it, moved aside to a
 * hidden `.invalid-` name (kept for inspection), and the newest valid one is used.
 *
 * @module
 */
import { join } from "node:path";
import { SparsGymError } from "../data/errors.ts";
import { removeFolderByRename } from "../data/owned_folder.ts";
import type { RngState } from "../data/random.ts";
import type { AdamState } from "../agents/adam.ts";
import type { PoolSnapshot } from "../agents/opponent_pool.ts";
import { type NamedWeight, readWeightsFile, writeWeightsFile } from "../agents/snapshot.ts";
import { readJson, writeJsonAtomic } from "./run_folder.ts";

/** A checkpoint is unreadable or inconsistent. */
export class CheckpointFileError extends SparsGymError {}

/** Format version of `state.json`. */
export const TRAIN_CHECKPOINT_VERSION = 1;

/** Generator states of a run. */
export interface TrainerRngStates {
  /** The learner's action sampling. */
  readonly learner: RngState;
  /** The opponent's action sampling. */
  readonly opponent: RngState;
  /** PPO's minibatch shuffling. */
  readonly shuffle: RngState;
  /** The opponent pool's draws. */
  readonly pool: RngState;
}

/** Everything saved in a checkpoint. */
export interface TrainerState {
  /** Updates completed. */
  readonly update: number;
  /** Env steps taken (all games). */
  readonly globalStep: number;
  /** Training wall time so far, seconds. */
  readonly elapsedSeconds: number;
  /** The learner's weights. */
  readonly learner: readonly NamedWeight[];
  /** Adam's state. */
  readonly optimizer: AdamState;
  /** The current opponent's weights. */
  readonly opponent: readonly NamedWeight[];
  /** The update after which the opponent's weights were taken. */
  readonly opponentUpdate: number;
  /** The pool, oldest first. */
  readonly pool: readonly PoolSnapshot[];
  /** Generator states. */
  readonly rngs: TrainerRngStates;
  /**
   * Updates over which the learning rate anneals: the run's total when it started, kept when a
   * resume changes the total. Absent in checkpoints written before it was recorded.
   */
  readonly scheduleUpdates?: number;
}

/** Name of the checkpoint folder of an update. */
export function checkpointName(update: number): string {
  return `update-${String(update).padStart(8, "0")}`;
}

/** Complete checkpoints in `dir`, oldest first (`.tmp-` folders are not listed). */
export async function listCheckpoints(dir: string): Promise<{ update: number; path: string }[]> {
  const found: { update: number; path: string }[] = [];
  try {
    for await (const e of Deno.readDir(dir)) {
      const m = /^update-(\d{8})$/.exec(e.name);
      if (e.isDirectory && m) found.push({ update: Number(m[1]), path: join(dir, e.name) });
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
  return found.sort((a, b) => a.update - b.update);
}

/**
 * Writes a checkpoint into `dir` (created when missing) atomically and keeps the newest `keep`.
 * @returns the checkpoint folder
 */
export async function saveCheckpoint(dir: string, state: TrainerState, keep = 2): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  const name = checkpointName(state.update);
  const tmp = join(dir, `.tmp-${name}-${crypto.randomUUID()}`);
  const final = join(dir, name);
  await Deno.mkdir(tmp);
  try {
    await writeWeightsFile(join(tmp, "learner.bin"), state.learner);
    await writeWeightsFile(join(tmp, "optimizer.bin"), [...state.optimizer.m, ...state.optimizer.v]);
    await writeWeightsFile(join(tmp, "opponent.bin"), state.opponent);
    const poolWeights = state.pool.flatMap((s, k) =>
      s.weights.map((w) => ({ name: `${k}/${w.name}`, shape: w.shape, values: w.values }))
    );
    await writeWeightsFile(join(tmp, "pool.bin"), poolWeights);
    await writeJsonAtomic(join(tmp, "state.json"), {
      format: "spars-gym-train-checkpoint",
      version: TRAIN_CHECKPOINT_VERSION,
      update: state.update,
      globalStep: state.globalStep,
      elapsedSeconds: state.elapsedSeconds,
      adamStep: state.optimizer.step,
      opponentUpdate: state.opponentUpdate,
      pool: state.pool.map((s) => ({ update: s.update, tensors: s.weights.length })),
      rngs: state.rngs,
      scheduleUpdates: state.scheduleUpdates ?? null,
      createdAt: new Date().toISOString(),
    });
    // A leftover of the same name (written before a resume from an older checkpoint) is moved
    // aside first, so that a kill leaves either checkpoint under the name, never a partial one.
    const stat = await Deno.lstat(final).catch(() => undefined);
    const aside = join(dir, `.${name}.trash-${crypto.randomUUID()}`);
    if (stat) await Deno.rename(final, aside);
    await Deno.rename(tmp, final);
    if (stat) await Deno.remove(aside, { recursive: true });
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  const all = await listCheckpoints(dir);
  for (const old of all.slice(0, Math.max(0, all.length - keep))) await removeFolderByRename(old.path);
  return final;
}

function rngState(value: unknown, source: string): RngState {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((w) => Number.isInteger(w) && w >= 0)) {
    throw new CheckpointFileError(source, `holds ${JSON.stringify(value)}`, "four uint32 words");
  }
  return [value[0], value[1], value[2], value[3]];
}

/** `scheduleUpdates` of a `state.json`: undefined when absent (or null), else an integer >= 1. */
function scheduleValue(value: unknown, statePath: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(typeof value === "number" && Number.isInteger(value) && value >= 1)) {
    throw new CheckpointFileError(
      statePath,
      `holds scheduleUpdates ${JSON.stringify(value)}`,
      "an integer >= 1",
    );
  }
  return value;
}

/**
 * Reads one checkpoint folder.
 * @throws {CheckpointFileError} (or a weights-file error) naming the file at fault
 */
export async function loadCheckpoint(path: string): Promise<TrainerState> {
  const statePath = join(path, "state.json");
  const s = await readJson(statePath) as Record<string, unknown>;
  if (s?.format !== "spars-gym-train-checkpoint" || s.version !== TRAIN_CHECKPOINT_VERSION) {
    throw new CheckpointFileError(
      statePath,
      `has format ${s?.format} v${s?.version}`,
      "a v1 training checkpoint",
    );
  }
  const learner = (await readWeightsFile(join(path, "learner.bin"))).weights;
  const moments = (await readWeightsFile(join(path, "optimizer.bin"))).weights;
  const opponent = (await readWeightsFile(join(path, "opponent.bin"))).weights;
  const poolFlat = (await readWeightsFile(join(path, "pool.bin"))).weights;
  const poolIndex = s.pool as { update: number; tensors: number }[];
  let at = 0;
  const pool: PoolSnapshot[] = poolIndex.map((entry, k) => {
    const weights = poolFlat.slice(at, at + entry.tensors).map((w) => ({
      name: w.name.slice(`${k}/`.length),
      shape: w.shape,
      values: w.values,
    }));
    at += entry.tensors;
    return { update: entry.update, weights };
  });
  if (at !== poolFlat.length || moments.length !== 2 * learner.length) {
    throw new CheckpointFileError(
      path,
      "has pool or optimizer tensors that do not match state.json",
      "a consistent checkpoint",
    );
  }
  const rngs = s.rngs as Record<string, unknown>;
  const schedule = scheduleValue(s.scheduleUpdates, statePath);
  return {
    update: s.update as number,
    globalStep: s.globalStep as number,
    elapsedSeconds: s.elapsedSeconds as number,
    learner,
    optimizer: {
      step: s.adamStep as number,
      m: moments.slice(0, learner.length),
      v: moments.slice(learner.length),
    },
    opponent,
    opponentUpdate: s.opponentUpdate as number,
    pool,
    rngs: {
      learner: rngState(rngs?.learner, `${statePath} rngs.learner`),
      opponent: rngState(rngs?.opponent, `${statePath} rngs.opponent`),
      shuffle: rngState(rngs?.shuffle, `${statePath} rngs.shuffle`),
      pool: rngState(rngs?.pool, `${statePath} rngs.pool`),
    },
    ...(schedule === undefined ? {} : { scheduleUpdates: schedule }),
  };
}

/**
 * The learning-rate schedule recorded in the newest complete checkpoint of `dir` (its
 * `state.json` only): undefined when there is no checkpoint or it predates the record.
 * @throws {CheckpointFileError} when that `state.json` holds an invalid value
 */
export async function latestScheduleUpdates(dir: string): Promise<number | undefined> {
  const all = await listCheckpoints(dir);
  for (let i = all.length - 1; i >= 0; i--) {
    const statePath = join(all[i].path, "state.json");
    // An unreadable newest checkpoint is skipped, as resuming skips it (with its warning then).
    const s = await readJson(statePath).catch(() => undefined) as Record<string, unknown> | undefined;
    if (s) return scheduleValue(s.scheduleUpdates, statePath);
  }
  return undefined;
}

/** What a checkpoint must match to be resumed by a run (see {@link validateCheckpoint}). */
export interface CheckpointExpectation {
  /** Env steps per update of the run (games x steps per game). */
  readonly stepsPerUpdate: number;
  /** The run's total updates. */
  readonly totalUpdates: number;
  /** The learner network's weights (names and shapes; values are not read). */
  readonly weights: readonly Pick<NamedWeight, "name" | "shape">[];
  /** Whether the run has a frozen opponent network (false with a fixed opponent agent). */
  readonly opponent: boolean;
}

function sameShapes(
  got: readonly Pick<NamedWeight, "name" | "shape">[],
  want: readonly Pick<NamedWeight, "name" | "shape">[],
): boolean {
  return got.length === want.length &&
    got.every((w, i) => w.name === want[i].name && w.shape.join(",") === want[i].shape.join(","));
}

/**
 * Checks a loaded checkpoint against its folder name and, when given, the run resuming it: the
 * update (the folder's number; at most the run's total updates or its recorded schedule), env
 * steps (update x steps per update), the opponent's update, pool snapshots (updates, tensor
 * counts), and the shapes of the learner, optimizer moments, opponent and pool weights.
 * @throws {CheckpointFileError} naming the checkpoint file at fault and what was expected
 */
export function validateCheckpoint(path: string, state: TrainerState, expect?: CheckpointExpectation): void {
  const statePath = join(path, "state.json");
  const bad = (what: string, expected: string): never => {
    throw new CheckpointFileError(statePath, what, expected);
  };
  const named = /update-(\d{8})$/.exec(path);
  const u = state.update;
  if (!Number.isInteger(u) || u < 1 || (named && Number(named[1]) !== u)) {
    bad(
      `holds update ${u}`,
      `the update of its folder name (${named ? Number(named[1]) : "update-NNNNNNNN"})`,
    );
  }
  if (!(Number.isInteger(state.opponentUpdate) && state.opponentUpdate >= -1 && state.opponentUpdate <= u)) {
    bad(`holds opponentUpdate ${state.opponentUpdate}`, `an update from -1 to ${u}`);
  }
  if (state.pool.some((p) => !(Number.isInteger(p.update) && p.update >= 0 && p.update <= u))) {
    bad(`holds pool snapshots of updates ${state.pool.map((p) => p.update).join(",")}`, `updates 0..${u}`);
  }
  if (!(Number.isFinite(state.elapsedSeconds) && state.elapsedSeconds >= 0)) {
    bad(`holds elapsedSeconds ${state.elapsedSeconds}`, "a number >= 0");
  }
  if (!expect) return;
  const limit = Math.max(expect.totalUpdates, state.scheduleUpdates ?? 0);
  if (u > limit) bad(`holds update ${u}`, `at most the run's ${limit} updates`);
  if (state.globalStep !== u * expect.stepsPerUpdate) {
    bad(`holds globalStep ${state.globalStep}`, `update x steps per update = ${u * expect.stepsPerUpdate}`);
  }
  const files: [string, readonly NamedWeight[]][] = [
    ["learner.bin", state.learner],
    ["optimizer.bin (first moments)", state.optimizer.m],
    ["optimizer.bin (second moments)", state.optimizer.v],
    ...(expect.opponent ? [["opponent.bin", state.opponent] as [string, readonly NamedWeight[]]] : []),
    ...state.pool.map((p, k) => [`pool.bin (snapshot ${k})`, p.weights] as [string, readonly NamedWeight[]]),
  ];
  for (const [file, weights] of files) {
    // Adam's moments are named after their variable by the optimizer: compare shapes only.
    const want = file.startsWith("optimizer")
      ? weights.map((w, i) => ({ ...expect.weights[i], name: w.name }))
      : expect.weights;
    if (!sameShapes(weights, want)) {
      throw new CheckpointFileError(
        join(path, file.split(" ")[0]),
        `holds ${weights.length} tensors that do not match the run's network${
          file.includes("(") ? ` in ${file}` : ""
        }`,
        `${expect.weights.length} tensors shaped ${
          expect.weights.map((w) => `[${w.shape.join(",")}]`).join(" ")
        }`,
      );
    }
  }
}

/**
 * The newest valid checkpoint in `dir` ({@link loadCheckpoint} and {@link validateCheckpoint}
 * against `expect`), or undefined when there is none. An invalid newer checkpoint is skipped with a
 * warning naming it and moved aside to a hidden `.invalid-<name>-<uuid>` folder (kept, so a later
 * run never takes it for its newest). Removes the `.tmp-` and `.trash-` folders left by a kill
 * during a write or a deletion.
 *
 * @param warn where warnings go (default `console.warn`)
 * @throws {CheckpointFileError} naming the folder and every checkpoint's fault when checkpoints
 *   exist but none is valid
 */
export async function loadLatestCheckpoint(
  dir: string,
  expect?: CheckpointExpectation,
  warn: (line: string) => void = console.warn,
): Promise<TrainerState | undefined> {
  try {
    for await (const e of Deno.readDir(dir)) {
      if (e.name.startsWith(".tmp-") || (e.name.startsWith(".") && e.name.includes(".trash-"))) {
        await Deno.remove(join(dir, e.name), { recursive: true });
      }
    }
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  }
  const all = await listCheckpoints(dir);
  const faults: string[] = [];
  for (let i = all.length - 1; i >= 0; i--) {
    try {
      const state = await loadCheckpoint(all[i].path);
      validateCheckpoint(all[i].path, state, expect);
      for (const invalid of all.slice(i + 1)) {
        const aside = join(dir, `.invalid-${invalid.path.slice(dir.length + 1)}-${crypto.randomUUID()}`);
        await Deno.rename(invalid.path, aside);
        warn(`warning: moved the invalid checkpoint ${invalid.path} aside to ${aside}`);
      }
      return state;
    } catch (e) {
      // Any fault of the files (torn JSON fields too) disqualifies the checkpoint; not permissions.
      if (e instanceof Deno.errors.PermissionDenied || e instanceof Deno.errors.NotCapable) throw e;
      faults.push((e as Error).message);
      warn(`warning: skipping the invalid checkpoint ${all[i].path}: ${(e as Error).message}`);
    }
  }
  if (!faults.length) return undefined;
  throw new CheckpointFileError(
    dir,
    `holds no valid checkpoint (${faults.join("; ")})`,
    "a checkpoint written by this run; start a new run (another --run) to train from scratch",
  );
}
