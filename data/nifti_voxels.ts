/**
 * NIfTI voxel datatypes and byte order, shared by the reader and the writer: which on-disk types are
 * supported, typed views of the voxels in host byte order, and in-place byte swapping.
 *
 * @module
 */
import { NiftiError } from "./errors.ts";

/** Voxel datatypes this reader supports (NIfTI codes 2, 256, 4, 512, 8, 768, 16, 64). */
export type NiftiDatatype =
  | "uint8"
  | "int8"
  | "int16"
  | "uint16"
  | "int32"
  | "uint32"
  | "float32"
  | "float64";

/** A supported datatype: its name, bytes per voxel, and a typed-array view constructor. */
export interface NiftiDatatypeSpec {
  /** The datatype's name. */
  name: NiftiDatatype;
  /** Bytes per voxel (1, 2, 4 or 8). */
  bytes: number;
  /** A typed array of `length` voxels over `buffer` from byte `offset` (which must be aligned). */
  make: (buffer: ArrayBufferLike, offset: number, length: number) => ArrayLike<number>;
}

const SUPPORTED: Record<number, NiftiDatatypeSpec> = {
  2: { name: "uint8", bytes: 1, make: (b, o, n) => new Uint8Array(b, o, n) },
  256: { name: "int8", bytes: 1, make: (b, o, n) => new Int8Array(b, o, n) },
  4: { name: "int16", bytes: 2, make: (b, o, n) => new Int16Array(b, o, n) },
  512: { name: "uint16", bytes: 2, make: (b, o, n) => new Uint16Array(b, o, n) },
  8: { name: "int32", bytes: 4, make: (b, o, n) => new Int32Array(b, o, n) },
  768: { name: "uint32", bytes: 4, make: (b, o, n) => new Uint32Array(b, o, n) },
  16: { name: "float32", bytes: 4, make: (b, o, n) => new Float32Array(b, o, n) },
  64: { name: "float64", bytes: 8, make: (b, o, n) => new Float64Array(b, o, n) },
};

/** Names of the other NIfTI datatype codes, for error messages. */
const UNSUPPORTED_NAMES: Map<number, string> = new Map(
  "0 none,1 binary,32 complex64,128 rgb24,1024 int64,1280 uint64,1536 float128,1792 complex128,2048 complex256,2304 rgba32"
    .split(",").map((pair) => [Number(pair.split(" ")[0]), pair.split(" ")[1]]),
);

const SUPPORTED_LIST = "one of uint8, int8, int16, uint16, int32, uint32, float32, float64";

/** True on little-endian hosts (all common ones); typed arrays use the host byte order. */
export const HOST_LITTLE_ENDIAN: boolean = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/**
 * The spec of a supported NIfTI datatype code.
 *
 * @param name the file named in errors
 * @throws {NiftiError} naming the file and the datatype for an unsupported code
 */
export function niftiDatatypeSpec(code: number, name: string): NiftiDatatypeSpec {
  const spec = SUPPORTED[code];
  if (!spec) {
    throw new NiftiError(
      name,
      `unsupported datatype ${code} (${UNSUPPORTED_NAMES.get(code) ?? "unknown"})`,
      SUPPORTED_LIST,
    );
  }
  return spec;
}

/** Reverses the byte order of every `width`-byte word of `bytes`, in place (width 1: no change). */
export function swapByteOrder(bytes: Uint8Array, width: number): void {
  if (width <= 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let lo = i, hi = i + width - 1; lo < hi; lo++, hi--) {
      const t = bytes[lo];
      bytes[lo] = bytes[hi];
      bytes[hi] = t;
    }
  }
}

/**
 * `count` voxels of type `spec` from byte `offset` of `bytes`, stored little- or big-endian, as a
 * typed array in host byte order: a view when the order matches and the offset is aligned (no copy),
 * else an aligned copy, byte-swapped when the order differs.
 */
export function voxelView(
  bytes: Uint8Array,
  offset: number,
  count: number,
  spec: NiftiDatatypeSpec,
  little: boolean,
): ArrayLike<number> {
  const start = bytes.byteOffset + offset;
  if (little === HOST_LITTLE_ENDIAN && start % spec.bytes === 0) {
    return spec.make(bytes.buffer, start, count);
  }
  // new Uint8Array(view) copies; slice() would not when `bytes` is a Node Buffer (swapped in place below).
  const copy = new Uint8Array(bytes.subarray(offset, offset + count * spec.bytes));
  if (little !== HOST_LITTLE_ENDIAN) swapByteOrder(copy, spec.bytes);
  return spec.make(copy.buffer, 0, count);
}
