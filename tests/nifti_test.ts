import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { type NiftiReadResult, readNifti, readNiftiLabels, readNiftiWithInfo } from "../data/nifti_read.ts";
import { encodeNifti, writeNifti } from "../data/nifti_write.ts";
import { InvalidArgumentError, NiftiError, NonFiniteVoxelError, ShapeMismatchError } from "../data/errors.ts";
import type { Labels, Volume } from "../data/types.ts";
import { HAS_REAL_DATA, REAL_DATA, scratchDir } from "./_helpers.ts";

// ---------- hand-built NIfTI-1 files (header written field by field here, independent of the writer)

type Put = (v: DataView, offset: number, value: number, little: boolean) => void;
const TYPES: Record<string, { code: number; bytes: number; put: Put }> = {
  uint8: { code: 2, bytes: 1, put: (v, o, x) => v.setUint8(o, x) },
  int8: { code: 256, bytes: 1, put: (v, o, x) => v.setInt8(o, x) },
  int16: { code: 4, bytes: 2, put: (v, o, x, le) => v.setInt16(o, x, le) },
  uint16: { code: 512, bytes: 2, put: (v, o, x, le) => v.setUint16(o, x, le) },
  int32: { code: 8, bytes: 4, put: (v, o, x, le) => v.setInt32(o, x, le) },
  uint32: { code: 768, bytes: 4, put: (v, o, x, le) => v.setUint32(o, x, le) },
  float32: { code: 16, bytes: 4, put: (v, o, x, le) => v.setFloat32(o, x, le) },
  float64: { code: 64, bytes: 8, put: (v, o, x, le) => v.setFloat64(o, x, le) },
};

interface Spec {
  type: keyof typeof TYPES;
  values: number[];
  size?: [number, number, number]; // x,y,z
  dim?: number[]; // full dim[0..7], overrides size
  little?: boolean;
  voxOffset?: number;
  slope?: number;
  inter?: number;
  pixdim?: number[]; // pixdim[0..3]
  code?: number; // datatype override
  magic?: string;
  qform?: { code: number; b: number; c: number; d: number; offset: [number, number, number] };
  sform?: { code: number; rows: number[] };
  extension?: Uint8Array; // bytes placed at 352 (flag byte 348 set to 1)
}

