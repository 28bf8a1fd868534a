/**
 * Output folders a command owns, and the only way `--force` may replace one.
 *
 * Every output folder a command creates (a training run, a classifier run, an evaluation report, a
 * demo's frames) holds a marker file, `.spars-gym-folder.json`, naming its {@link OwnedFolderKind}.
 * A command's `--force` replaces an existing folder only when it is a folder, holds the marker of
 * that command's own kind, holds no run folder (of any command) below it, and is not locked by a
 * running process (see `folder_lock.ts`). Anything else (a file, a link, a folder without marker:
 * another program's data, a run's `checkpoints/`, a parent of runs; a folder of another kind: the
 * evaluated run itself, a classifier run) is refused with an {@link OwnedFolderError} that says
 * what the folder is and how to proceed. Nothing a command did not create is ever deleted.
 *
 * A new folder is built complete in a hidden temporary sibling (`.<name>.tmp-<uuid>`, marker first)
 * and then put in place by {@link commitOwnedFolder}: an old folder is renamed aside
 * (`.<name>.trash-<uuid>`), the new one renamed in, then the old one removed. A kill at any point
 * leaves either folder under its name or, between the two renames, the old one under its hidden
 * trash name: never nothing. Hidden leftovers of a kill are left for the user to inspect.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";
import { writeFileAtomic } from "./atomic_write.ts";
import { SparsGymError } from "./errors.ts";
import { acquireFolderLock, assertFolderUnlocked, type FolderLock } from "./folder_lock.ts";

/** Name of the marker file inside every folder a command created. */
export const OWNER_MARKER = ".spars-gym-folder.json";

/** Which command wrote a folder. */
export type OwnedFolderKind = "train-run" | "classifier-run" | "eval-report" | "demo-output";

/** What each kind of folder is, and the command that writes it (for messages). */
export const OWNED_FOLDER_KINDS: Readonly<Record<OwnedFolderKind, { what: string; command: string }>> = {
  "train-run": { what: "a training run folder", command: "deno task train" },
  "classifier-run": { what: "a classifier run folder", command: "deno task train:classifier" },
  "eval-report": { what: "an evaluation report folder", command: "deno task eval" },
  "demo-output": { what: "a demo output folder", command: "deno task demo" },
};

/** Kinds that are runs: a folder holding one of them is never replaced. */
const RUN_KINDS: readonly OwnedFolderKind[] = ["train-run", "classifier-run"];

/** An output path exists and may not be created or replaced (see the module doc). */
export class OwnedFolderError extends SparsGymError {}

/** Where a folder goes and whether it may replace an existing one. */
export interface OwnedTargetOptions {
  /** Replace an existing folder of the same kind (the command's `--force`). */
  readonly force?: boolean;
  /** The CLI flag that named the path (e.g. `--out`), for messages. */
  readonly flag: string;
}

/**
 * The kind recorded in `dir`'s marker file; undefined when there is none (or it is unreadable,
 * or not a marker of ours).
 */
export async function readFolderKind(dir: string): Promise<OwnedFolderKind | undefined> {
  try {
    const v = JSON.parse(await Deno.readTextFile(join(dir, OWNER_MARKER)));
    return v?.format === "spars-gym-folder" && v.kind in OWNED_FOLDER_KINDS ? v.kind : undefined;
  } catch {
    return undefined;
  }
}

/** Writes `dir`'s marker file (atomically). */
export async function writeOwnerMarker(dir: string, kind: OwnedFolderKind): Promise<void> {
  const marker = { format: "spars-gym-folder", version: 1, kind, createdAt: new Date().toISOString() };
  await writeFileAtomic(join(dir, OWNER_MARKER), JSON.stringify(marker, null, 2) + "\n");
}

/** A run folder somewhere below `dir` (not `dir` itself), or undefined. Links are not followed. */
async function nestedRun(dir: string): Promise<string | undefined> {
  const entries: Deno.DirEntry[] = [];
  try {
    for await (const e of Deno.readDir(dir)) entries.push(e);
  } catch {
    return undefined;
  }
  for (const e of entries) {
    if (!e.isDirectory) continue;
    const sub = join(dir, e.name);
    const kind = await readFolderKind(sub);
    if (kind && RUN_KINDS.includes(kind)) return sub;
    const deeper = await nestedRun(sub);
    if (deeper) return deeper;
  }
  return undefined;
}

/**
 * Checks, before any work, that `dir` may receive a new folder of `kind`: it does not exist
 * (`"absent"`), or `force` is set and it is a replaceable folder (`"replace"`, see the module doc).
 *
 * @throws {OwnedFolderError} naming the flag and path, saying what is there and how to proceed
 * @throws {FolderLockedError} when a running process holds the folder's lock
 */
