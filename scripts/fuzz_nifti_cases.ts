/**
 * Test-case generation of the NIfTI fuzzer (`fuzz_nifti.ts`): valid base files written field by field
 * here (independent of the package's writer), then mutated: random byte flips, field-targeted
 * mutations (dims, datatype, bitpix, vox_offset, pixdim, scl_slope/inter, extensions, sizeof_hdr,
 * magic, qform/sform), truncations, trailing bytes, gzip wrapping with corrupt streams (flips,
 * truncation, trailing garbage, a second member) and gzip bombs. Case `i` of seed `s` is always the
 * same file.
 *
 * @module
 */
import { constants as zlibConstants, crc32, deflateRawSync, gzipSync } from "node:zlib";
import { Rng } from "../data/random.ts";

/** One generated input and what the reader must do with it. */
export interface FuzzCase {
  /** What was done to the base file (for reports). */
  kind: string;
  /** The bytes the reader gets (NIfTI, maybe gzip-wrapped, maybe corrupt). */
  bytes: Uint8Array;
  /** The uncompressed NIfTI bytes the reference decoder reads (the same as `bytes` when not gzip). */
  plain: Uint8Array;
  /** True when the gzip wrapping itself must be refused (truncated, trailing data, bomb). */
  gzipMustReject: boolean;
  /** True when the gzip stream was corrupted (flipped bytes): refusing is right, accepting must give `plain`. */
  gzipCorrupt: boolean;
  /** Passed to the reader as `allowTrailingBytes`. */
  allowTrailingBytes: boolean;
  /** Which reader: the intensity reader with a NaN policy, or the label reader. */
  reader: "error" | "zero" | "labels";
}

/** Supported datatype codes with their bytes per voxel, and a few unsupported codes. */
const TYPES: [number, number][] = [[2, 1], [256, 1], [4, 2], [512, 2], [8, 4], [768, 4], [16, 4], [64, 8]];
const OTHER_CODES = [0, 1, 32, 128, 1024, 1280, 1536, 1792, 2048, 2304, 3, 17, -1];

/** Header field: byte offset and storage for NIfTI-1 and NIfTI-2. */
type Kind = "i16" | "i32" | "i64" | "f32" | "f64";
interface Field {
  offset: number;
  kind: Kind;
}
const FIELDS: Record<1 | 2, Record<string, Field>> = {
  1: {
    dim: { offset: 40, kind: "i16" },
    datatype: { offset: 70, kind: "i16" },
    bitpix: { offset: 72, kind: "i16" },
    pixdim: { offset: 76, kind: "f32" },
    voxOffset: { offset: 108, kind: "f32" },
    slope: { offset: 112, kind: "f32" },
    inter: { offset: 116, kind: "f32" },
    qformCode: { offset: 252, kind: "i16" },
    sformCode: { offset: 254, kind: "i16" },
    quatern: { offset: 256, kind: "f32" },
    srow: { offset: 280, kind: "f32" },
  },
  2: {
    dim: { offset: 16, kind: "i64" },
    datatype: { offset: 12, kind: "i16" },
    bitpix: { offset: 14, kind: "i16" },
    pixdim: { offset: 104, kind: "f64" },
    voxOffset: { offset: 168, kind: "i64" },
    slope: { offset: 176, kind: "f64" },
    inter: { offset: 184, kind: "f64" },
    qformCode: { offset: 344, kind: "i32" },
    sformCode: { offset: 348, kind: "i32" },
    quatern: { offset: 352, kind: "f64" },
    srow: { offset: 400, kind: "f64" },
  },
};
const WIDTH: Record<Kind, number> = { i16: 2, i32: 4, i64: 8, f32: 4, f64: 8 };

function put(v: DataView, f: Field, index: number, value: number, le: boolean): void {
  const at = f.offset + index * WIDTH[f.kind];
  if (f.kind === "i16") v.setInt16(at, value, le);
  else if (f.kind === "i32") v.setInt32(at, value, le);
  else if (f.kind === "i64") v.setBigInt64(at, BigInt(Number.isFinite(value) ? Math.trunc(value) : 0), le);
  else if (f.kind === "f32") v.setFloat32(at, value, le);
  else v.setFloat64(at, value, le);
}

