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
 * A run folder is created atomically (a temporary sibling holding `config.json`, renamed into
 * place), so it either does not exist or has its config. An existing folder is never overwritten
 * without `force`, and even then only when it looks like a run folder (it holds `config.json`) or
 * is empty, so a mistyped path cannot delete unrelated files.
 *
 * @module
 */
import { dirname, join } from "node:path";
import { SparsGymError } from "../data/errors.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { exists } from "../data/dataset_files.ts";

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

/**
 * Creates a run folder holding `config.json` (atomically, see the module doc) and an empty
 * `metrics.jsonl`.
 *
 * @param dir the folder to create (its parent is created when missing)
 * @param config written to `config.json`
 * @param options `force`: replace an existing run folder (or an empty folder)
 * @throws {RunFolderError} when `dir` exists without `force`, or exists with `force` but is
 *   neither a run folder nor empty
 */
export async function createRunFolder(
  dir: string,
  config: unknown,
  options: { force?: boolean } = {},
): Promise<RunFolder> {
  const p = paths(dir);
  if (await exists(dir)) {
    if (!options.force) {
      throw new RunFolderError(dir, "already exists", "a new run folder, or --force to overwrite it");
    }
    const entries = [];
    for await (const e of Deno.readDir(dir)) entries.push(e.name);
    if (entries.length && !entries.includes("config.json")) {
      throw new RunFolderError(
        dir,
        "exists and is not a run folder (no config.json); refusing to delete it",
        "a run folder or an empty folder to overwrite",
      );
    }
  }
  await Deno.mkdir(dirname(dir), { recursive: true });
  const tmp = `${dir}.tmp-${crypto.randomUUID()}`;
  await Deno.mkdir(tmp);
  try {
    await writeJsonAtomic(join(tmp, "config.json"), config);
    await Deno.writeTextFile(join(tmp, "metrics.jsonl"), "");
    if (await exists(dir)) await Deno.remove(dir, { recursive: true });
    await Deno.rename(tmp, dir);
  } catch (e) {
    await Deno.remove(tmp, { recursive: true }).catch(() => {});
    throw e;
  }
  return p;
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