export async function checkOwnedTarget(
  dir: string,
  kind: OwnedFolderKind,
  options: OwnedTargetOptions,
): Promise<"absent" | "replace"> {
  const source = `${options.flag} ${dir}`;
  const mine = OWNED_FOLDER_KINDS[kind];
  const stat = await Deno.lstat(dir).catch((e) => {
    if (e instanceof Deno.errors.NotFound) return undefined;
    throw e;
  });
  if (!stat) return "absent";
  const proceed = `another ${options.flag}, or delete it yourself`;
  if (!stat.isDirectory) {
    throw new OwnedFolderError(
      source,
      `is ${stat.isSymlink ? "a link" : "a file"}, not a folder written by ${mine.command}; ` +
        "it is never replaced, even with --force",
      proceed,
    );
  }
  const found = await readFolderKind(dir);
  if (!options.force) {
    const is = found ? ` (${OWNED_FOLDER_KINDS[found].what})` : "";
    const hint = found === kind ? `, or --force to replace it` : "";
    throw new OwnedFolderError(source, `already exists${is}`, `another ${options.flag}${hint}`);
  }
  if (!found) {
    throw new OwnedFolderError(
      source,
      `exists and was not written by ${mine.command} (it holds no ${OWNER_MARKER}); ` +
        "--force replaces only a folder the command wrote itself",
      proceed,
    );
  }
  if (found !== kind) {
    throw new OwnedFolderError(
      source,
      `is ${OWNED_FOLDER_KINDS[found].what} (written by ${OWNED_FOLDER_KINDS[found].command}); ` +
        `--force of ${mine.command} replaces only ${mine.what}`,
      proceed,
    );
  }
  const run = await nestedRun(dir);
  if (run) {
    throw new OwnedFolderError(
      source,
      `holds ${OWNED_FOLDER_KINDS[(await readFolderKind(run))!].what} (${run}); it is never replaced`,
      proceed,
    );
  }
  await assertFolderUnlocked(dir);
  return "replace";
}

/**
 * Creates the hidden temporary sibling in which a new folder of `kind` for `dir` is built, with
 * its marker file (parents are created). The caller fills it, then calls
 * {@link commitOwnedFolder}, or removes it on failure.
 * @returns the temporary folder
 */
export async function prepareOwnedFolder(dir: string, kind: OwnedFolderKind): Promise<string> {
  await Deno.mkdir(dirname(dir), { recursive: true });
  const temp = join(dirname(dir), `.${basename(dir)}.tmp-${crypto.randomUUID()}`);
  await Deno.mkdir(temp);
  await writeOwnerMarker(temp, kind);
  return temp;
}

/**
 * Removes a folder by renaming it to a hidden `.trash-` sibling first and deleting that, so that
 * the folder disappears from its name in one step (a kill mid-deletion leaves only the hidden
 * sibling). `prefix` is put before the name (default `.`, e.g. `.update-00000004.trash-<uuid>`).
 */
export async function removeFolderByRename(path: string, prefix = "."): Promise<void> {
  const trash = join(dirname(path), `${prefix}${basename(path)}.trash-${crypto.randomUUID()}`);
  await Deno.rename(path, trash);
  await Deno.remove(trash, { recursive: true });
}

/**
 * Puts the complete folder `temp` (from {@link prepareOwnedFolder}) in place at `dir`, replacing
 * an existing folder only as {@link checkOwnedTarget} allows (checked again now: the folder may
 * have changed while `temp` was built). While replacing, the old folder is locked, so a process
 * writing it is never pulled from under it.
 *
 * @throws {OwnedFolderError} or {FolderLockedError} as {@link checkOwnedTarget}; `temp` is left
 *   to the caller
 */
export async function commitOwnedFolder(
  temp: string,
  dir: string,
  kind: OwnedFolderKind,
  options: OwnedTargetOptions,
): Promise<void> {
  if ((await checkOwnedTarget(dir, kind, options)) === "absent") {
    await Deno.rename(temp, dir);
    return;
  }
  const lock = await acquireFolderLock(dir, `${OWNED_FOLDER_KINDS[kind].command} --force`);
  const trash = join(dirname(dir), `.${basename(dir)}.trash-${crypto.randomUUID()}`);
  try {
    await Deno.rename(dir, trash);
    lock.relocate(trash);
    try {
      await Deno.rename(temp, dir);
    } catch (e) {
      await Deno.rename(trash, dir);
      lock.relocate(dir);
      throw e;
    }
  } finally {
    await lock.release();
  }
  await Deno.remove(trash, { recursive: true });
}

/** Options of {@link createOwnedFolder}. */
export interface CreateOwnedFolderOptions extends OwnedTargetOptions {
  /** Writes the folder's first files into the temporary folder. */
  readonly fill?: (temp: string) => Promise<void>;
  /** Lock the new folder for this command (e.g. `deno task train`) before it appears. */
  readonly lock?: string;
}

/**
 * Creates `dir` as a folder of `kind` in one step: checks the target, builds the folder (marker,
 * `fill`, lock) in a temporary sibling, then commits it (see the module doc). On failure the
 * temporary folder is removed and an existing folder is untouched.
 * @returns the new folder's lock when `lock` was asked (the caller releases it)
 * @throws as {@link checkOwnedTarget}, plus the errors of `fill` and of the file system
 */
export async function createOwnedFolder(
  dir: string,
  kind: OwnedFolderKind,
  options: CreateOwnedFolderOptions,
): Promise<FolderLock | undefined> {
  await checkOwnedTarget(dir, kind, options);
  const temp = await prepareOwnedFolder(dir, kind);
  let lock: FolderLock | undefined;
  try {
    await options.fill?.(temp);
    if (options.lock) lock = await acquireFolderLock(temp, options.lock);
    await commitOwnedFolder(temp, dir, kind, options);
    lock?.relocate(dir);
    return lock;
  } catch (e) {
    await lock?.release();
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw e;
  }
}
