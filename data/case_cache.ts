/**
 * An optional on-disk cache of decoded and preprocessed cases, so that a dataset is decoded and
 * resampled once and then read back at disk speed.
 *
 * Entry format (one file `<key>.case` per entry, little-endian):
 *
 * | bytes | content |
 * | --- | --- |
 * | 8 | magic `SPARSCC1` |
 * | 4 | uint32 length H of the header |
 * | H | header JSON (UTF-8): case id, presence, and per array id, shape, spacing, affine, byte length |
 * | 0-7 | zero padding to a multiple of 8 (aligned arrays) |
 * | 4 * voxels | image voxels, Float32 |
 * | voxels | label voxels, Uint8 (only when the case has labels) |
 * | 32 | SHA-256 of every byte before it |
 *
 * Entries are written to a temporary file in the same folder and renamed into place, so a reader
 * never sees a partial write. A truncated or corrupt entry (wrong length, bad checksum, bad header)
 * is reported as a miss and removed.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { writeFileAtomic } from "./atomic_write.ts";
import { InvalidArgumentError } from "./errors.ts";
import type { Case, Labels, Vec3, Volume } from "./types.ts";

const MAGIC = new TextEncoder().encode("SPARSCC1");
const DIGEST_BYTES = 32;
const KEY_PATTERN = /^[0-9a-f]{64}$/;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The parts a cache key is made of. */
export interface CaseCacheKeyParts {
  /** The source file path(s) of the case. */
  readonly path: string;
  /** A hash of the source files' bytes (see {@link CaseCache.hashFile}). */
  readonly contentHash: string;
  /** Preprocessing parameters and anything else the cached result depends on (JSON-like). */
  readonly params: unknown;
}

interface ArrayHeader {
  id: string;
  shape: number[];
  spacing: number[];
  affine: number[];
  byteLength: number;
}

interface EntryHeader {
  version: 1;
  id: string;
  presence: 0 | 1 | null;
  image: ArrayHeader;
  labels: ArrayHeader | null;
}

/**
 * JSON with object keys sorted at every level, so that equal values give equal text whatever the
 * key order. Throws {@link InvalidArgumentError} on values JSON cannot represent faithfully
 * (functions, symbols, bigints, non-finite numbers). `undefined` object members are omitted, as JSON does.
 */
