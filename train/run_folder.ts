/**
 * Run folders: where one training run writes everything.
 *
 * ```
 * <run>/config.json        every option of the run (written once, atomically)
 * <run>/metrics.jsonl      one JSON record per update, appended
 * <run>/checkpoints/       update-NNNNNNNN folders (see checkpoint.ts)
 * <run>/policy/            the final policy (see agents/policy_io.ts)
 * <run>/learning_curve.png
 * ```
 *
 * A run folder is created atomically (a temporary sibling holding `config.json` and the marker of
 * a training run, renamed into place: `data/owned_folder.ts`), so it either does not exist or has
 * its config. An existing folder is never overwritten without `force`, and even then only when it
 * is a training run folder this command wrote (it holds the marker) and no process holds its lock,
 * so a mistyped path cannot delete unrelated files. A training process locks its run folder
 * (`data/folder_lock.ts`): a second writer is refused.
 *
 * @module
 */
import { join } from "node:path";
import { SparsGymError } from "../data/errors.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { exists } from "../data/dataset_files.ts";
import { acquireFolderLock, type FolderLock } from "../data/folder_lock.ts";
import { createOwnedFolder } from "../data/owned_folder.ts";
import { withProvenance } from "./provenance.ts";

/** A run folder is missing, exists already, or holds something unexpected. */
export class RunFolderError extends SparsGymError {}

/** Paths of a run folder. */
export interface RunFolder {
  /** The folder. */
  readonly dir: string;
  /** `<dir>/config.json`. */
  readonly configPath: string;
  /** `<dir>/metrics.jsonl`. */
  readonly metricsPath: string;
  /** `<dir>/checkpoints`. */
  readonly checkpointsDir: string;
}

function paths(dir: string): RunFolder {
  return {
    dir,
    configPath: join(dir, "config.json"),
    metricsPath: join(dir, "metrics.jsonl"),
    checkpointsDir: join(dir, "checkpoints"),
  };
}

/** Writes `value` as indented JSON to `path` atomically (temporary file + rename). */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  await writeFileAtomic(path, JSON.stringify(value, null, 2) + "\n");
}

/**
 * Reads and parses a JSON file.
 * @throws {RunFolderError} naming the file when it is missing or not JSON
 */
export async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (e) {
    throw new RunFolderError(path, `cannot be read (${(e as Error).message})`, "an existing JSON file");
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new RunFolderError(path, `is not valid JSON (${(e as Error).message})`, "a JSON document");
  }
}

/**
 * A default run folder name under `root`: `<root>/<prefix>-YYYYMMDD-HHMMSS` (local time).
 * @param date the time stamp (default now)
 */
export function defaultRunDir(root: string, prefix: string, date: Date = new Date()): string {
  const p = (n: number) => String(n).padStart(2, "0");
  const stamp = `${date.getFullYear()}${p(date.getMonth() + 1)}${p(date.getDate())}-` +
    `${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
  return join(root, `${prefix}-${stamp}`);
}

/** What a training process writes into its run folder's lock file. */
export const TRAIN_LOCK_COMMAND = "deno task train";

/** A run folder with the lock this process holds on it (release it when done). */
export interface LockedRunFolder extends RunFolder {
  /** The lock; released by `await using` or {@link FolderLock.release}. */
  readonly lock: FolderLock;
}

/**
 * Creates a run folder holding `config.json`, an empty `metrics.jsonl` and the training-run
 * marker (atomically, see the module doc).
 *
 * @param dir the folder to create (its parent is created when missing)
 * @param config written to `config.json`
 * @param options `force`: replace an existing training run folder (see the module doc); `lock`:
 *   lock the new folder for this process before it appears (the result then has `lock`)
 * @throws {OwnedFolderError} when `dir` exists without `force`, or with `force` is not a
 *   replaceable training run folder (a file, a folder without marker, another command's folder)
 * @throws {FolderLockedError} when a running process holds the folder being replaced
 */
export async function createRunFolder(
  dir: string,
  config: unknown,
  options: { force?: boolean; lock?: boolean } = {},
): Promise<RunFolder & { lock?: FolderLock }> {
  const lock = await createOwnedFolder(dir, "train-run", {
    force: options.force,
    flag: "--run",
    lock: options.lock ? TRAIN_LOCK_COMMAND : undefined,
    fill: async (temp) => {
      await writeJsonAtomic(join(temp, "config.json"), await withProvenance(config));
      await Deno.writeTextFile(join(temp, "metrics.jsonl"), "");
    },
  });
  return lock ? { ...paths(dir), lock } : paths(dir);
}

/**
 * Opens an existing run folder.
 * @throws {RunFolderError} when it or its `config.json` is missing
 */
export async function openRunFolder(dir: string): Promise<RunFolder> {
  const p = paths(dir);
  if (!(await exists(p.configPath))) {
    throw new RunFolderError(dir, "has no config.json", "a run folder written by `deno task train`");
  }
  return p;
}

/**
 * Opens an existing run folder for writing (`--resume`) and locks it for this process.
 * @throws {RunFolderError} when it or its `config.json` is missing
 * @throws {FolderLockedError} naming the folder and the pid of the process writing it
 */
export async function openRunFolderLocked(dir: string): Promise<LockedRunFolder> {
  const p = await openRunFolder(dir);
  return { ...p, lock: await acquireFolderLock(dir, TRAIN_LOCK_COMMAND) };
}

/** Appends one record as a JSON line to `metrics.jsonl` (NaN and Infinity become null). */
export async function appendMetrics(run: RunFolder, record: Record<string, unknown>): Promise<void> {
  await Deno.writeTextFile(run.metricsPath, JSON.stringify(record) + "\n", { append: true, create: true });
}

/**
 * The records of `metrics.jsonl`, in order. A last line cut short by a kill is skipped; any other
 * unreadable line is an error.
 * @throws {RunFolderError} naming the file and line of a corrupt record
 */
export async function readMetrics(run: RunFolder): Promise<Record<string, unknown>[]> {
  if (!(await exists(run.metricsPath))) return [];
  const lines = (await Deno.readTextFile(run.metricsPath)).split("\n");
  const records: Record<string, unknown>[] = [];
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      records.push(JSON.parse(line));
    } catch {
      const isLast = lines.slice(i + 1).every((l) => !l.trim());
      if (!isLast) {
        throw new RunFolderError(
          `${run.metricsPath}:${i + 1}`,
          "is not a JSON record",
          "one JSON object per line",
        );
      }
    }
  });
  return records;
}

/**
 * Rewrites `metrics.jsonl` atomically keeping only the records `keep` accepts (a resumed run
 * drops the records written after its checkpoint). Returns the number of records kept.
 */
export async function truncateMetrics(
  run: RunFolder,
  keep: (record: Record<string, unknown>) => boolean,
): Promise<number> {
  const kept = (await readMetrics(run)).filter(keep);
  await writeFileAtomic(run.metricsPath, kept.map((r) => JSON.stringify(r) + "\n").join(""));
  return kept.length;
}
