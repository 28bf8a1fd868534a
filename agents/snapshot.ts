/**
 * Named float32 weight sets and their binary file format, used for policy checkpoints, optimizer
 * state and the opponent pool. Weight sets live in plain typed arrays (not tensors), so a pool of
 * snapshots costs no tfjs memory and a snapshot can never alias a live network's variables.
 *
 * File layout (`.bin`): the 8 ASCII bytes `SPRSWTS1`, a uint32 little-endian header length `h`,
 * `h` bytes of UTF-8 JSON (padded with spaces to a multiple of 4), then every tensor's float32
 * little-endian values back to back. The header lists each tensor's name, shape, offset and length
 * (in floats), a CRC-32 of the value bytes, and free-form `meta`.
 *
 * @module
 */
import { InvalidArgumentError, SparsGymError } from "../data/errors.ts";
import { writeFileAtomic } from "../data/atomic_write.ts";
import { crc32 } from "../env/png.ts";

/** One named tensor's values, row-major in its shape. */
export interface NamedWeight {
  /** Unique name within its set (e.g. `policy/conv1/kernel`). */
  readonly name: string;
  /** Shape (tfjs layout; conv kernels are [kz, ky, kx, in, out]). */
  readonly shape: readonly number[];
  /** Values; length = product of `shape`. */
  readonly values: Float32Array;
}

/** A weight file is missing, truncated, corrupt or of another format. */
export class WeightsFileError extends SparsGymError {}

const MAGIC = "SPRSWTS1";
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Number of values of a shape (1 for a scalar `[]`). */
export function shapeSize(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Deep copy of a weight set (new typed arrays). */
export function cloneWeights(weights: readonly NamedWeight[]): NamedWeight[] {
  return weights.map((w) => ({ name: w.name, shape: [...w.shape], values: new Float32Array(w.values) }));
}

/** True when both sets have the same names, shapes and bit-identical values, in order. */
export function weightsEqual(a: readonly NamedWeight[], b: readonly NamedWeight[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i], y = b[i];
    if (x.name !== y.name || x.shape.join(",") !== y.shape.join(",")) return false;
    const xb = new Uint32Array(x.values.buffer, x.values.byteOffset, x.values.length);
    const yb = new Uint32Array(y.values.buffer, y.values.byteOffset, y.values.length);
    if (xb.length !== yb.length) return false;
    for (let k = 0; k < xb.length; k++) if (xb[k] !== yb[k]) return false;
  }
  return true;
}

function checkSet(weights: readonly NamedWeight[], source: string): void {
  const seen = new Set<string>();
  for (const w of weights) {
    if (!w.name || seen.has(w.name)) {
      throw new InvalidArgumentError(
        source,
        `has an empty or repeated weight name '${w.name}'`,
        "unique names",
      );
    }
    seen.add(w.name);
    if (!w.shape.every((d) => Number.isInteger(d) && d >= 0) || shapeSize(w.shape) !== w.values.length) {
      throw new InvalidArgumentError(
        `${source} weight ${w.name}`,
        `has ${w.values.length} values for shape [${w.shape.join(", ")}]`,
        "as many values as the shape holds",
      );
    }
  }
}

/**
 * Encodes a weight set and free-form JSON `meta` into the `.bin` layout described in the module doc.
 * @throws {InvalidArgumentError} on repeated names or values that do not match their shapes
 */
export function encodeWeights(weights: readonly NamedWeight[], meta: unknown = {}): Uint8Array {
  if (!LITTLE_ENDIAN) throw new WeightsFileError("platform", "is big-endian", "a little-endian platform");
  checkSet(weights, "weights");
  let offset = 0;
  const tensors = weights.map((w) => {
    const entry = { name: w.name, shape: [...w.shape], offset, length: w.values.length };
    offset += w.values.length;
    return entry;
  });
  const data = new Uint8Array(offset * 4);
  let at = 0;
  for (const w of weights) {
    data.set(new Uint8Array(w.values.buffer, w.values.byteOffset, w.values.byteLength), at);
    at += w.values.byteLength;
  }
  let header = new TextEncoder().encode(JSON.stringify({ format: MAGIC, tensors, crc32: crc32(data), meta }));
  const padded = new Uint8Array(Math.ceil(header.length / 4) * 4).fill(0x20);
  padded.set(header);
  header = padded;
  const out = new Uint8Array(12 + header.length + data.length);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  out.set(data, 12 + header.length);
  return out;
}

/**
 * Decodes bytes written by {@link encodeWeights}; every tensor gets its own copy of the values.
 * @param source file name (or other origin) used in error messages
 * @throws {WeightsFileError} on a wrong magic, a truncated file, a bad header or a CRC mismatch
 */
export function decodeWeights(bytes: Uint8Array, source: string): { weights: NamedWeight[]; meta: unknown } {
  if (bytes.length < 12 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new WeightsFileError(source, "does not start with SPRSWTS1", "a spars-gym weights file");
  }
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(8, true);
  if (12 + headerLength > bytes.length) {
    throw new WeightsFileError(
      source,
      "is truncated inside its header",
      `${12 + headerLength} bytes at least`,
    );
  }
  let header: {
    tensors: { name: string; shape: number[]; offset: number; length: number }[];
    crc32: number;
    meta: unknown;
  };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + headerLength)));
    if (!Array.isArray(header.tensors)) throw new Error("no tensor list");
  } catch (e) {
    throw new WeightsFileError(source, `has an unreadable header (${(e as Error).message})`, "a JSON header");
  }
  const data = bytes.subarray(12 + headerLength);
  const floats = header.tensors.reduce((n, t) => n + t.length, 0);
  if (data.length !== floats * 4) {
    throw new WeightsFileError(source, `holds ${data.length} value bytes`, `${floats * 4} bytes`);
  }
  if (crc32(data) !== header.crc32) {
    throw new WeightsFileError(source, "fails its CRC-32 check", "an intact file");
  }
  const aligned = new Float32Array(floats);
  new Uint8Array(aligned.buffer).set(data);
  const weights = header.tensors.map((t) => ({
    name: t.name,
    shape: t.shape,
    values: aligned.slice(t.offset, t.offset + t.length),
  }));
  try {
    checkSet(weights, source);
  } catch (e) {
    throw new WeightsFileError(source, (e as Error).message, "consistent tensors");
  }
  return { weights, meta: header.meta };
}

/** Writes a weight set to `path` atomically (see {@link encodeWeights}). */
export async function writeWeightsFile(
  path: string,
  weights: readonly NamedWeight[],
  meta: unknown = {},
): Promise<void> {
  await writeFileAtomic(path, encodeWeights(weights, meta));
}

/**
 * Reads a weight set written by {@link writeWeightsFile}.
 * @throws {WeightsFileError} when the file is missing or invalid
 */
export async function readWeightsFile(path: string): Promise<{ weights: NamedWeight[]; meta: unknown }> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new WeightsFileError(path, `cannot be read (${(e as Error).message})`, "a weights file");
  }
  return decodeWeights(bytes, path);
}
