/**
 * Loading the bytes of a NIfTI file with a size limit that the header itself sets: the first bytes
 * (decompressed first for gzip) are handed to a callback that parses the header and returns the exact
 * file length it describes, and no more than that is read or inflated. A gzip bomb is therefore
 * refused after inflating at most that length (plus one streaming chunk), in bounded memory and time.
 *
 * Gzip: exactly one member (RFC 1952: header, raw deflate, CRC-32 and ISIZE), nothing after it;
 * concatenated members (bgzip, `cat a.gz b.gz`) and trailing garbage are refused, and the CRC-32
 * and length are verified.
 *
 * @module
 */
import { crc32, createInflateRaw } from "node:zlib";
import { NiftiError } from "./errors.ts";
import { NIFTI_HEAD_BYTES } from "./nifti_header.ts";

/** How {@link loadNiftiBytes} bounds what it reads. */
export interface NiftiSourceLimits {
  /**
   * Parses the header at the start of `head` (its first {@link NIFTI_HEAD_BYTES} bytes, or the whole
   * file when shorter) and returns the exact file length it describes in bytes; throws a typed error
   * for a bad header (or a length over the caller's limit).
   */
  expectedBytes: (head: Uint8Array) => number;
  /**
   * When true, bytes after the expected length are ignored (not read, not inflated, and for gzip the
   * CRC-32 is then not verified); when false they are refused.
   */
  allowTrailingBytes: boolean;
}

/** Output bytes per inflate step: memory above the expected length is at most this. */
const CHUNK_BYTES = 1 << 18;

function fail(name: string, problem: string, expected: string): never {
  throw new NiftiError(name, problem, expected);
}

function trailingError(name: string, expected: number, extra: string): NiftiError {
  return new NiftiError(
    name,
    `${extra} after the ${expected} bytes that the header describes (vox_offset + dim[1]*dim[2]*dim[3]*bitpix/8)`,
    "a file exactly as long as its header says (read with allowTrailingBytes: true to ignore extra bytes)",
  );
}

/**
 * The bytes of a NIfTI file, decompressed when they start with the gzip magic 1f 8b (the name is not
 * used), limited as `limits` says. Never returns more than `expectedBytes(head)` bytes; may return
 * fewer (a truncated file: the caller reports it).
 *
 * @param source a path or the file's bytes
 * @param name the file named in errors
 * @throws {NiftiError} naming the file when it is missing or unreadable, when it (or its inflated
 *   stream) is longer than the header says and trailing bytes are not allowed, when the gzip stream
 *   is corrupt, truncated, fails its CRC-32/ISIZE check or is followed by more data, and whatever
 *   `expectedBytes` throws
 */
export async function loadNiftiBytes(
  source: string | Uint8Array,
  name: string,
  limits: NiftiSourceLimits,
): Promise<Uint8Array> {
  if (typeof source !== "string") return await boundBytes(source, name, limits);
  let file: Deno.FsFile;
  try {
    file = await Deno.open(source, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) fail(name, "file not found", "an existing .nii or .nii.gz file");
    fail(name, `cannot read file: ${(e as Error).message}`, "a readable .nii or .nii.gz file");
  }
  try {
    const size = (await file.stat()).size;
    const head = await readUpTo(file, Math.min(size, NIFTI_HEAD_BYTES), name);
    if (isGzip(head)) {
      const all = new Uint8Array(size);
      all.set(head);
      all.set(await readUpTo(file, size - head.length, name), head.length);
      return await gunzipBounded(all, name, limits);
    }
    const expected = limits.expectedBytes(head);
    if (size > expected && !limits.allowTrailingBytes) {
      throw trailingError(name, expected, `${size - expected} bytes of trailing data`);
    }
    const out = new Uint8Array(Math.min(size, expected));
    out.set(head.subarray(0, out.length));
    if (out.length > head.length) out.set(await readUpTo(file, out.length - head.length, name), head.length);
    return out;
  } finally {
    file.close();
  }
}

function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Reads `n` bytes from the file's current position (fewer only if the file shrank meanwhile). */
async function readUpTo(file: Deno.FsFile, n: number, name: string): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let at = 0;
  try {
    while (at < n) {
      const got = await file.read(out.subarray(at));
      if (got === null) break;
      at += got;
    }
  } catch (e) {
    fail(name, `cannot read file: ${(e as Error).message}`, "a readable .nii or .nii.gz file");
  }
  return out.subarray(0, at);
}

async function boundBytes(bytes: Uint8Array, name: string, limits: NiftiSourceLimits): Promise<Uint8Array> {
  if (isGzip(bytes)) return await gunzipBounded(bytes, name, limits);
  const expected = limits.expectedBytes(bytes.subarray(0, NIFTI_HEAD_BYTES));
  if (bytes.length <= expected) return bytes;
  if (!limits.allowTrailingBytes) {
    throw trailingError(name, expected, `${bytes.length - expected} bytes of trailing data`);
  }
  return bytes.subarray(0, expected);
}

const GZIP_EXPECTED = "a complete gzip-compressed NIfTI file (one gzip member)";

