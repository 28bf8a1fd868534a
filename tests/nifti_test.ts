import assert from "node:assert/strict";
import { gunzipSync, gzipSync } from "node:zlib";
import { readNifti, readNiftiLabels, readNiftiWithInfo } from "../data/nifti_read.ts";
import { encodeNifti, writeNifti } from "../data/nifti_write.ts";
import { InvalidArgumentError, NiftiError, NonFiniteVoxelError, ShapeMismatchError } from "../data/errors.ts";
import type { Labels, Volume } from "../data/types.ts";
import { scratchDir } from "./_helpers.ts";
import { assertClose, build, f32, qformFromHeader, type TypeName } from "./_nifti_build.ts";

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
  const cases: [TypeName, number[]][] = [
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

Deno.test("hand-built: header extension with vox_offset 400 is skipped; a malformed one is refused", async () => {
  const ext = new Uint8Array(48);
  new DataView(ext.buffer).setInt32(0, 48, true); // esize (multiple of 16)
  new DataView(ext.buffer).setInt32(4, 6, true); // ecode 6 = comment
  ext.set(new TextEncoder().encode("a comment, not voxels"), 8);
  const values = [10, 20, 30, 40, 50, 60];
  const { volume, info } = await readNiftiWithInfo(
    build({ type: "uint8", values, voxOffset: 400, extension: ext }),
  );
  assert.equal(info.voxOffset, 400);
  assert.deepEqual(Array.from(volume.data), values);
  // esize 0xabababab: where the extensions end (and so whether vox_offset is past them) is unknown.
  const malformed = build({
    type: "uint8",
    values,
    voxOffset: 400,
    extension: new Uint8Array(48).fill(0xab),
  });
  await assert.rejects(
    () => readNifti(malformed, { id: "ext" }),
    /^NiftiError: ext: malformed header extension/,
  );
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
