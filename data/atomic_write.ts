/**
 * Atomic file writes: the bytes go to a temporary file in the destination's folder, which is then
 * renamed over the destination. A rename within one folder (one file system) replaces the file in a
 * single step, so a reader, or a run killed mid-write, sees either the old file or the complete new
 * one, never a partial file.
 *
 * @module
 */
import { basename, dirname, join } from "node:path";

/**
 * A fresh temporary path beside `path`: hidden (dataset scans skip dot files), unique per call (a
 * random UUID, so concurrent writers of one destination never share a temporary file).
 */
function temporaryPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${crypto.randomUUID()}.tmp`);
}

async function writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let done = 0;
  while (done < bytes.length) done += await file.write(bytes.subarray(done));
}

/**
 * Writes a file atomically: `data` goes to a new temporary file in the same folder as `path`
 * (`.<name>.<uuid>.tmp`), which is then renamed over `path`. Readers never see a partial file and
 * an interrupted write leaves the previous file intact. The folder must exist.
 *
 * @param path destination; an existing file there is replaced
 * @param data the content: bytes, a string (written as UTF-8), or several byte arrays written one
 *   after the other as if concatenated (so large parts, e.g. voxel arrays, are not copied)
 * @throws the file-system error (e.g. `Deno.errors.NotFound` when the folder is missing); the
 *   temporary file is removed first, so a failed write leaves nothing behind
 */
export async function writeFileAtomic(
  path: string,
  data: Uint8Array | string | readonly Uint8Array[],
): Promise<void> {
  const parts = typeof data === "string"
    ? [new TextEncoder().encode(data)]
    : data instanceof Uint8Array
    ? [data]
    : data;
  const temporary = temporaryPathFor(path);
  let created = false;
  try {
    // createNew: never write into a file this call did not create.
    const file = await Deno.open(temporary, { write: true, createNew: true });
    created = true;
    try {
      for (const part of parts) await writeAll(file, part);
    } finally {
      file.close();
    }
    await Deno.rename(temporary, path);
  } catch (e) {
    if (created) await Deno.remove(temporary).catch(() => {});
    throw e;
  }
}