/** Byte length of the gzip member header (RFC 1952 section 2.3) at the start of `gz`. */
function gzipHeaderLength(gz: Uint8Array, name: string): number {
  if (gz.length < 10) fail(name, `truncated gzip header: ${gz.length} bytes`, GZIP_EXPECTED);
  if (gz[2] !== 8) {
    fail(name, `unsupported gzip compression method ${gz[2]}`, `${GZIP_EXPECTED}, deflate (8)`);
  }
  const flags = gz[3];
  if (flags & 0xe0) fail(name, `reserved gzip flag bits set (flags ${flags})`, GZIP_EXPECTED);
  let pos = 10;
  if (flags & 4) {
    if (pos + 2 > gz.length) fail(name, "truncated gzip extra field", GZIP_EXPECTED);
    pos += 2 + (gz[pos] | (gz[pos + 1] << 8));
  }
  for (const bit of [8, 16]) { // FNAME, FCOMMENT: zero-terminated
    if (!(flags & bit)) continue;
    const zero = gz.indexOf(0, pos);
    if (zero < 0) fail(name, "truncated gzip file name or comment", GZIP_EXPECTED);
    pos = zero + 1;
  }
  if (flags & 2) pos += 2; // FHCRC
  if (pos >= gz.length) fail(name, "gzip stream ends inside its header", GZIP_EXPECTED);
  return pos;
}

/** A byte buffer that grows by doubling, never beyond a cap. */
class GrowingBytes {
  bytes: Uint8Array;
  length = 0;
  constructor(initial: number) {
    this.bytes = new Uint8Array(initial);
  }
  append(chunk: Uint8Array, cap: number): void {
    const need = this.length + chunk.length;
    if (need > this.bytes.length) {
      const grown = new Uint8Array(Math.min(cap, Math.max(need, 2 * this.bytes.length)));
      grown.set(this.bytes.subarray(0, this.length));
      this.bytes = grown;
    }
    this.bytes.set(chunk, this.length);
    this.length = need;
  }
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}

/**
 * Inflates one gzip member, stopping as soon as the output passes the length that the header (read
 * from the first inflated bytes) describes. Memory: at most that length plus one chunk.
 */
function gunzipBounded(gz: Uint8Array, name: string, limits: NiftiSourceLimits): Promise<Uint8Array> {
  const start = gzipHeaderLength(gz, name);
  const inflater = createInflateRaw({ chunkSize: CHUNK_BYTES });
  let expected: number | undefined;
  const out = new GrowingBytes(CHUNK_BYTES);
  return new Promise<Uint8Array>((resolve, reject) => {
    let settled = false;
    const settle = (error: unknown, value?: Uint8Array): void => {
      if (settled) return;
      settled = true;
      inflater.destroy();
      if (error) reject(error);
      else resolve(value as Uint8Array);
    };
    inflater.on("data", (chunk: Uint8Array) => {
      if (settled) return;
      try {
        if (expected === undefined) {
          out.append(chunk, Number.MAX_SAFE_INTEGER);
          if (out.length < NIFTI_HEAD_BYTES) return;
          expected = limits.expectedBytes(out.view());
          if (out.length > expected) return overflow(expected);
          return;
        }
        if (out.length + chunk.length > expected) {
          out.append(chunk.subarray(0, expected - out.length), expected);
          return overflow(expected);
        }
        out.append(chunk, expected);
      } catch (e) {
        settle(e);
      }
    });
    const overflow = (limit: number): void => {
      if (limits.allowTrailingBytes) settle(undefined, out.view().subarray(0, limit));
      else settle(trailingError(name, limit, "the gzip stream inflates to more data"));
    };
    inflater.on("error", (e: Error) => {
      settle(new NiftiError(name, `corrupt or truncated gzip stream (${e.message})`, GZIP_EXPECTED));
    });
    inflater.on("end", () => {
      if (settled) return;
      try {
        const data = out.view();
        if (expected === undefined) {
          expected = limits.expectedBytes(data);
          if (data.length > expected) return overflow(expected);
        }
        const consumed = (inflater as unknown as { bytesWritten: number }).bytesWritten;
        const trailer = start + consumed;
        if (gz.length < trailer + 8) {
          fail(name, `truncated gzip stream: ${gz.length - trailer} of 8 trailer bytes`, GZIP_EXPECTED);
        }
        const view = new DataView(gz.buffer, gz.byteOffset + trailer, 8);
        const crc = view.getUint32(0, true), isize = view.getUint32(4, true);
        if (isize !== data.length % 2 ** 32 || crc !== crc32(data)) {
          fail(name, "corrupt gzip stream: CRC-32 or length check failed", GZIP_EXPECTED);
        }
        if (gz.length > trailer + 8) {
          const more = isGzip(gz.subarray(trailer + 8)) ? "another gzip member" : "trailing garbage";
          fail(
            name,
            `${gz.length - trailer - 8} bytes after the gzip member (${more})`,
            `${GZIP_EXPECTED}, nothing after it`,
          );
        }
        settle(undefined, data);
      } catch (e) {
        settle(e);
      }
    });
    inflater.end(gz.subarray(start));
  });
}