function get(v: DataView, f: Field, index: number, le: boolean): number {
  const at = f.offset + index * WIDTH[f.kind];
  if (f.kind === "i16") return v.getInt16(at, le);
  if (f.kind === "i32") return v.getInt32(at, le);
  if (f.kind === "i64") return Number(v.getBigInt64(at, le));
  return f.kind === "f32" ? v.getFloat32(at, le) : v.getFloat64(at, le);
}

const pick = <T>(rng: Rng, xs: readonly T[]): T => xs[rng.int(xs.length)];

/** A random valid single-file NIfTI: version, byte order, datatype, small dims, scaling, extensions. */
function baseFile(rng: Rng): { bytes: Uint8Array; version: 1 | 2; little: boolean } {
  const version: 1 | 2 = rng.float() < 0.8 ? 1 : 2, little = rng.float() < 0.8;
  const [code, width] = pick(rng, TYPES);
  const dims = [1 + rng.int(9), 1 + rng.int(9), 1 + rng.int(6)];
  const hsize = version === 1 ? 348 : 540;
  const extLen = rng.float() < 0.3 ? 16 * (1 + rng.int(4)) : 0;
  const voxOffset = hsize + 4 + extLen + (rng.float() < 0.1 && extLen === 0 ? 16 : 0);
  const count = dims[0] * dims[1] * dims[2];
  const out = new Uint8Array(voxOffset + count * width);
  const v = new DataView(out.buffer), f = FIELDS[version];
  v.setInt32(0, hsize, little);
  if (version === 1) out.set([0x6e, 0x2b, 0x31, 0], 344);
  else out.set([0x6e, 0x2b, 0x32, 0, 0x0d, 0x0a, 0x1a, 0x0a], 4);
  [3, ...dims, 1, 1, 1, 1].forEach((d, i) => put(v, f.dim, i, d, little));
  put(v, f.datatype, 0, code, little);
  put(v, f.bitpix, 0, width * 8, little);
  [rng.float() < 0.5 ? 1 : -1, ...dims.map(() => 0.5 + rng.int(8) / 2), 1].forEach((p, i) =>
    put(v, f.pixdim, i, p, little)
  );
  put(v, f.voxOffset, 0, voxOffset, little);
  const scaled = rng.float() < 0.3;
  put(v, f.slope, 0, scaled ? pick(rng, [2, 0.5, -1, 1e-3]) : pick(rng, [1, 0]), little);
  put(v, f.inter, 0, scaled ? pick(rng, [0, -1024, 3.5]) : 0, little);
  const xform = rng.int(3); // 0 none, 1 qform, 2 sform
  if (xform === 1) {
    put(v, f.qformCode, 0, 1, little);
    [0, 0.6, 0, 10, -20, 30].forEach((q, i) => put(v, f.quatern, i, q, little));
  } else if (xform === 2) {
    put(v, f.sformCode, 0, 2, little);
    [2, 0, 0, -5, 0, 1.5, 0, 4, 0, 0, 3, 9].forEach((s, i) => put(v, f.srow, i, s, little));
  }
  if (extLen > 0) {
    out[hsize] = 1;
    let at = hsize + 4;
    while (at < hsize + 4 + extLen) {
      const esize = 16 * (1 + rng.int((hsize + 4 + extLen - at) / 16));
      v.setInt32(at, esize, little);
      v.setInt32(at + 4, pick(rng, [4, 6, 32]), little);
      for (let i = at + 8; i < at + esize; i++) out[i] = 32 + rng.int(90);
      at += esize;
    }
  }
  for (let i = 0; i < count; i++) {
    const at = voxOffset + i * width;
    if (code === 16) {
      v.setFloat32(at, rng.float() < 0.02 ? pick(rng, [NaN, Infinity]) : rng.uniform(-2e3, 2e3), little);
    } else if (code === 64) v.setFloat64(at, rng.float() < 0.02 ? -Infinity : rng.uniform(-1e6, 1e6), little);
    else for (let b = 0; b < width; b++) out[at + b] = rng.float() < 0.7 ? 0 : rng.int(256);
  }
  return { bytes: out, version, little };
}