function build(s: Spec): Uint8Array {
  const t = TYPES[s.type];
  const le = s.little ?? true;
  const voxOffset = s.voxOffset ?? 352;
  const out = new Uint8Array(voxOffset + s.values.length * t.bytes);
  const v = new DataView(out.buffer);
  v.setInt32(0, 348, le);
  const dim = s.dim ?? [3, ...(s.size ?? [s.values.length, 1, 1]), 1, 1, 1, 1];
  dim.forEach((d, i) => v.setInt16(40 + 2 * i, d, le));
  v.setInt16(70, s.code ?? t.code, le);
  v.setInt16(72, t.bytes * 8, le);
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

const f32 = (xs: number[]): number[] => xs.map(Math.fround);

Deno.test("hand-built: int16 with scl_slope 2 / scl_inter -10, shape z,y,x and diagonal fallback affine", async () => {
  const bytes = build({
    type: "int16",
    values: [-3, 0, 5, 32767, -32768, 1],
    size: [3, 2, 1],
    slope: 2,
    inter: -10,
  });
  const { volume, info, nonFiniteCount } = await readNiftiWithInfo(bytes, { id: "s2" });
  assert.deepEqual(Array.from(volume.data), [-16, -10, 0, 65524, -65546, -8]);
  assert.deepEqual(volume.shape, [1, 2, 3]);
  assert.equal(volume.id, "s2");
  assert.deepEqual(info.dims, [3, 3, 2, 1, 1, 1, 1, 1]);
  assert.deepEqual([info.datatype, info.version, info.sclSlope, info.sclInter], ["int16", 1, 2, -10]);
  assert.equal(nonFiniteCount, 0);
  // qform_code = sform_code = 0: diag(pixdim) with voxel (0,0,0) at the origin.
  assert.deepEqual(Array.from(volume.affine), [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]);
});

Deno.test("hand-built: uint16, int8, int32, uint32, float32, float64 decode exactly (as float32)", async () => {
  const cases: [keyof typeof TYPES, number[]][] = [
    ["uint16", [0, 1, 40000, 65535]],
    ["int8", [-128, -1, 0, 127]],
    ["int32", [-2147483648, 0, 123456, 16777216]],
    ["uint32", [0, 7, 4294967295, 65536]],
    ["float32", [1.5, -2.25, 0.1, 3.4e38]],
    ["float64", [1.5, -2.25, 1e-3, 12345.678]],
  ];
  for (const [type, values] of cases) {
    const { volume, info } = await readNiftiWithInfo(build({ type, values }));
    assert.equal(info.datatype, type);
    assert.deepEqual(Array.from(volume.data), f32(values), type);
    assert.deepEqual(volume.shape, [1, 1, 4]);
  }
});

Deno.test("hand-built: header extension with vox_offset 400 is skipped, even when malformed", async () => {
  const ext = new Uint8Array(48);
  new DataView(ext.buffer).setInt32(0, 48, true); // esize (multiple of 16)
  new DataView(ext.buffer).setInt32(4, 6, true); // ecode 6 = comment
  ext.set(new TextEncoder().encode("a comment, not voxels"), 8);
  const values = [10, 20, 30, 40, 50, 60];
  for (const extension of [ext, new Uint8Array(48).fill(0xab)]) {
    const { volume, info } = await readNiftiWithInfo(
      build({ type: "uint8", values, voxOffset: 400, extension }),
    );
    assert.equal(info.voxOffset, 400);
    assert.deepEqual(Array.from(volume.data), values);
  }
});

Deno.test("hand-built: big-endian int16 (scaled) and float32 with a big-endian sform", async () => {
  const rows = [0, 0, 2, -5, 0, -3, 0, 7, 1.5, 0, 0, 9];
  const be = build({
    type: "int16",
    values: [1, -2, 300, 258],
    little: false,
    slope: 0.5,
    inter: 1,
    sform: { code: 2, rows },
  });
  const { volume, info } = await readNiftiWithInfo(be);
  assert.deepEqual(Array.from(volume.data), [1.5, 0, 151, 130]);
  assert.equal(info.sformCode, 2);
  assert.deepEqual(Array.from(volume.affine), [...rows, 0, 0, 0, 1]);
  const fbe = build({
    type: "float32",
    values: [-1.25, 1e-7, 65504.5],
    little: false,
    dim: [4, 3, 1, 1, 1, 0, 0, 0],
  });
  assert.deepEqual(Array.from((await readNifti(fbe)).data), f32([-1.25, 1e-7, 65504.5]));
  const f64be = build({ type: "float64", values: [Math.PI, -Math.E], little: false });
  assert.deepEqual(Array.from((await readNifti(f64be)).data), f32([Math.PI, -Math.E]));
});

Deno.test("hand-built: scaling rules as nibabel (slope 0 or NaN = none) and labels from int16", async () => {
  const none0 = await readNifti(build({ type: "int16", values: [3, 4], slope: 0, inter: 100 }));
  assert.deepEqual(Array.from(none0.data), [3, 4]);
  const noneNaN = await readNifti(build({ type: "int16", values: [3, 4], slope: NaN, inter: 100 }));
  assert.deepEqual(Array.from(noneNaN.data), [3, 4]);
  const labels = await readNiftiLabels(build({ type: "int16", values: [0, 1, 2, 4, 255], size: [5, 1, 1] }));
  assert.ok(labels.data instanceof Uint8Array);
  assert.deepEqual(Array.from(labels.data), [0, 1, 2, 4, 255]);
  const scaled = await readNiftiLabels(build({ type: "float32", values: [0, 0.5, 1], slope: 2, inter: 1 }));
  assert.deepEqual(Array.from(scaled.data), [1, 2, 3]);
  const fourD = await readNifti(build({ type: "uint8", values: [1, 2], dim: [4, 2, 1, 1, 1, 1, 1, 1] }));
  assert.deepEqual(fourD.shape, [1, 1, 2]);
});

/** A NIfTI-2 file (540-byte header, int64 dims, float64 pixdim/srow) holding int16 values. */
function buildNifti2(
  values: number[],
  size: [number, number, number],
  little: boolean,
  rows: number[],
): Uint8Array {
  const out = new Uint8Array(544 + values.length * 2);
  const v = new DataView(out.buffer);
  v.setInt32(0, 540, little);
  out.set(new TextEncoder().encode("n+2\0\r\n\x1a\n"), 4);
  v.setInt16(12, 4, little); // datatype int16
  v.setInt16(14, 16, little);
  [3, ...size, 1, 1, 1, 1].forEach((d, i) => v.setBigInt64(16 + 8 * i, BigInt(d), little));
  [1, 0.5, 0.75, 2.5].forEach((p, i) => v.setFloat64(104 + 8 * i, p, little));
  v.setBigInt64(168, 544n, little);
  v.setFloat64(176, 1, little);
  v.setInt32(348, 1, little); // sform_code
  rows.forEach((x, i) => v.setFloat64(400 + 8 * i, x, little));
  values.forEach((x, i) => v.setInt16(544 + 2 * i, x, little));
  return out;
}

Deno.test("hand-built NIfTI-2, little- and big-endian: int64 dims, float64 sform", async () => {
  const rows = [0.5, 0, 0, -1.0000001, 0, 0.75, 0, 2, 0, 0, 2.5, 3];
  for (const little of [true, false]) {
    const { volume, info } = await readNiftiWithInfo(
      buildNifti2([1, -2, 3, 4, 5, 6], [3, 2, 1], little, rows),
    );
    assert.deepEqual([info.version, info.voxOffset, info.datatype], [2, 544, "int16"]);
    assert.deepEqual(info.dims, [3, 3, 2, 1, 1, 1, 1, 1]);
    assert.deepEqual(volume.shape, [1, 2, 3]);
    assert.deepEqual(volume.spacing, [2.5, 0.75, 0.5]);
    assert.deepEqual(Array.from(volume.data), [1, -2, 3, 4, 5, 6]);
    assert.deepEqual(Array.from(volume.affine), [...rows, 0, 0, 0, 1]); // float64: exact
  }
});

/** Rotates vector v by unit quaternion (a,b,c,d) as q v q*: independent of the reader's matrix formula. */
function rotate(q: number[], v: number[]): number[] {
  const mul = (p: number[], r: number[]): number[] => [
    p[0] * r[0] - p[1] * r[1] - p[2] * r[2] - p[3] * r[3],
    p[0] * r[1] + p[1] * r[0] + p[2] * r[3] - p[3] * r[2],
    p[0] * r[2] - p[1] * r[3] + p[2] * r[0] + p[3] * r[1],
    p[0] * r[3] + p[1] * r[2] - p[2] * r[1] + p[3] * r[0],
  ];
  return mul(mul(q, [0, ...v]), [q[0], -q[1], -q[2], -q[3]]).slice(1);
}

/** Expected qform affine of a NIfTI-1 header, computed from its raw fields by quaternion rotation. */
function qformFromHeader(bytes: Uint8Array): number[] {
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

function assertClose(
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

Deno.test("hand-built: qform (90 deg about z, qfac -1) and sform beats a higher qform_code", async () => {
  const h = Math.SQRT1_2;
  const qform = { code: 1, b: 0, c: 0, d: h, offset: [10, -20, 30] as [number, number, number] };
  const bytes = build({ type: "uint8", values: [0, 1], pixdim: [-1, 2, 3, 4], qform });
  const vol = await readNifti(bytes);
  // R = rotation by 90 deg about z: x -> y, y -> -x; columns scaled by 2, 3 and qfac * 4 = -4.
  assertClose(vol.affine, [0, -3, 0, 10, 2, 0, 0, -20, 0, 0, -4, 30, 0, 0, 0, 1], 1e-6, "qform");
  assertClose(vol.affine, qformFromHeader(bytes), 1e-6, "qform vs quaternion rotation");
  assert.deepEqual(vol.spacing, [4, 3, 2]);
  const rows = [1, 0, 0, 1, 0, 1, 0, 2, 0, 0, 1, 3];
  const both = build({ type: "uint8", values: [0], qform: { ...qform, code: 2 }, sform: { code: 1, rows } });
  assert.deepEqual(Array.from((await readNifti(both)).affine), [...rows, 0, 0, 0, 1]);
});

Deno.test("non-finite voxels: NonFiniteVoxelError naming the source, or zeroed and counted", async () => {
  const bytes = build({ type: "float32", values: [1, NaN, Infinity, -Infinity, 2] });
  await assert.rejects(() => readNifti(bytes, { id: "nan-case" }), (e: Error) => {
    assert.ok(e instanceof NonFiniteVoxelError);
    assert.match(e.message, /nan-case.*3 of 5 voxels/);
    return true;
  });
  const { volume, nonFiniteCount } = await readNiftiWithInfo(bytes, { nonFinite: "zero" });
  assert.equal(nonFiniteCount, 3);
  assert.deepEqual(Array.from(volume.data), [1, 0, 0, 0, 2]);
  // float64 values beyond float32 range become Infinity, which is caught as well.
  await assert.rejects(() => readNifti(build({ type: "float64", values: [1e300] })), NonFiniteVoxelError);
});

Deno.test("bad input: typed NiftiError naming the bytes id and the file path", async () => {
  const good = build({ type: "int16", values: [1, 2, 3, 4] });
  const cases: [string, Uint8Array, RegExp][] = [
    ["text", new TextEncoder().encode("this is not a nifti file ".repeat(20)), /not a NIfTI file/],
    ["tiny", Uint8Array.of(1, 2), /not a NIfTI file/],
    ["magic", build({ type: "int16", values: [1], magic: "xyz\0" }), /bad magic/],
    ["pair", build({ type: "int16", values: [1], magic: "ni1\0" }), /\.hdr\/\.img/],
    ["header", good.slice(0, 200), /truncated header: 200 bytes/],
    ["data", good.slice(0, good.length - 1), /truncated data: 7 bytes.*8 bytes/],
    ["complex", build({ type: "float64", values: [1], code: 32 }), /unsupported datatype 32 \(complex64\)/],
    ["int64", build({ type: "float64", values: [1], code: 1024 }), /unsupported datatype 1024 \(int64\)/],
    ["dim2", build({ type: "uint8", values: [1, 2], dim: [2, 2, 1, 1, 1, 1, 1, 1] }), /dim = \[2, 2/],
    [
      "dim4",
      build({ type: "uint8", values: [1, 2], dim: [4, 1, 1, 1, 2, 1, 1, 1] }),
      /dim = \[4, 1, 1, 1, 2/,
    ],
    ["pixdim", build({ type: "uint8", values: [1], pixdim: [1, 0, 1, 1] }), /pixdim/],
    ["gzip", gzipSync(good).slice(0, 30), /gzip/],
  ];
  const dir = await scratchDir("nifti-bad");
  for (const [id, bytes, pattern] of cases) {
    await assert.rejects(() => readNifti(bytes, { id: `case-${id}` }), (e: Error) => {
      assert.ok(e instanceof NiftiError, `${id}: ${e}`);
      assert.match(e.message, new RegExp(`^case-${id}: `));
      assert.match(e.message, pattern);
      return true;
    });
    const path = `${dir}/${id}.nii`;
    await Deno.writeFile(path, bytes);
    await assert.rejects(() => readNiftiLabels(path), (e: Error) => {
      assert.ok(e instanceof NiftiError && e.message.startsWith(`${path}: `), `${id}: ${e}`);
      return true;
    });
  }
  await assert.rejects(() => readNifti(`${dir}/missing.nii.gz`), (e: Error) => {
    assert.ok(e instanceof NiftiError);
    assert.match(e.message, new RegExp(`${dir}/missing\\.nii\\.gz: file not found`));
    return true;
  });
  await assert.rejects(() => readNifti(new Uint8Array(10)), /^NiftiError: <bytes>: /);
  for (const values of [[1.5], [256], [-1]]) {
    await assert.rejects(
      () => readNiftiLabels(build({ type: "float32", values }), { id: "lab" }),
      (e: Error) => {
        assert.ok(e instanceof NiftiError);
        assert.match(e.message, /^lab: 1 voxels are not integer labels in 0\.\.255/);
        return true;
      },
    );
  }
});

// ---------- writer: round trips with a non-diagonal affine

/** Affine for rotation Rz(30 deg) * Rx(20 deg), voxel sizes x,y,z = 1.2, 0.8, 2.5 and an origin. */
function obliqueAffine(flipX = false): Float64Array {
  const [cz, sz, cx, sx] = [
    Math.cos(Math.PI / 6),
    Math.sin(Math.PI / 6),
    Math.cos(Math.PI / 9),
    Math.sin(Math.PI / 9),
  ];
  const r = [[cz, -sz * cx, sz * sx], [sz, cz * cx, -cz * sx], [0, sx, cx]];
  const zoom = [flipX ? -1.2 : 1.2, 0.8, 2.5];
  const origin = [-100.5, 20.25, 33.125];
  const m = new Float64Array(16);
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) m[i * 4 + j] = r[i][j] * zoom[j];
    m[i * 4 + 3] = origin[i];
  }
  m[15] = 1;
  return m;
}

function makeVolume(affine: Float64Array): Volume {
  const data = Float32Array.from({ length: 4 * 5 * 6 }, (_, i) => Math.sin(i) * 1000 + i * 0.001);
  return { id: "vol", shape: [4, 5, 6], spacing: [2.5, 0.8, 1.2], data, affine };
}

Deno.test("round trip: float32 Volume and uint8 Labels, .nii and .nii.gz, oblique affine", async () => {
  const dir = await scratchDir("nifti-rt");
  const vol = makeVolume(obliqueAffine());
  const labels: Labels = {
    id: "lab",
    shape: vol.shape,
    spacing: [1, 1, 1],
    data: Uint8Array.from({ length: 120 }, (_, i) => (i % 11 === 0 ? 255 : i % 7)),
    affine: new Float64Array([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
  };
  for (const ext of [".nii", ".nii.gz"]) {
    const vpath = `${dir}/vol${ext}`, lpath = `${dir}/lab${ext}`;
    await writeNifti(vpath, vol);
    await writeNifti(lpath, labels, { like: vol });
    const head = (await Deno.readFile(vpath)).subarray(0, 2);
    assert.equal(head[0] === 0x1f && head[1] === 0x8b, ext === ".nii.gz", "gzip follows the extension");

    const { volume: v, info } = await readNiftiWithInfo(vpath);
    assert.equal(v.id, "vol");
    assert.deepEqual(v.shape, vol.shape);
    assert.deepEqual(v.data, vol.data);
    assert.deepEqual(v.spacing, f32([...vol.spacing]));
    assertClose(v.affine, vol.affine, 1e-6, "sform");
    assert.deepEqual([info.datatype, info.voxOffset, info.sformCode, info.qformCode], ["float32", 352, 1, 1]);
    assert.deepEqual([info.sclSlope, info.sclInter, info.pixdim[0]], [1, 0, 1]);
    const raw = ext === ".nii" ? await Deno.readFile(vpath) : gunzipSync(await Deno.readFile(vpath));
    assertClose(qformFromHeader(raw), vol.affine, 1e-5, "qform");

    const l = await readNiftiLabels(lpath);
    assert.deepEqual(l.data, labels.data);
    assert.deepEqual(l.shape, labels.shape);
    assertClose(l.affine, vol.affine, 1e-6, "labels like");
    assert.deepEqual(l.spacing, f32([...vol.spacing]));
    assert.equal((await readNiftiWithInfo(lpath)).info.datatype, "uint8");
  }
  // Atomic write leaves no temporary file behind.
  const names = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  assert.deepEqual(names.sort(), ["lab.nii", "lab.nii.gz", "vol.nii", "vol.nii.gz"]);
});

Deno.test("writer: left-handed axes give qfac -1, a sheared affine gives qform_code 0", async () => {
  const flipped = makeVolume(obliqueAffine(true));
  const bytes = encodeNifti(flipped);
  const { volume, info } = await readNiftiWithInfo(bytes);
  assert.equal(info.pixdim[0], -1);
  assert.equal(info.qformCode, 1);
  assertClose(qformFromHeader(bytes), flipped.affine, 1e-5, "left-handed qform");
  assertClose(volume.affine, flipped.affine, 1e-6, "left-handed sform");
  const shear = Float64Array.from(obliqueAffine());
  shear[1] += 0.3;
  const sheared = await readNiftiWithInfo(encodeNifti(makeVolume(shear)));
  assert.deepEqual([sheared.info.qformCode, sheared.info.sformCode], [0, 1]);
  assertClose(sheared.volume.affine, shear, 1e-6, "sheared sform");
});

Deno.test("writer: header fields, explicit gzip option, and typed errors", async () => {
  const vol = makeVolume(obliqueAffine());
  const bytes = encodeNifti(vol);
  const v = new DataView(bytes.buffer);
  assert.equal(bytes.length, 352 + 120 * 4);
  assert.deepEqual([v.getInt32(0, true), v.getInt16(70, true), v.getInt16(72, true)], [348, 16, 32]);
  assert.deepEqual([v.getFloat32(108, true), v.getFloat32(112, true), v.getFloat32(116, true)], [352, 1, 0]);
  assert.equal(new TextDecoder().decode(bytes.subarray(344, 348)), "n+1\0");
  const dir = await scratchDir("nifti-w");
  await writeNifti(`${dir}/plain.nii.gz`, vol, { gzip: false });
  assert.deepEqual(await Deno.readFile(`${dir}/plain.nii.gz`), bytes);

  const small: Labels = { ...vol, id: "small", shape: [1, 2, 3], data: new Uint8Array(6) };
  assert.throws(() => encodeNifti(small, { like: vol }), ShapeMismatchError);
  assert.throws(() => encodeNifti({ ...vol, data: new Float32Array(7) }), ShapeMismatchError);
  const nan = { ...vol, data: Float32Array.from(vol.data, (x, i) => (i === 3 ? NaN : x)) };
  assert.throws(() => encodeNifti(nan), NonFiniteVoxelError);
  assert.throws(() => encodeNifti({ ...vol, spacing: [0, 1, 1] }), InvalidArgumentError);
  await assert.rejects(() => writeNifti(`${dir}/x.img`, vol), InvalidArgumentError);
  await assert.rejects(() => writeNifti(`${dir}/no/such/dir.nii`, vol), (e: Error) => {
    assert.ok(e instanceof NiftiError && e.message.startsWith(`${dir}/no/such/dir.nii: cannot write`));
    return true;
  });
});

// ---------- real files written by other tools (../shared/data/real), each decoded once

const decoded = new Map<string, Promise<NiftiReadResult>>();
const decodedLabels = new Map<string, Promise<Labels>>();
const readTimesMs = new Map<string, number>();
function real(rel: string): Promise<NiftiReadResult> {
  if (!decoded.has(rel)) {
    const t0 = performance.now();
    decoded.set(
      rel,
      readNiftiWithInfo(REAL_DATA + rel).then((r) => (readTimesMs.set(rel, performance.now() - t0), r)),
    );
  }
  return decoded.get(rel)!;
}
function realLabels(rel: string): Promise<Labels> {
  if (!decodedLabels.has(rel)) decodedLabels.set(rel, readNiftiLabels(REAL_DATA + rel));
  return decodedLabels.get(rel)!;
}
function counts(data: Uint8Array): Map<number, number> {
  const histogram = new Float64Array(256);
  for (let i = 0; i < data.length; i++) histogram[data[i]]++;
  const c = new Map<number, number>();
  histogram.forEach((n, value) => n > 0 && c.set(value, n));
  return c;
}
function range(data: Float32Array): [number, number] {
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return [lo, hi];
}

const BRATS = "brats2018/Brats18_2013_11_1/Brats18_2013_11_1";
const SEG_FACTS: [string, string, number[], [number, number][]][] = [
  [`${BRATS}_seg.nii.gz`, "int16", [155, 240, 240], [[0, 8788743], [1, 45839], [2, 73741], [4, 19677]]],
  [
    "brats2018/Brats18_CBICA_ABM_1/Brats18_CBICA_ABM_1_seg.nii.gz",
    "uint8",
    [155, 240, 240],
    [[0, 8888228], [1, 3398], [2, 30215], [4, 6159]],
  ],
  ["sts_ct_mr_pet/STS_001/CT_mask.nii.gz", "uint8", [59, 202, 198], [[0, 2242619], [1, 117145]]],
  ["sts_ct_mr_pet/STS_002/CT_mask.nii.gz", "uint8", [48, 143, 161], [[0, 1088014], [1, 17090]]],
];

Deno.test({
  name: "real: label maps (BraTS int16/uint8 seg, STS masks) have the documented voxel counts",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    for (const [rel, datatype, shape, expected] of SEG_FACTS) {
      const [{ info }, labels] = await Promise.all([real(rel), realLabels(rel)]);
      assert.equal(info.datatype, datatype, rel);
      assert.deepEqual(labels.shape, shape, rel);
      assert.deepEqual([...counts(labels.data)].sort((a, b) => a[0] - b[0]), expected, rel);
    }
    // The BraTS seg has a header extension too (vox_offset 2592, read with Python's struct).
    assert.equal((await real(`${BRATS}_seg.nii.gz`)).info.voxOffset, 2592);
  },
});

Deno.test({
  name: "real: BraTS flair int16 0..497 at 1 mm, sform chosen (code 1), read well under a second",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    const { volume, info } = await real(`${BRATS}_flair.nii.gz`);
    assert.deepEqual([info.datatype, info.sformCode, info.qformCode, info.voxOffset], ["int16", 1, 2, 352]);
    assert.deepEqual(volume.shape, [155, 240, 240]);
    assert.deepEqual(volume.spacing, [1, 1, 1]);
    assert.deepEqual(range(volume.data), [0, 497]);
    // srow_x = (-1, 0, 0, 0), srow_y = (0, -1, 0, 239), srow_z = (0, 0, 1, 0).
    assertClose(volume.affine, [-1, 0, 0, 0, 0, -1, 0, 239, 0, 0, 1, 0, 0, 0, 0, 1], 0, "brats sform");
    const ms = readTimesMs.get(`${BRATS}_flair.nii.gz`)!;
    console.log(`read 240x240x155 int16 .nii.gz: ${ms.toFixed(0)} ms`);
    assert.ok(ms < 3000, `${ms} ms`); // loose: the CI box is shared; typically ~100 ms
  },
});

Deno.test({
  name: "real: STS_001 CT float32 HU, qform-only affine equals the hand-computed quaternion matrix",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    const rel = "sts_ct_mr_pet/STS_001/CT_image.nii.gz";
    const { volume, info } = await real(rel);
    assert.deepEqual([info.datatype, info.sformCode, info.qformCode], ["float32", 0, 1]);
    assert.deepEqual(volume.shape, [59, 202, 198]);
    assertClose(volume.spacing, [3.27, 0.9766, 0.9766], 1e-4, "spacing");
    assert.deepEqual(range(volume.data), [-1000, 1397]);
    const header = gunzipSync(await Deno.readFile(REAL_DATA + rel));
    const expected = qformFromHeader(header);
    assertClose(volume.affine, expected, 1e-6, "qform");
    // Columns are orthogonal with norms = spacing x,y,z; quaternion (0,0,1) is 180 deg about z.
    const col = (j: number) => [0, 1, 2].map((i) => volume.affine[i * 4 + j]);
    for (let j = 0; j < 3; j++) {
      assert.ok(Math.abs(Math.hypot(...col(j)) - volume.spacing[2 - j]) < 1e-6);
      for (let k = j + 1; k < 3; k++) {
        assert.ok(Math.abs(col(j).reduce((s, x, i) => s + x * col(k)[i], 0)) < 1e-9);
      }
    }
    assertClose(
      [volume.affine[0], volume.affine[5], volume.affine[10]],
      [-0.976562, -0.976562, 3.27],
      1e-6,
      "diag",
    );
  },
});

Deno.test({
  name: "real: abdominal CT int16 3 mm and its seg with a header extension (vox_offset 13168)",
  ignore: !HAS_REAL_DATA,
  fn: async () => {
    const ct = await real("abdominal_ct_small/example_ct_sm.nii.gz");
    assert.deepEqual([ct.info.datatype, ct.info.voxOffset], ["int16", 352]);
    assert.deepEqual(ct.volume.shape, [30, 101, 122]);
    assert.deepEqual(ct.volume.spacing, [3, 3, 3]);
    const rel = "abdominal_ct_small/example_seg.nii.gz";
    const [{ info }, seg] = await Promise.all([real(rel), realLabels(rel)]);
    assert.deepEqual([info.datatype, info.voxOffset], ["uint8", 13168]);
    assert.equal(seg.id, "example_seg");
    const c = counts(seg.data);
    assert.deepEqual([c.get(5), c.get(0), c.size], [38634, 259435, 42]);
    assertClose(seg.affine, ct.volume.affine, 0, "seg and CT share the affine");
  },
});
