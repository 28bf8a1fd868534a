/**
 * A cache of dense sliding-window scores across evaluations of the same classifier: the score of
 * every lattice window of a case, so that a second `deno task eval` (other methods, other mask
 * rules, another output folder) reads the dense map's scores instead of running the classifier on
 * every window again.
 *
 * An entry is keyed by the SHA-256 of the stable JSON of: the scorer key (the classifier's id and a
 * hash of every file of its checkpoint folder, {@link hashCheckpointFolder}), the case id, a hash of
 * the case's image voxels as evaluated (every channel, after intensity normalisation), the volume
 * shape, the window, the stride and the run's data settings (intensity, channels). Entry file
 * `<dir>/<key>.dense` (little-endian):
 *
 * | bytes | content |
 * | --- | --- |
 * | 8 | magic `SPDENSE1` |
 * | 4 | uint32 length H of the header |
 * | H | header JSON: the key's JSON text, score count, lattice shape, SHA-256 of the score bytes |
 * | 4 * count | the scores, Float32, in `latticeCorners` order |
 *
 * Entries are written atomically (data/atomic_write.ts). An entry that is truncated, corrupt, of
 * another key or count, or holds a score outside [0, 1] is never trusted: a warning names the file
 * and the scores are computed again (and the entry rewritten).
 *
 * @module
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { stableJson } from "../data/case_cache.ts";
import { volumeChannels } from "../data/channels.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";

/**
 * The folder, beside the run folder, where `deno task eval` keeps dense scores unless told otherwise
 * (`--dense-cache`): `runs/.dense-cache` for a run in `runs/`.
 */
export const DENSE_CACHE_FOLDER = ".dense-cache";

/** What a dense baseline reads its lattice scores from and stores them to (see `dense_baseline.ts`). */
export interface DenseScoreStore {
  /**
   * Every lattice score of `volume` for `window` and `stride` (`count` of them, in `latticeCorners`
   * order), or undefined when none is stored or the stored entry is not to be trusted.
   */
  load(volume: Volume, window: Vec3, stride: number, count: number): Promise<Float32Array | undefined>;
  /** Stores every lattice score of `volume` for `window` and `stride`. */
  save(volume: Volume, window: Vec3, stride: number, scores: Float32Array): Promise<void>;
}

/** Options of {@link DenseScoreCache}. */
export interface DenseScoreCacheOptions {
  /** The cache folder (created on the first write). */
  readonly dir: string;
  /** What identifies the scorer's weights (e.g. `<scorer id>:<checkpoint folder hash>`). */
  readonly scorerKey: string;
  /** Data settings the scores depend on (intensity, channels), JSON-like. Default none. */
  readonly settings?: unknown;
  /** Called with each warning (an entry ignored, a write that failed). Default `console.warn`. */
  readonly warn?: (message: string) => void;
  /** Called after each entry read and trusted, with the hits so far. */
  readonly onHit?: (hits: number) => void;
}

const MAGIC = new TextEncoder().encode("SPDENSE1");
const MAX_HEADER_BYTES = 1 << 20;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const sha256 = (bytes: Uint8Array | string): string => createHash("sha256").update(bytes).digest("hex");
const bytesOf = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** The header of an entry file. */
interface EntryHeader {
  readonly key: string;
  readonly count: number;
  readonly scoresSha256: string;
}

/**
 * A {@link DenseScoreStore} on disk (see the module doc). Counts what it did in `hits` (entries
 * read), `misses` (no entry, or one ignored), `rejected` (entries ignored) and `writes`.
 */
export class DenseScoreCache implements DenseScoreStore {
  /** The cache folder. */
  readonly dir: string;
  /** Entries read and trusted. */
  hits = 0;
  /** Loads that found no trusted entry. */
  misses = 0;
  /** Entries ignored (corrupt, truncated, of another key or count, or a bad score). */
  rejected = 0;
  /** Entries written. */
  writes = 0;
  readonly #scorerKey: string;
  readonly #settings: unknown;
  readonly #warn: (message: string) => void;
  readonly #onHit?: (hits: number) => void;
  readonly #imageHashes = new WeakMap<Volume, string>();
  #writable = true;

  /**
   * A cache in `options.dir`.
   * @throws {InvalidArgumentError} for an empty folder or scorer key, or settings JSON cannot hold
   */
  constructor(options: DenseScoreCacheOptions) {
    if (!(typeof options.dir === "string" && options.dir.length > 0)) {
      throw new InvalidArgumentError("--dense-cache", `is ${JSON.stringify(options.dir)}`, "a folder path");
    }
    if (!(typeof options.scorerKey === "string" && options.scorerKey.length > 0)) {
      throw new InvalidArgumentError(
        "scorerKey",
        `is ${JSON.stringify(options.scorerKey)}`,
        "a non-empty key",
      );
    }
    stableJson(options.settings ?? null, "settings"); // fails now, not at the first case
    this.dir = options.dir;
    this.#scorerKey = options.scorerKey;
    this.#settings = options.settings ?? null;
    this.#warn = options.warn ?? ((m) => console.warn(m));
    this.#onHit = options.onHit;
  }