/** Interesting values per field, besides random ones and neighbours of the current value. */
const VALUES: Record<string, number[]> = {
  dim: [0, -1, 1, 2, 3, 4, 5, 8, 255, 32767, -32768],
  datatype: [...TYPES.map((t) => t[0]), ...OTHER_CODES],
  bitpix: [0, 1, 8, 16, 24, 32, 64, 128, -8],
  pixdim: [0, -1, NaN, Infinity, 1e-30, 1e30, 1, 2.5],
  voxOffset: [0, 348, 351, 352, 353, 356, 364, 368, 400, 540, 544, 1e9, -352, NaN, 352.5, Infinity],
  slope: [0, 1, -1, NaN, Infinity, -Infinity, 1e30, 1e-30, 3.4e38],
  inter: [0, 1, NaN, Infinity, -1e38, 1e30],
  qformCode: [0, 1, 2, 3, 4, 99, -1],
  sformCode: [0, 1, 2, 3, 4, 99, -1],
  quatern: [0, 1, -1, 2, NaN, Infinity, 0.7071],
  srow: [0, 1, NaN, Infinity, -1e30],
};
const FIELD_COUNT: Record<string, number> = { dim: 8, pixdim: 8, quatern: 6, srow: 12 };

/** One field-targeted mutation, in place; returns its label. */
function mutateField(rng: Rng, out: Uint8Array, version: 1 | 2, little: boolean): string {
  const v = new DataView(out.buffer, out.byteOffset, out.byteLength), hsize = version === 1 ? 348 : 540;
  const which = rng.int(14);
  if (which === 11) { // extension esize (or extender) at the first extension
    if (out.length < hsize + 12) return "ext-none";
    if (rng.float() < 0.3) {
      out[hsize] = out[hsize] === 0 ? 1 : 0;
      return "ext-flag";
    }
    const cur = v.getInt32(hsize + 4, little);
    v.setInt32(hsize + 4, pick(rng, [0, -16, 4, 8, 12, 16, 17, cur - 16, cur + 16, 1 << 30]), little);
    return "ext-esize";
  }
  if (which === 12) {
    v.setInt32(0, pick(rng, [0, 348, 540, 0x5c010000, 0x1c020000, rng.int(2 ** 31)]), rng.float() < 0.5);
    return "sizeof_hdr";
  }
  if (which === 13) {
    out[version === 1 ? 344 + rng.int(4) : 4 + rng.int(8)] = rng.int(256);
    return "magic";
  }
  const name = Object.keys(VALUES)[which];
  const f = FIELDS[version][name], index = rng.int(FIELD_COUNT[name] ?? 1);
  const cur = get(v, f, index, little);
  const value = rng.float() < 0.6
    ? pick(rng, VALUES[name])
    : rng.float() < 0.5
    ? cur + pick(rng, [-16, -4, -1, 1, 4, 16])
    : Math.round(rng.uniform(-1e5, 1e5));
  put(v, f, index, value, little);
  return name;
}

/**
 * A gzip member whose content is `prefix` then `zeroBytes` zero bytes, built without compressing
 * the zeros (one compressed MiB of zeros is repeated): a 4 GiB bomb costs ~4 MB and ~0.2 s. With
 * `validTrailer` false the CRC-32 is left 0 (a reader must stop long before it).
 */
