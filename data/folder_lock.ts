/**
 * Exclusive locks on output folders, so that two processes never write one run folder at once
 * (a second `deno task train --resume` while the first still runs would interleave and duplicate
 * the lines of `metrics.jsonl`).
 *
 * A lock is the file `<dir>/.spars-gym.lock`, created with `createNew` and holding, as JSON, the
 * pid, the start time and the command of its holder (to name them in errors). The holder also keeps
 * the file open with an exclusive OS advisory lock (`flock`, {@link Deno.FsFile.tryLock}), which
 * the kernel releases when the process ends, whatever the way (exit, error, SIGKILL). That is the
 * stale-lock detection: a lock file whose advisory lock can be taken belongs to a process that no
 * longer runs (a pid reused by another program does not fool it), and the next writer takes it
 * over. (Probing `/proc/<pid>` is not an option: Deno 2 allows reading `/proc` only with
 * `--allow-all`, and `Deno.kill(pid, 0)` needs `--allow-run`; the tasks grant neither.)
 *
 * A normal end ({@link FolderLock.release}, or `await using`) removes the file; a killed holder
 * leaves it behind, stale and harmless.
 *
 * @module
 */
import { join } from "node:path";
import { SparsGymError } from "./errors.ts";

/** Name of the lock file inside a locked folder. */
export const LOCK_FILE = ".spars-gym.lock";

/** Who holds a lock (the content of the lock file). */
export interface LockHolder {
  /** Process id of the holder. */
  readonly pid: number;
  /** When the holder took the lock (ISO 8601). */
  readonly startedAt: string;
  /** What the holder runs, e.g. `deno task train`. */
  readonly command: string;
}

/** A folder is locked by another running process (or could not be locked). */
export class FolderLockedError extends SparsGymError {
  /** The holder, when its lock file could be read. */
  readonly holder?: LockHolder;
  /**
   * Creates the error; see the class documentation.
   * @param dir the locked folder
   * @param holder the holder, when known
   */
  constructor(dir: string, holder: LockHolder | undefined) {
    const who = holder
      ? `process ${holder.pid} (${holder.command}, started ${holder.startedAt})`
      : "another running process";
    super(
      dir,
      `is in use: locked by ${who}`,
      `that process to end first (or stop it), or another folder; if no such process runs, ` +
        `delete ${join(dir, LOCK_FILE)} yourself`,
    );
    this.holder = holder;
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text);
    if (Number.isInteger(v?.pid) && typeof v.startedAt === "string" && typeof v.command === "string") {
      return { pid: v.pid, startedAt: v.startedAt, command: v.command };
    }
  } catch {
    // an empty or torn lock file: holder unknown
  }
  return undefined;
}

async function readHolder(file: Deno.FsFile): Promise<LockHolder | undefined> {
  await file.seek(0, Deno.SeekMode.Start);
  const chunks: Uint8Array[] = [];
  const buffer = new Uint8Array(4096);
  for (let n = await file.read(buffer); n !== null; n = await file.read(buffer)) {
    chunks.push(buffer.slice(0, n));
  }
  const bytes = new Uint8Array(chunks.reduce((s, c) => s + c.length, 0));
  let at = 0;
  for (const c of chunks) bytes.set(c, (at += c.length) - c.length);
  return parseHolder(new TextDecoder().decode(bytes));
}

/**
 * The holder of a lock another process holds. It writes its entry just after taking the lock, so
 * an empty entry is retried briefly (up to ~0.5 s) before the holder is reported as unknown.
 */
async function readLiveHolder(file: Deno.FsFile): Promise<LockHolder | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const holder = await readHolder(file).catch(() => undefined);
    if (holder) return holder;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return undefined;
}

