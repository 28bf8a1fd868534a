/**
 * A minimal protobuf writer for ONNX models (`onnx.proto`, proto2): base-128 varints, fixed32
 * floats and length-delimited fields, plus the few ONNX messages `onnx_export.ts` needs
 * (AttributeProto, TensorProto with raw little-endian data, ValueInfoProto). Write-only: the
 * exported bytes are checked by loading them in onnxruntime.
 *
 * @module
 */
import { InvalidArgumentError } from "../data/errors.ts";

const FLOAT = 1, INT64 = 7; // TensorProto.DataType
const ATTR_INT = 2, ATTR_FLOAT = 1, ATTR_INTS = 7; // AttributeProto.AttributeType

/**
 * Encodes an integer as a protobuf base-128 varint; negative values take 10 bytes (two's complement
 * on 64 bits), as protobuf encodes int64.
 *
 * @param value a safe integer
 * @throws {InvalidArgumentError} on a non-integer or unsafe value
 */
export function encodeVarint(value: number): Uint8Array {
  if (!Number.isSafeInteger(value)) {
    throw new InvalidArgumentError("varint", `is ${value}`, "a safe integer");
  }
  const bytes: number[] = [];
  if (value < 0) {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    bytes.push(Number(v));
  } else {
    let v = value;
    while (v >= 0x80) {
      bytes.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    bytes.push(v);
  }
  return Uint8Array.from(bytes);
}

/** Writer of one protobuf message: fields are appended in call order. */
export class ProtoWriter {
  #parts: Uint8Array[] = [];
  #length = 0;

  #push(bytes: Uint8Array): this {
    this.#parts.push(bytes);
    this.#length += bytes.length;
    return this;
  }
  #tag(field: number, wireType: number): this {
    return this.#push(encodeVarint(field * 8 + wireType));
  }
  /** Wire type 0: int32, int64, enum. */
  int(field: number, value: number): this {
    return this.#tag(field, 0).#push(encodeVarint(value));
  }
  /** Repeated int64, unpacked (what proto2 `onnx.proto` declares; parsers accept it everywhere). */
  ints(field: number, values: readonly number[]): this {
    for (const v of values) this.int(field, v);
    return this;
  }
  /** Wire type 5: float. */
  float(field: number, value: number): this {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, value, true);
    return this.#tag(field, 5).#push(b);
  }
  /** Wire type 2: bytes. */
  bytes(field: number, value: Uint8Array): this {
    return this.#tag(field, 2).#push(encodeVarint(value.length)).#push(value);
  }
  /** Wire type 2: UTF-8 string. */
  string(field: number, value: string): this {
    return this.bytes(field, new TextEncoder().encode(value));
  }
  /** Wire type 2: an embedded message. */
  message(field: number, value: ProtoWriter): this {
    return this.bytes(field, value.finish());
  }
  /** The encoded message. */
  finish(): Uint8Array {
    const out = new Uint8Array(this.#length);
    let offset = 0;
    for (const p of this.#parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}

/** A node attribute: a list of int64, one int64 or one float. */
export type Attribute = { name: string; ints: readonly number[] } | { name: string; int: number } | {
  name: string;
  float: number;
};

/** AttributeProto of `a`. */
export function attributeProto(a: Attribute): ProtoWriter {
  const w = new ProtoWriter().string(1, a.name);
  if ("ints" in a) return w.ints(8, a.ints).int(20, ATTR_INTS);
  if ("int" in a) return w.int(3, a.int).int(20, ATTR_INT);
  return w.float(2, a.float).int(20, ATTR_FLOAT);
}

/** TensorProto of float32 values (raw little-endian data). */
export function floatTensor(name: string, dims: readonly number[], values: Float32Array): ProtoWriter {
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return new ProtoWriter().ints(1, dims).int(2, FLOAT).string(8, name).bytes(9, raw);
}

/** ValueInfoProto of a float tensor; a string dimension is symbolic (the batch). */
export function valueInfo(name: string, dims: readonly (number | string)[]): ProtoWriter {
  const shape = new ProtoWriter();
  for (const d of dims) {
    shape.message(1, typeof d === "string" ? new ProtoWriter().string(2, d) : new ProtoWriter().int(1, d));
  }
  const tensorType = new ProtoWriter().int(1, FLOAT).message(2, shape);
  return new ProtoWriter().string(1, name).message(2, new ProtoWriter().message(1, tensorType));
}

/** TensorProto of int64 values (shapes, pads, indices), a vector unless `dims` says otherwise. */
export function int64Tensor(
  name: string,
  values: readonly number[],
  dims: readonly number[] = [values.length],
): ProtoWriter {
  const raw = new Uint8Array(values.length * 8);
  const view = new DataView(raw.buffer);
  values.forEach((v, i) => view.setBigInt64(8 * i, BigInt(v), true));
  return new ProtoWriter().ints(1, dims).int(2, INT64).string(8, name).bytes(9, raw);
}