export function gzipBomb(prefix: Uint8Array, zeroBytes: number, validTrailer = true): Uint8Array {
  const MIB = 1 << 20, flush = { finishFlush: zlibConstants.Z_SYNC_FLUSH };
  const zeros = new Uint8Array(MIB);
  const whole = Math.floor(zeroBytes / MIB), rest = zeroBytes - whole * MIB;
  const head = deflateRawSync(prefix, flush), block = deflateRawSync(zeros, flush);
  const tail = deflateRawSync(new Uint8Array(rest), flush), last = deflateRawSync(new Uint8Array(0));
  const out = new Uint8Array(10 + head.length + whole * block.length + tail.length + last.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 255]);
  let at = 10;
  for (const part of [head, ...Array(whole).fill(block), tail, last]) {
    out.set(part, at);
    at += part.length;
  }
  let crc = 0;
  if (validTrailer) {
    crc = crc32(prefix);
    for (let i = 0; i < whole; i++) crc = crc32(zeros, crc);
    crc = crc32(zeros.subarray(0, rest), crc);
  }
  const view = new DataView(out.buffer, at);
  view.setUint32(0, crc, true);
  view.setUint32(4, (prefix.length + zeroBytes) % 2 ** 32, true);
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Case `index` of the run seeded `seed` (deterministic).
 * @param maxBombMiB largest gzip bomb, MiB of zeros after the header (bombs are 1% of cases)
 */
export function makeCase(seed: number, index: number, maxBombMiB = 4096): FuzzCase {
  const rng = new Rng((seed * 1_000_003 + index) % 2 ** 32);
  const base = baseFile(rng);
  let plain = base.bytes;
  const kinds: string[] = [];
  const reader = pick(rng, ["error", "error", "zero", "labels"] as const);
  const roll = rng.float();
  if (roll < 0.01) { // gzip bomb over a valid small header
    const zeros = Math.min(maxBombMiB, pick(rng, [1, 16, 256, 1024, 4096])) * 2 ** 20;
    const bytes = gzipBomb(plain, zeros, rng.float() < 0.5);
    return {
      kind: `bomb-${zeros / 2 ** 20}MiB`,
      bytes,
      plain,
      gzipMustReject: true,
      gzipCorrupt: false,
      allowTrailingBytes: false,
      reader,
    };
  }
  if (roll < 0.45) {
    for (let k = 1 + rng.int(3); k > 0; k--) kinds.push(mutateField(rng, plain, base.version, base.little));
  } else if (roll < 0.7) {
    const n = 1 + rng.int(8), span = rng.float() < 0.8 ? Math.min(plain.length, 600) : plain.length;
    for (let k = 0; k < n; k++) plain[rng.int(span)] = rng.int(256);
    kinds.push(`flip${n}`);
  } else if (roll < 0.8) {
    plain = plain.subarray(0, rng.int(plain.length));
    kinds.push("truncate");
  } else if (roll < 0.86) {
    plain = concat(plain, new Uint8Array(1 + rng.int(64)).fill(rng.int(256)));
    kinds.push("trailing");
  } else {
    kinds.push("valid");
  }
  const allowTrailingBytes = rng.float() < 0.1;
  if (rng.float() >= 0.3) {
    return {
      kind: kinds.join("+"),
      bytes: plain,
      plain,
      gzipMustReject: false,
      gzipCorrupt: false,
      allowTrailingBytes,
      reader,
    };
  }
  // gzip-wrapped, maybe corrupt (a corrupt stream is never read with allowTrailingBytes: see the script)
  let gz: Uint8Array = new Uint8Array(gzipSync(plain));
  const g = rng.int(8);
  let gzipMustReject = false;
  if (g === 1) {
    for (let k = 1 + rng.int(3); k > 0; k--) gz[rng.int(gz.length)] = rng.int(256);
    kinds.push("gz-flip");
  } else if (g === 2) {
    gz = gz.subarray(0, rng.int(gz.length));
    gzipMustReject = true;
    kinds.push("gz-truncate");
  } else if (g === 3) {
    gz = concat(
      gz,
      rng.float() < 0.5 ? new Uint8Array(gzipSync(new Uint8Array(rng.int(32)))) : Uint8Array.of(rng.int(256)),
    );
    gzipMustReject = true;
    kinds.push("gz-trailing");
  } else {
    kinds.push("gz");
  }
  const corrupt = g >= 1 && g <= 3;
  return {
    kind: kinds.join("+"),
    bytes: gz,
    plain,
    gzipMustReject,
    gzipCorrupt: g === 1,
    allowTrailingBytes: allowTrailingBytes && !corrupt,
    reader,
  };
}