export function stableJson(value: unknown, path = "params"): string {
  if (value === null) return "null";
  switch (typeof value) {
    case "string":
    case "boolean":
      return JSON.stringify(value);
    case "number":
      if (!Number.isFinite(value)) throw new InvalidArgumentError(path, `is ${value}`, "a finite number");
      return JSON.stringify(value);
    case "object": {
      if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
        return stableJson(Array.from(value as unknown as ArrayLike<number>), path);
      }
      if (Array.isArray(value)) return `[${value.map((v, i) => stableJson(v, `${path}[${i}]`)).join(",")}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${stableJson(obj[k], `${path}.${k}`)}`).join(",")}}`;
    }
    default:
      throw new InvalidArgumentError(
        path,
        `is a ${typeof value}`,
        "a JSON value (null, boolean, number, string, array, object)",
      );
  }
}

function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function arrayHeader(a: Volume | Labels, byteLength: number): ArrayHeader {
  return {
    id: a.id,
    shape: [...a.shape],
    spacing: [...a.spacing],
    affine: Array.from(a.affine),
    byteLength,
  };
}

function isVec3(v: unknown): v is number[] {
  return Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === "number" && Number.isFinite(x));
}

function validArrayHeader(h: unknown, bytesPerVoxel: number): h is ArrayHeader {
  if (typeof h !== "object" || h === null) return false;
  const a = h as Record<string, unknown>;
  return typeof a.id === "string" && isVec3(a.shape) && a.shape.every((n) => Number.isInteger(n) && n >= 0) &&
    isVec3(a.spacing) && Array.isArray(a.affine) && a.affine.length === 16 &&
    a.affine.every((x) => typeof x === "number") &&
    a.byteLength === a.shape[0] * a.shape[1] * a.shape[2] * bytesPerVoxel;
}

function validHeader(h: unknown): h is EntryHeader {
  if (typeof h !== "object" || h === null) return false;
  const e = h as Record<string, unknown>;
  return e.version === 1 && typeof e.id === "string" &&
    (e.presence === 0 || e.presence === 1 || e.presence === null) &&
    validArrayHeader(e.image, 4) && (e.labels === null || validArrayHeader(e.labels, 1));
}

const align8 = (n: number): number => (n + 7) & ~7;

/** The byte parts of an entry, in file order, without the trailing digest (views, not copies). */
function entryParts(c: Case): Uint8Array[] {
  const img = c.image.data;
  const imageBytes = new Uint8Array(img.buffer, img.byteOffset, img.byteLength);
  const header: EntryHeader = {
    version: 1,
    id: c.id,
    presence: c.presence ?? null,
    image: arrayHeader(c.image, imageBytes.length),
    labels: c.labels ? arrayHeader(c.labels, c.labels.data.byteLength) : null,
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const prefix = new Uint8Array(align8(12 + headerBytes.length));
  prefix.set(MAGIC, 0);
  new DataView(prefix.buffer).setUint32(8, headerBytes.length, true);
  prefix.set(headerBytes, 12);
  return c.labels ? [prefix, imageBytes, c.labels.data] : [prefix, imageBytes];
}

/** SHA-256 over several byte arrays as if concatenated (native, incremental: no concatenation). */
function digestOf(parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const p of parts) hash.update(p);
  return new Uint8Array(hash.digest());
}

/** Fills `buf` from the file; false when the file ends first. */
async function readExactly(file: Deno.FsFile, buf: Uint8Array): Promise<boolean> {
  let done = 0;
  while (done < buf.length) {
    const n = await file.read(buf.subarray(done));
    if (n === null) return false;
    done += n;
  }
  return true;
}

/**
 * Reads an entry straight into its final arrays (no whole-file buffer); undefined when it is
 * truncated, too long, corrupt or not an entry at all.
 */
async function readEntry(file: Deno.FsFile): Promise<Case | undefined> {
  const size = (await file.stat()).size;
  const start = new Uint8Array(12);
  if (size < 12 + DIGEST_BYTES || !(await readExactly(file, start))) return undefined;
  if (MAGIC.some((b, i) => start[i] !== b)) return undefined;
  const headerLength = new DataView(start.buffer).getUint32(8, true);
  if (12 + headerLength + DIGEST_BYTES > size) return undefined;
  const prefix = new Uint8Array(align8(12 + headerLength));
  prefix.set(start);
  if (!(await readExactly(file, prefix.subarray(12)))) return undefined;
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder("utf-8", { fatal: true }).decode(prefix.subarray(12, 12 + headerLength)),
    );
  } catch {
    return undefined;
  }
  if (!validHeader(header)) return undefined;
  const labelBytes = header.labels ? header.labels.byteLength : 0;
  if (size !== prefix.length + header.image.byteLength + labelBytes + DIGEST_BYTES) return undefined;
  const imageData = new Float32Array(header.image.byteLength / 4);
  const labelData = new Uint8Array(labelBytes);
  const parts = [prefix, new Uint8Array(imageData.buffer), labelData];
  const stored = new Uint8Array(DIGEST_BYTES);
  if (!(await readExactly(file, parts[1])) || !(await readExactly(file, labelData))) return undefined;
  if (!(await readExactly(file, stored))) return undefined;
  const digest = digestOf(parts);
  if (digest.some((b, i) => b !== stored[i])) return undefined;
  const image: Volume = {
    id: header.image.id,
    shape: header.image.shape as unknown as Vec3,
    spacing: header.image.spacing as unknown as Vec3,
    data: imageData,
    affine: Float64Array.from(header.image.affine),
  };
  const c: { id: string; image: Volume; labels?: Labels; presence?: 0 | 1 } = { id: header.id, image };
  if (header.labels) {
    c.labels = {
      id: header.labels.id,
      shape: header.labels.shape as unknown as Vec3,
      spacing: header.labels.spacing as unknown as Vec3,
      data: labelData,
      affine: Float64Array.from(header.labels.affine),
    };
  }
  if (header.presence !== null) c.presence = header.presence;
  return c;
}

/**
 * An on-disk cache of cases (typically preprocessed), one file per key in `dir`.
 *
 * Keys come from {@link CaseCache.key}: a SHA-256 over the source path, a hash of the source bytes
 * and the parameters, so a changed file or a changed preprocessing option is a different entry.
 * Stale entries are never deleted automatically; delete the folder to clear the cache.
 */
export class CaseCache {
  /** The cache folder (created on the first {@link CaseCache.put}). */
  readonly dir: string;

  /**
   * A cache whose entries live in `dir`.
   *
   * @param dir folder for the entries; created when the first entry is written
   */
  constructor(dir: string) {
    if (typeof dir !== "string" || dir.length === 0) {
      throw new InvalidArgumentError("dir", `is ${JSON.stringify(dir)}`, "a non-empty folder path");
    }
    this.dir = dir.replace(/\/+$/, "") || "/";
  }

  /**
   * The key of an entry: 64 lowercase hex digits, the SHA-256 of the stable JSON
   * ({@link stableJson}) of the parts. Equal parts (whatever their object key order) give equal keys.
   * Throws {@link InvalidArgumentError} when `params` holds a non-JSON value.
   */
  key(parts: CaseCacheKeyParts): string {
    const text = stableJson({
      path: parts.path,
      contentHash: parts.contentHash,
      params: parts.params ?? null,
    }, "key");
    return createHash("sha256").update(text).digest("hex");
  }

  /** The file of an entry. Throws {@link InvalidArgumentError} for a malformed key. */
  pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) {
      throw new InvalidArgumentError(
        "key",
        `is ${JSON.stringify(key)}`,
        "64 lowercase hex digits from CaseCache.key",
      );
    }
    return `${this.dir}/${key}.case`;
  }

  /**
   * The cached case, or undefined on a miss. A truncated or corrupt entry counts as a miss and is
   * removed. File-system errors other than "not found" are thrown.
   */
  async get(key: string): Promise<Case | undefined> {
    const path = this.pathOf(key);
    if (!LITTLE_ENDIAN) return undefined;
    let file: Deno.FsFile;
    try {
      file = await Deno.open(path, { read: true });
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
      throw e;
    }
    let c: Case | undefined;
    try {
      c = await readEntry(file);
    } finally {
      file.close();
    }
    if (c === undefined) {
      try {
        await Deno.remove(path);
      } catch (e) {
        if (!(e instanceof Deno.errors.NotFound)) throw e;
      }
    }
    return c;
  }

  /**
   * Stores a case under a key, atomically (a temporary file in the cache folder renamed into place).
   * The image data must be a Float32Array and the labels, if any, a Uint8Array of the same voxel count
   * as their shape, else {@link InvalidArgumentError}.
   */
  async put(key: string, c: Case): Promise<void> {
    const path = this.pathOf(key);
    if (!LITTLE_ENDIAN) return;
    checkArray(c.image, Float32Array, "case.image");
    if (c.labels) checkArray(c.labels, Uint8Array, "case.labels");
    const parts = entryParts(c);
    const digest = digestOf(parts);
    await Deno.mkdir(this.dir, { recursive: true });
    await writeFileAtomic(path, [...parts, digest]);
  }

  /** SHA-256 (crypto.subtle) of a file's bytes, as 64 lowercase hex digits. */
  static async hashFile(path: string): Promise<string> {
    const bytes = await Deno.readFile(path);
    return toHex(new Uint8Array(await crypto.subtle.digest("SHA-256", bytes)));
  }
}

function checkArray(
  a: Volume | Labels,
  type: Float32ArrayConstructor | Uint8ArrayConstructor,
  source: string,
): void {
  if (!(a.data instanceof type)) {
    throw new InvalidArgumentError(`${source}.data`, `is a ${a.data?.constructor?.name}`, `a ${type.name}`);
  }
  const n = a.shape[0] * a.shape[1] * a.shape[2];
  if (a.data.length !== n) {
    throw new InvalidArgumentError(
      `${source}.data`,
      `has ${a.data.length} values`,
      `${n} (shape ${a.shape.join("x")})`,
    );
  }
  if (a.affine.length !== 16) {
    throw new InvalidArgumentError(`${source}.affine`, `has ${a.affine.length} values`, "16 (a 4x4 matrix)");
  }
}