async function writeHolder(file: Deno.FsFile, holder: LockHolder): Promise<void> {
  const bytes = new TextEncoder().encode(JSON.stringify(holder) + "\n");
  await file.truncate(0);
  await file.seek(0, Deno.SeekMode.Start);
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/** A held lock (see the module doc). Release it with {@link FolderLock.release} or `await using`. */
export class FolderLock implements AsyncDisposable {
  #dir: string;
  #file: Deno.FsFile | undefined;
  /** This process's entry in the lock file. */
  readonly holder: LockHolder;
  /** The holder of a stale lock this one replaced (a process that ended without releasing it). */
  readonly replacedStale?: LockHolder | null;

  /** Use {@link acquireFolderLock}. */
  constructor(dir: string, file: Deno.FsFile, holder: LockHolder, replacedStale?: LockHolder | null) {
    this.#dir = dir;
    this.#file = file;
    this.holder = holder;
    this.replacedStale = replacedStale;
  }

  /** The locked folder. */
  get dir(): string {
    return this.#dir;
  }

  /** True until released. */
  get held(): boolean {
    return this.#file !== undefined;
  }

  /**
   * Records that the holder renamed the locked folder to `dir` (the lock file moved with it; the
   * OS lock, held on the open file, is unaffected).
   */
  relocate(dir: string): void {
    this.#dir = dir;
  }

  /**
   * Releases the lock: removes the lock file (when it is still this lock's file) and closes it,
   * which drops the OS lock. Idempotent; never throws.
   */
  async release(): Promise<void> {
    const file = this.#file;
    if (!file) return;
    this.#file = undefined;
    try {
      const path = join(this.#dir, LOCK_FILE);
      const [mine, there] = [await file.stat(), await Deno.lstat(path)];
      if (mine.ino === there.ino) await Deno.remove(path);
    } catch {
      // the folder or file is already gone: nothing to remove
    } finally {
      file.close();
    }
  }

  /** Same as {@link FolderLock.release}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.release();
  }
}

/**
 * Takes the exclusive lock of `dir` (an existing folder), or takes over a stale one.
 *
 * @param dir the folder to lock
 * @param command what the holder runs, written into the lock file (e.g. `deno task train`)
 * @returns the held lock
 * @throws {FolderLockedError} naming the folder and the pid of the live holder
 * @throws the file-system error when `dir` is missing or not writable
 */
export async function acquireFolderLock(dir: string, command: string): Promise<FolderLock> {
  const path = join(dir, LOCK_FILE);
  const holder: LockHolder = { pid: Deno.pid, startedAt: new Date().toISOString(), command };
  for (let attempt = 0; attempt < 8; attempt++) {
    let file: Deno.FsFile | undefined;
    try {
      file = await Deno.open(path, { read: true, write: true, createNew: true });
    } catch (e) {
      if (!(e instanceof Deno.errors.AlreadyExists)) throw e;
    }
    if (file) {
      // Another process may have opened the new file and locked it first: then it is the holder.
      if (!(await file.tryLock(true))) {
        const other = await readLiveHolder(file);
        file.close();
        throw new FolderLockedError(dir, other);
      }
      await writeHolder(file, holder);
      return new FolderLock(dir, file, holder);
    }
    // The file exists: held by a live process, or stale.
    try {
      file = await Deno.open(path, { read: true, write: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) continue; // released meanwhile: try again
      throw e;
    }
    if (!(await file.tryLock(true))) {
      const other = await readLiveHolder(file);
      file.close();
      throw new FolderLockedError(dir, other);
    }
    // Locked: but the file may have been removed (released) since we opened it.
    const there = await Deno.lstat(path).catch(() => undefined);
    if (!there || there.ino !== (await file.stat()).ino) {
      file.close();
      continue;
    }
    const stale = (await readHolder(file).catch(() => undefined)) ?? null;
    await writeHolder(file, holder);
    return new FolderLock(dir, file, holder, stale);
  }
  throw new FolderLockedError(dir, undefined);
}

/**
 * Checks that no running process holds `dir`'s lock (no lock file, or a stale one). Reads only;
 * takes nothing.
 * @throws {FolderLockedError} naming the folder and the pid of the live holder
 */
export async function assertFolderUnlocked(dir: string): Promise<void> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(join(dir, LOCK_FILE), { read: true });
  } catch {
    return; // no lock file (or not readable as one): not locked
  }
  try {
    if (await file.tryLock(true)) {
      await file.unlock();
      return;
    }
    throw new FolderLockedError(dir, await readLiveHolder(file));
  } finally {
    file.close();
  }
}
