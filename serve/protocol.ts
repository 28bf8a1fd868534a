/**
 * The env server's wire format (see `serve/PROTOCOL.md`). Every binary WebSocket message is one
 * frame: a 4-byte little-endian JSON header length, the UTF-8 JSON header, zero padding to a
 * multiple of 4 bytes, then the raw payload. The header's `arrays` lists the payload's arrays
 * (name, dtype, shape, byte offset from the payload start; each array starts 4-byte aligned);
 * every number in the payload is little-endian. A text message is a bare JSON header (no arrays).
 *
 * @module
 */
import { ProtocolError } from "./errors.ts";

/** Element types that travel in the payload. */
export type WireDtype = "float32" | "int32" | "uint8";

/** A typed array of a {@link WireDtype}. */
export type WireArray = Float32Array | Int32Array | Uint8Array;

/** An array as described in a header. */
export interface ArraySpec {
  /** Name, unique in one frame (e.g. `obs`, `rewards`, `actions`). */
  readonly name: string;
  /** Element type. */
  readonly dtype: WireDtype;
  /** Row-major shape (observations: [N?, z, y, x, channels]). */
  readonly shape: readonly number[];
  /** Byte offset from the payload start (a multiple of 4). */
  readonly offset: number;
}

/** An array to send: its data and row-major shape. */
export interface OutArray {
  /**
   * The values (their length is the product of `shape`), or equal-typed parts written one after the
   * other (N observations stacked without a copy).
   */
  readonly data: WireArray | readonly WireArray[];
  /** Row-major shape. */
  readonly shape: readonly number[];
}

/** A decoded frame: the JSON header and the named arrays of its payload. */
export interface Frame {
  /** The JSON header (an object). */
  readonly header: Record<string, unknown>;
  /** The payload's arrays by name (copies, aligned). */
  readonly arrays: Readonly<Record<string, WireArray>>;
  /** Shapes of the payload's arrays by name. */
  readonly shapes: Readonly<Record<string, readonly number[]>>;
}

/** Largest header accepted, bytes. */
export const MAX_HEADER_BYTES = 1 << 20;

const BYTES: Record<WireDtype, number> = { float32: 4, int32: 4, uint8: 1 };
const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function dtypeOf(data: WireArray | readonly WireArray[]): WireDtype {
  const a = Array.isArray(data) ? data[0] : data as WireArray;
  return a instanceof Float32Array ? "float32" : a instanceof Int32Array ? "int32" : "uint8";
}

const align4 = (n: number): number => (n + 3) & ~3;

/** Encodes a header and arrays into one frame (see the module documentation). */
export function encodeFrame(
  header: Record<string, unknown>,
  arrays: Readonly<Record<string, OutArray>> = {},
): Uint8Array {
  const specs: ArraySpec[] = [];
  let offset = 0;
  for (const [name, a] of Object.entries(arrays)) {
    const parts: readonly WireArray[] = Array.isArray(a.data) ? a.data : [a.data as WireArray];
    specs.push({ name, dtype: dtypeOf(a.data), shape: a.shape, offset });
    offset = align4(offset + parts.reduce((n, p) => n + p.byteLength, 0));
  }
  const json = encoder.encode(JSON.stringify(specs.length ? { ...header, arrays: specs } : header));
  const start = align4(4 + json.length);
  const out = new Uint8Array(start + offset);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  Object.values(arrays).forEach((a, i) => {
    let at = start + specs[i].offset;
    for (const p of Array.isArray(a.data) ? a.data : [a.data as WireArray]) {
      out.set(new Uint8Array(p.buffer, p.byteOffset, p.byteLength), at);
      at += p.byteLength;
    }
  });
  return out;
}

function parseHeader(text: string): Record<string, unknown> {
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch {
    throw new ProtocolError("frame header", "is not valid JSON", "a JSON object");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) {
    throw new ProtocolError("frame header", `is ${JSON.stringify(header)}`, "a JSON object");
  }
  return header as Record<string, unknown>;
}

function checkSpec(s: unknown, payloadBytes: number): ArraySpec {
  const spec = s as ArraySpec;
  const ok = typeof spec === "object" && spec !== null && typeof spec.name === "string" &&
    (spec.dtype === "float32" || spec.dtype === "int32" || spec.dtype === "uint8") &&
    Array.isArray(spec.shape) && spec.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
    Number.isSafeInteger(spec.offset) && spec.offset >= 0 && spec.offset % 4 === 0;
  if (!ok) {
    throw new ProtocolError(
      "frame header arrays",
      `holds ${JSON.stringify(s)}`,
      "{ name, dtype: float32|int32|uint8, shape: [non-negative integers], offset: multiple of 4 }",
    );
  }
  const bytes = spec.shape.reduce((p, d) => p * d, 1) * BYTES[spec.dtype];
  if (spec.offset + bytes > payloadBytes) {
    throw new ProtocolError(
      `array '${spec.name}'`,
      `needs bytes ${spec.offset}..${spec.offset + bytes} of a ${payloadBytes}-byte payload`,
      "a shape and offset inside the payload",
    );
  }
  return spec;
}

/**
 * Decodes a frame (binary) or a bare JSON header (text).
 * @throws {ProtocolError} for a truncated frame, a bad header, or arrays outside the payload
 */
export function decodeFrame(message: string | ArrayBuffer | Uint8Array): Frame {
  if (typeof message === "string") return { header: parseHeader(message), arrays: {}, shapes: {} };
  const bytes = message instanceof Uint8Array ? message : new Uint8Array(message);
  if (bytes.length < 4) {
    throw new ProtocolError("frame", `has ${bytes.length} bytes`, "a 4-byte header length first");
  }
  const length = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0, true);
  if (length > MAX_HEADER_BYTES || 4 + length > bytes.length) {
    throw new ProtocolError(
      "frame",
      `declares a ${length}-byte header in ${bytes.length} bytes`,
      `a header of at most ${MAX_HEADER_BYTES} bytes inside the frame`,
    );
  }
  let text: string;
  try {
    text = decoder.decode(bytes.subarray(4, 4 + length));
  } catch {
    throw new ProtocolError("frame header", "is not UTF-8", "UTF-8 JSON");
  }
  const header = parseHeader(text);
  const payload = bytes.subarray(Math.min(bytes.length, align4(4 + length)));
  const arrays: Record<string, WireArray> = {}, shapes: Record<string, readonly number[]> = {};
  const specs = header.arrays ?? [];
  if (!Array.isArray(specs)) {
    throw new ProtocolError("frame header arrays", `is ${JSON.stringify(specs)}`, "a list of array specs");
  }
  for (const s of specs) {
    const spec = checkSpec(s, payload.length);
    const n = spec.shape.reduce((p, d) => p * d, 1);
    const raw = payload.slice(spec.offset, spec.offset + n * BYTES[spec.dtype]); // copy: aligned
    arrays[spec.name] = spec.dtype === "float32"
      ? new Float32Array(raw.buffer)
      : spec.dtype === "int32"
      ? new Int32Array(raw.buffer)
      : raw;
    shapes[spec.name] = spec.shape;
  }
  return { header, arrays, shapes };
}
