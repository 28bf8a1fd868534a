/**
 * Hand-built NIfTI-1 test files: the header is written field by field here, independent of the
 * package's writer, so that reader tests do not trust the code they test.
 *
 * @module
 */
import assert from "node:assert/strict";

/** Writes one voxel value at a byte offset. */
type Put = (v: DataView, offset: number, value: number, little: boolean) => void;
/** The NIfTI datatypes a test file can hold. */
export type TypeName = "uint8" | "int8" | "int16" | "uint16" | "int32" | "uint32" | "float32" | "float64";
/** Per datatype: NIfTI code, bytes per voxel and a writer. */
export const TYPES: Record<TypeName, { code: number; bytes: number; put: Put }> = {
  uint8: { code: 2, bytes: 1, put: (v, o, x) => v.setUint8(o, x) },
  int8: { code: 256, bytes: 1, put: (v, o, x) => v.setInt8(o, x) },
  int16: { code: 4, bytes: 2, put: (v, o, x, le) => v.setInt16(o, x, le) },
  uint16: { code: 512, bytes: 2, put: (v, o, x, le) => v.setUint16(o, x, le) },
  int32: { code: 8, bytes: 4, put: (v, o, x, le) => v.setInt32(o, x, le) },
  uint32: { code: 768, bytes: 4, put: (v, o, x, le) => v.setUint32(o, x, le) },
  float32: { code: 16, bytes: 4, put: (v, o, x, le) => v.setFloat32(o, x, le) },
  float64: { code: 64, bytes: 8, put: (v, o, x, le) => v.setFloat64(o, x, le) },
};

/** What {@link build} writes; every header field it does not list is 0. */
export interface Spec {
  type: TypeName;
  values: number[];
  size?: [number, number, number]; // x,y,z
  dim?: number[]; // full dim[0..7], overrides size
  little?: boolean;
  voxOffset?: number;
  slope?: number;
  inter?: number;
  pixdim?: number[]; // pixdim[0..3]
  code?: number; // datatype override
  bitpix?: number; // bitpix override (default: 8 x bytes of `type`)
  magic?: string;
  qform?: { code: number; b: number; c: number; d: number; offset: [number, number, number] };
  sform?: { code: number; rows: number[] };
  extension?: Uint8Array; // bytes placed at 352 (flag byte 348 set to 1)
}

/** A single-file NIfTI-1 image (352-byte header unless `voxOffset`), exactly as long as its voxels. */
export function build(s: Spec): Uint8Array {
  const t = TYPES[s.type];
  const le = s.little ?? true;
  const voxOffset = s.voxOffset ?? 352;
  const out = new Uint8Array(voxOffset + s.values.length * t.bytes);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, le);
  const dim = s.dim ?? [3, ...(s.size ?? [s.values.length, 1, 1]), 1, 1, 1, 1];
  dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, le));
  v.setInt16(70, s.code ?? t.code, le);
  v.setInt16(72, s.bitpix ?? t.bytes * 8, le);
  (s.pixdim ?? [1, 1, 1, 1]).forEach((p, i) => v.setFloat32(76 + 4 * i, p, le));
  v.setFloat32(108, voxOffset, le);
  v.setFloat32(112, s.slope ?? 1, le);
  v.setFloat32(116, s.inter ?? 0, le);
  if (s.qform) {
    v.setInt16(252, s.qform.code, le);
    [s.qform.b, s.qform.c, s.qform.d, ...s.qform.offset].forEach((x, i) => v.setFloat32(256 + 4 * i, x, le));
  }
  if (s.sform) {
    v.setInt16(254, s.sform.code, le);
    s.sform.rows.forEach((x, i) => v.setFloat32(280 + 4 * i, x, le));
  }
  for (let i = 0; i < 4; i++) out[344 + i] = (s.magic ?? "n+1\0").charCodeAt(i);
  if (s.extension) {
    out[348] = 1;
    out.set(s.extension, 352);
  }
  s.values.forEach((x, i) => t.put(v, voxOffset + i * t.bytes, x, le));
  return out;
}

/** The values rounded to float32, as the reader returns them. */
export const f32 = (xs: number[]): number[] => xs.map(Math.fround);

/** Rotates vector v by unit quaternion (a,b,c,d) as q v q*: independent of the reader's matrix formula. */
export function rotate(q: number[], v: number[]): number[] {
  const mul = (p: number[], r: number[]): number[] => [
    p[0] * r[0] - p[1] * r[1] - p[2] * r[2] - p[3] * r[3],
    p[0] * r[1] + p[1] * r[0] + p[2] * r[3] - p[3] * r[2],
    p[0] * r[2] - p[1] * r[3] + p[2] * r[0] + p[3] * r[1],
    p[0] * r[3] + p[1] * r[2] - p[2] * r[1] + p[3] * r[0],
  ];
  return mul(mul(q, [0, ...v]), [q[0], -q[1], -q[2], -q[3]]).slice(1);
}

/** Expected qform affine of a NIfTI-1 header, computed from its raw fields by quaternion rotation. */
export function qformFromHeader(bytes: Uint8Array): number[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset);
  const le = v.getInt32(0, true) === 348;
  const [b, c, d, qx, qy, qz] = [0, 1, 2, 3, 4, 5].map((i) => v.getFloat32(256 + 4 * i, le));
  const pix = [0, 1, 2, 3].map((i) => v.getFloat32(76 + 4 * i, le));
  const a = Math.sqrt(Math.max(0, 1 - b * b - c * c - d * d));
  const zoom = [pix[1], pix[2], pix[3] * (pix[0] < 0 ? -1 : 1)];
  const cols = [0, 1, 2].map((i) => rotate([a, b, c, d], [0, 1, 2].map((j) => (j === i ? zoom[i] : 0))));
  const off = [qx, qy, qz];
  return [0, 1, 2].flatMap((r) => [cols[0][r], cols[1][r], cols[2][r], off[r]]).concat([0, 0, 0, 1]);
}

/** Asserts equal lengths and |actual - expected| <= rel * max(1, max |expected|) elementwise. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  rel: number,
  what: string,
): void {
  assert.equal(actual.length, expected.length, what);
  let scale = 1;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  for (let i = 0; i < expected.length; i++) {
    assert.ok(
      Math.abs(actual[i] - expected[i]) <= rel * scale,
      `${what}[${i}]: ${actual[i]} vs ${expected[i]}`,
    );
  }
}

/** Gzip bombs are built by the fuzzer's generator (one implementation). */
export { gzipBomb } from "../scripts/fuzz_nifti_cases.ts";
