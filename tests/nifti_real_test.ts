import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { type NiftiReadResult, readNiftiLabels, readNiftiWithInfo } from "../data/nifti_read.ts";
import type { Labels } from "../data/types.ts";
import { HAS_REAL_DATA, REAL_DATA } from "./_helpers.ts";
import { assertClose, qformFromHeader } from "./_nifti_build.ts";

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
