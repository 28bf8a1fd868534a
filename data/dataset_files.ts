/**
 * File-system helpers of dataset listing, whose failures are {@link DatasetError}s naming the path.
 *
 * @module
 */
import { join } from "node:path";
import { DatasetError } from "./errors.ts";

/** Throws {@link DatasetError} naming `dir` unless it is an existing folder. */
export async function requireDir(dir: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(dir);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(dir, "does not exist", "a dataset folder");
    throw e;
  }
  if (!info.isDirectory) throw new DatasetError(dir, "is not a folder", "a dataset folder");
}

/**
 * True when `path` exists (file, folder, or a link, even a dangling one: so that a run folder is
 * never overwritten through a link); file-system errors other than "not found" are thrown.
 */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return false;
    throw e;
  }
}

/** Files under `dir`, down to `depth` levels of subfolders (hidden entries skipped), as full paths. */
export async function walkFiles(dir: string, depth: number): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith(".")) continue;
    const path = join(dir, e.name);
    if (e.isFile) out.push(path);
    else if (e.isDirectory && depth > 0) out.push(...await walkFiles(path, depth - 1));
  }
  return out;
}

/**
 * The text of a file; a missing file is a {@link DatasetError}(`path`, `problem`, `expected`), other
 * file-system errors are thrown as they are.
 */
export async function readRequiredText(path: string, problem: string, expected: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) throw new DatasetError(path, problem, expected);
    throw e;
  }
}