  /** The key JSON of one entry (see the module doc). */
  keyText(volume: Volume, window: Vec3, stride: number): string {
    let image = this.#imageHashes.get(volume);
    if (image === undefined) {
      const hash = createHash("sha256");
      for (const channel of volumeChannels(volume)) hash.update(bytesOf(channel.data));
      image = hash.digest("hex");
      this.#imageHashes.set(volume, image);
    }
    return stableJson({
      format: 1,
      scorer: this.#scorerKey,
      case: volume.id,
      image,
      channels: volumeChannels(volume).length,
      shape: volume.shape,
      window,
      stride,
      settings: this.#settings,
    }, "key");
  }

  /** The entry file of a key text. */
  pathOf(keyText: string): string {
    return join(this.dir, `${sha256(keyText)}.dense`);
  }

  /** See {@link DenseScoreStore.load}; an untrusted entry is a warning and a miss. */
  async load(volume: Volume, window: Vec3, stride: number, count: number): Promise<Float32Array | undefined> {
    const key = this.keyText(volume, window, stride);
    const path = this.pathOf(key);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(path);
    } catch (e) {
      if (!(e instanceof Deno.errors.NotFound)) {
        this.#warn(`dense cache: ${path} unreadable (${e}); recomputing`);
      }
      this.misses++;
      return undefined;
    }
    const problem = LITTLE_ENDIAN ? undefined : "a big-endian machine reads no entry";
    const read = problem ? { problem } : parseEntry(bytes, key, count);
    if ("problem" in read) {
      this.#warn(
        `dense cache: ${path} ignored (${read.problem}); recomputing the dense scores of ${volume.id}`,
      );
      this.rejected++;
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.#onHit?.(this.hits);
    return read.scores;
  }

  /** See {@link DenseScoreStore.save}; a failed write is a warning (once), never an error. */
  async save(volume: Volume, window: Vec3, stride: number, scores: Float32Array): Promise<void> {
    if (!this.#writable || !LITTLE_ENDIAN) return;
    const key = this.keyText(volume, window, stride);
    const header = new TextEncoder().encode(
      JSON.stringify({ key, count: scores.length, scoresSha256: sha256(bytesOf(scores)) } as EntryHeader),
    );
    const length = new Uint8Array(4);
    new DataView(length.buffer).setUint32(0, header.length, true);
    try {
      await Deno.mkdir(this.dir, { recursive: true });
      await writeFileAtomic(this.pathOf(key), [MAGIC, length, header, bytesOf(scores)]);
      this.writes++;
    } catch (e) {
      this.#writable = false;
      this.#warn(`dense cache: cannot write into ${this.dir} (${e}); dense scores are not cached this run`);
    }
  }
}

/** The scores of an entry file, or the reason it is not to be trusted. */
function parseEntry(
  bytes: Uint8Array,
  key: string,
  count: number,
): { scores: Float32Array } | { problem: string } {
  if (bytes.length < 12 || !MAGIC.every((b, i) => bytes[i] === b)) {
    return { problem: "not a dense cache entry" };
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true);
  if (headerLength > MAX_HEADER_BYTES || 12 + headerLength > bytes.length) {
    return { problem: "truncated header" };
  }
  let header: EntryHeader;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(12, 12 + headerLength)),
    );
  } catch {
    return { problem: "corrupt header" };
  }
  if (header?.key !== key) return { problem: "another key" };
  if (header.count !== count) return { problem: `${header.count} scores for ${count} lattice windows` };
  const payload = bytes.slice(12 + headerLength);
  if (payload.length !== 4 * count) return { problem: `${payload.length} score bytes for ${count} windows` };
  if (sha256(payload) !== header.scoresSha256) return { problem: "checksum mismatch" };
  const scores = new Float32Array(payload.buffer, payload.byteOffset, count);
  for (const s of scores) if (!(s >= 0 && s <= 1)) return { problem: `a score ${s} outside [0, 1]` };
  return { scores };
}

/**
 * SHA-256 over every visible file of a checkpoint folder (sorted names, each name and its bytes),
 * as 64 hex digits: it changes when any weight, architecture or setting file changes.
 * @throws the file-system error when the folder cannot be read
 */
export async function hashCheckpointFolder(dir: string): Promise<string> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.isFile && !e.name.startsWith(".")) names.push(e.name);
  const hash = createHash("sha256");
  for (const name of names.sort()) {
    hash.update(`${name}\0`);
    hash.update(await Deno.readFile(join(dir, name)));
  }
  return hash.digest("hex");
}

/**
 * The dense cache of an evaluation whose classifier was loaded from the checkpoint folder
 * `classifierDir`: scorer key `<scorerId>:<folder hash>`. Its report note (how many dense maps were
 * read from the cache, whose seconds are then not the compute cost) is kept up to date in `notes`.
 * @throws the file-system error when the checkpoint folder cannot be read
 */
export async function openDenseScoreCache(options: {
  readonly dir: string;
  readonly classifierDir: string;
  readonly scorerId: string;
  readonly settings?: unknown;
  readonly notes: string[];
}): Promise<DenseScoreCache> {
  const folderHash = await hashCheckpointFolder(options.classifierDir);
  let at = -1;
  return new DenseScoreCache({
    dir: options.dir,
    scorerKey: `${options.scorerId}:${folderHash}`,
    settings: options.settings,
    onHit: (hits) => {
      const note =
        `Dense map: the lattice scores of ${hits} case evaluation(s) (val and test) were read from ` +
        `the dense cache ${options.dir} (same classifier, image, window, stride and intensity): their dense ` +
        "seconds are the time to read them, not the compute cost (--no-dense-cache recomputes).";
      if (at < 0) at = options.notes.push(note) - 1;
      else options.notes[at] = note;
    },
  });
}
