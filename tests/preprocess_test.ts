import assert from "node:assert/strict";
import {
  checkSameGrid,
  crop,
  cropLabels,
  cropOrPad,
  cropOrPadLabels,
  foregroundBox,
  LIVER_WINDOW_HU,
  preprocessCase,
  resampleLabelsToShape,
  resampleLabelsToSpacing,
  resampleToShape,
  resampleToSpacing,
  windowIntensity,
  zScoreInMask,
} from "../data/preprocess.ts";
import { DatasetError, InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import { diagonalAffine, type Labels, type Vec3, type Volume } from "../data/types.ts";

function volume(
  shape: Vec3,
  values: ArrayLike<number>,
  spacing: Vec3 = [1, 1, 1],
  affine?: Float64Array,
): Volume {
  return {
    id: "v",
    shape,
    spacing,
    data: Float32Array.from(values),
    affine: affine ?? diagonalAffine(spacing),
  };
}

function labelMap(
  shape: Vec3,
  values: ArrayLike<number>,
  spacing: Vec3 = [1, 1, 1],
  affine?: Float64Array,
): Labels {
  return {
    id: "v",
    shape,
    spacing,
    data: Uint8Array.from(values),
    affine: affine ?? diagonalAffine(spacing),
  };
}

/** World mm (x,y,z) of a continuous voxel index given as (x,y,z). */
function toWorld(affine: Float64Array, ijk: readonly number[]): number[] {
  return [0, 1, 2].map((r) =>
    affine[r * 4] * ijk[0] + affine[r * 4 + 1] * ijk[1] + affine[r * 4 + 2] * ijk[2] + affine[r * 4 + 3]
  );
}

function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-5): void {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i] - expected[i]) <= tol, `index ${i}: ${actual[i]} vs ${expected[i]}`);
  }
}

/** An oblique affine (axes permuted and rotated, non-zero origin) to catch x,y,z vs z,y,x mix-ups. */
function obliqueAffine(spacing: Vec3): Float64Array {
  const [sz, sy, sx] = spacing, c = Math.cos(0.3), s = Math.sin(0.3);
  // deno-fmt-ignore
  return Float64Array.from([
    c * sx, -s * sy, 0, 10,
    s * sx, c * sy, 0, -20,
    0, 0, -sz, 30,
    0, 0, 0, 1,
  ]);
}

/** Asserts that two grids cover the same physical box: voxel-corner index -0.5 and n-0.5 coincide. */
function assertSameExtent(a: Volume | Labels, b: Volume | Labels): void {
  for (const corner of [[0, 0, 0], [1, 1, 1], [1, 0, 1]]) {
    const ia = [2, 1, 0].map((ax, k) => corner[k] ? a.shape[ax] - 0.5 : -0.5);
    const ib = [2, 1, 0].map((ax, k) => corner[k] ? b.shape[ax] - 0.5 : -0.5);
    assertClose(toWorld(a.affine, ia), toWorld(b.affine, ib), 1e-9);
  }
}

Deno.test("windowIntensity maps the liver window to [0,1] and clips (hand-computed)", () => {
  assert.deepEqual(LIVER_WINDOW_HU, [-200, 250]);
  const v = volume([1, 1, 6], [-1000, -200, 25, 137.5, 250, 1000]);
  const w = windowIntensity(v, LIVER_WINDOW_HU[0], LIVER_WINDOW_HU[1]);
  assertClose(w.data, [0, 0, 0.5, 0.75, 1, 1]);
  assert.equal(v.data[0], -1000, "input untouched");
  assert.throws(() => windowIntensity(v, 10, 10), InvalidArgumentError);
  assert.throws(() => windowIntensity(v, 20, 10), InvalidArgumentError);
});

Deno.test("zScoreInMask: mean 0 and sd 1 inside the mask, 0 outside; default mask is nonzero", () => {
  const v = volume([1, 2, 3], [0, 1, 2, 0, 3, 4]);
  const z = zScoreInMask(v);
  // mean 2.5, population sd sqrt(1.25)
  const sd = Math.sqrt(1.25);
  assertClose(z.data, [0, -1.5 / sd, -0.5 / sd, 0, 0.5 / sd, 1.5 / sd]);
  const mask = labelMap([1, 2, 3], [1, 1, 0, 0, 0, 2]); // values 0, 1, 4: mean 5/3
  const zm = zScoreInMask(v, mask);
  const inside = [zm.data[0], zm.data[1], zm.data[5]];
  const mean = inside.reduce((s, x) => s + x, 0) / 3;
  const variance = inside.reduce((s, x) => s + (x - mean) ** 2, 0) / 3;
  assert.ok(Math.abs(mean) < 1e-6 && Math.abs(variance - 1) < 1e-5);
  assert.deepEqual([zm.data[2], zm.data[3], zm.data[4]], [0, 0, 0]);
  assert.throws(() => zScoreInMask(v, new Uint8Array(6)), InvalidArgumentError); // empty mask
  assert.throws(() => zScoreInMask(volume([1, 1, 3], [0, 7, 7])), InvalidArgumentError); // sd 0
  assert.throws(() => zScoreInMask(v, new Uint8Array(5)), ShapeMismatchError);
  assert.throws(() => zScoreInMask(v, labelMap([1, 3, 2], [1, 1, 1, 1, 1, 1])), ShapeMismatchError);
});

Deno.test("resampleToShape: 2x upsample of a 2x2x2 volume by half-pixel centres (hand-computed)", () => {
  // value = 4z + 2y + x; each axis samples source c = -0.25, 0.25, 0.75, 1.25 -> clamped 0, .25, .75, 1
  const v = volume([2, 2, 2], [0, 1, 2, 3, 4, 5, 6, 7], [2, 2, 2], diagonalAffine([2, 2, 2], [5, 6, 7]));
  const up = resampleToShape(v, [4, 4, 4]);
  const axis = [0, 0.25, 0.75, 1];
  const expected: number[] = [];
  for (const z of axis) for (const y of axis) for (const x of axis) expected.push(4 * z + 2 * y + x);
  assertClose(up.data, expected);
  assert.deepEqual(up.spacing, [1, 1, 1]);
  // new voxel 0 centre sits at old index -0.25: world 5 - 0.5 = 4.5 on x
  assertClose(toWorld(up.affine, [0, 0, 0]), [4.5, 5.5, 6.5], 1e-12);
  assertSameExtent(v, up);
});

Deno.test("resampleLabelsToShape keeps the label set and the grid of the image resample", () => {
  const l = labelMap([2, 2, 3], [0, 1, 2, 4, 0, 1, 2, 2, 0, 0, 4, 1]);
  const up = resampleLabelsToShape(l, [5, 7, 9]);
  assert.deepEqual([...new Set(up.data)].sort(), [0, 1, 2, 4]);
  const image = resampleToShape(volume([2, 2, 3], new Array(12).fill(1)), [5, 7, 9]);
  assertClose(up.affine, image.affine, 0);
  assert.deepEqual(up.spacing, image.spacing);
  // a 1x1x4 -> 1x1x2 nearest picks floor((o + 0.5) * 2) = 1, 3
  assert.deepEqual(Array.from(resampleLabelsToShape(labelMap([1, 1, 4], [5, 6, 7, 8]), [1, 1, 2]).data), [
    6,
    8,
  ]);
  assert.throws(() => resampleLabelsToShape(l, [0, 2, 2]), InvalidArgumentError);
});

Deno.test("resampleToSpacing keeps the physical extent on an oblique affine", () => {
  const spacing: Vec3 = [2, 3, 1.5];
  const v = volume([10, 7, 5], new Array(350).fill(3), spacing, obliqueAffine(spacing));
  const r = resampleToSpacing(v, [1, 1, 1]);
  assert.deepEqual(r.shape, [20, 21, 8]); // round(20), round(21), round(7.5)
  assertClose(r.spacing, [1, 1, 7.5 / 8], 1e-12);
  assertSameExtent(v, r);
  assertClose(r.data, new Array(20 * 21 * 8).fill(3));
  const l = resampleLabelsToSpacing(
    labelMap([10, 7, 5], new Array(350).fill(1), spacing, obliqueAffine(spacing)),
    [
      1,
      1,
      1,
    ],
  );
  assertClose(l.affine, r.affine, 1e-12);
  assert.deepEqual(resampleToSpacing(v, [100, 100, 100]).shape, [1, 1, 1]); // never below 1
  assert.throws(() => resampleToSpacing(v, [1, 0, 1]), InvalidArgumentError);
});

Deno.test("cropOrPad: centred crop and pad with the origin shifted (hand-computed)", () => {
  const v = volume([1, 2, 5], [0, 1, 2, 3, 4, 10, 11, 12, 13, 14], [1, 1, 2], diagonalAffine([1, 1, 2]));
  // x: 5 -> 3 crops 1 before; y: 2 -> 4 pads 1 before, 1 after
  const c = cropOrPad(v, [1, 4, 3], -9);
  assert.deepEqual(Array.from(c.data), [-9, -9, -9, 1, 2, 3, 11, 12, 13, -9, -9, -9]);
  // new voxel (x=0, y=0) is old (x=1, y=-1): world x = 1 * 2, y = -1
  assertClose(toWorld(c.affine, [0, 0, 0]), [2, -1, 0], 0);
  assert.deepEqual(c.spacing, [1, 1, 2]);
  // x: 5 -> 8 pads floor(3/2) = 1 before and 2 after
  const p = cropOrPad(v, [1, 1, 8]);
  assert.deepEqual(Array.from(p.data), [0, 0, 1, 2, 3, 4, 0, 0]);
  assertClose(toWorld(p.affine, [0, 0, 0]), [-2, 0, 0], 0);
  const l = cropOrPadLabels(labelMap([1, 2, 5], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), [1, 4, 3]);
  assert.deepEqual(Array.from(l.data), [0, 0, 0, 1, 2, 3, 6, 7, 8, 0, 0, 0]);
  assert.throws(() => cropOrPad(v, [1, 1, 0]), InvalidArgumentError);
});

Deno.test("crop and cropLabels cut an exact box; the affine maps it to the same world points", () => {
  const spacing: Vec3 = [2, 1, 1];
  const v = volume([3, 4, 5], Array.from({ length: 60 }, (_, i) => i), spacing, obliqueAffine(spacing));
  const c = crop(v, [1, 2, 3], [2, 2, 2]);
  // (z*4 + y)*5 + x at z 1..2, y 2..3, x 3..4
  assert.deepEqual(Array.from(c.data), [33, 34, 38, 39, 53, 54, 58, 59]);
  assertClose(toWorld(c.affine, [0, 0, 0]), toWorld(v.affine, [3, 2, 1]), 1e-12);
  assertClose(toWorld(c.affine, [1, 1, 1]), toWorld(v.affine, [4, 3, 2]), 1e-12);
  const l = cropLabels(labelMap([3, 4, 5], Array.from({ length: 60 }, (_, i) => i)), [1, 2, 3], [2, 2, 2]);
  assert.deepEqual(Array.from(l.data), [33, 34, 38, 39, 53, 54, 58, 59]);
  assert.throws(() => crop(v, [2, 0, 0], [2, 1, 1]), InvalidArgumentError);
  assert.throws(() => crop(v, [-1, 0, 0], [1, 1, 1]), InvalidArgumentError);
  assert.throws(() => cropLabels(l, [0, 0, 0.5], [1, 1, 1]), InvalidArgumentError);
});

Deno.test("foregroundBox finds a hand-placed blob, grows by the margin and clips", () => {
  const shape: Vec3 = [5, 6, 7];
  const mask = new Uint8Array(210);
  const at = (z: number, y: number, x: number): number => (z * 6 + y) * 7 + x;
  mask[at(2, 1, 3)] = 1;
  mask[at(3, 4, 3)] = 5;
  mask[at(2, 2, 4)] = 1;
  assert.deepEqual(foregroundBox(mask, shape), { corner: [2, 1, 3], size: [2, 4, 2] });
  assert.deepEqual(foregroundBox(mask, shape, 2), { corner: [0, 0, 1], size: [5, 6, 6] });
  assert.deepEqual(foregroundBox(mask, shape, [0, 0, 1]), { corner: [2, 1, 2], size: [2, 4, 4] });
  assert.equal(foregroundBox(new Uint8Array(210), shape), null);
  assert.throws(() => foregroundBox(mask, [5, 6, 6]), ShapeMismatchError);
  assert.throws(() => foregroundBox(mask, shape, -1), InvalidArgumentError);
});

Deno.test("checkSameGrid rejects a different shape or an affine off by more than 1e-3 mm", () => {
  const v = volume([1, 2, 2], [1, 2, 3, 4]);
  checkSameGrid(v, labelMap([1, 2, 2], [0, 0, 0, 0]), "ok");
  const near = diagonalAffine([1, 1, 1], [0.0005, 0, 0]);
  checkSameGrid(v, labelMap([1, 2, 2], [0, 0, 0, 0], [1, 1, 1], near), "ok");
  const far = diagonalAffine([1, 1, 1], [0, 0.01, 0]);
  assert.throws(
    () => checkSameGrid(v, labelMap([1, 2, 2], [0, 0, 0, 0], [1, 1, 1], far), "c"),
    ShapeMismatchError,
  );
  assert.throws(() => checkSameGrid(v, labelMap([2, 2, 1], [0, 0, 0, 0]), "c"), ShapeMismatchError);
});

Deno.test("preprocessCase crops to the image foreground, resamples and windows image and labels alike", () => {
  // 6x8x8 CT at 2 mm: air everywhere, a body box z 1..4, y 2..5, x 2..6; labels 1 on part of it
  const shape: Vec3 = [6, 8, 8], spacing: Vec3 = [2, 2, 2];
  const img = new Float32Array(384).fill(-1000), lab = new Uint8Array(384);
  for (let z = 1; z <= 4; z++) {
    for (let y = 2; y <= 5; y++) {
      for (let x = 2; x <= 6; x++) {
        img[(z * 8 + y) * 8 + x] = 25;
        if (x >= 5) lab[(z * 8 + y) * 8 + x] = 2; // labels never decide the crop
      }
    }
  }
  const affine = diagonalAffine(spacing, [-3, 4, 8]);
  const image: Volume = { id: "c", shape, spacing, data: img, affine };
  const labels: Labels = { id: "c", shape, spacing, data: lab, affine: Float64Array.from(affine) };
  const out = preprocessCase({ id: "c", image, labels, presence: 1 }, {
    intensity: { kind: "window", lo: -200, hi: 250 },
    cropToForeground: { margin: 0 },
    spacing: [1, 1, 1],
  });
  assert.deepEqual(out.image.shape, [8, 8, 10]);
  assert.deepEqual(out.labels?.shape, [8, 8, 10]);
  assert.equal(out.presence, 1);
  assertClose(out.image.data, new Array(640).fill(0.5)); // the box is uniform 25 HU -> 0.5
  checkSameGrid(out.image, out.labels as Labels, "out");
  // The cropped box starts at old voxel (x2,y2,z1): its outer corner is old index - 0.5.
  assertClose(toWorld(out.image.affine, [-0.5, -0.5, -0.5]), toWorld(affine, [1.5, 1.5, 0.5]), 1e-12);
  assert.deepEqual([...new Set(out.labels?.data)].sort(), [0, 2]);
  // x 2..6 (5 voxels) -> 10: label 2 on old x 5..6 -> new x 6..9
  assert.deepEqual(Array.from(out.labels?.data.subarray(0, 10) ?? []), [0, 0, 0, 0, 0, 0, 2, 2, 2, 2]);

  const padded = preprocessCase({ id: "c", image, labels }, { shape: [6, 10, 10], fitShape: "cropOrPad" });
  assert.equal(padded.image.data[0], -1000, "padding uses the image minimum (air)");
  assert.equal(padded.labels?.data.reduce((s, x) => s + x, 0), lab.reduce((s, x) => s + x, 0));
  const resized = preprocessCase({ id: "c", image }, { shape: [3, 4, 4], intensity: { kind: "zscore" } });
  assert.deepEqual(resized.image.shape, [3, 4, 4]);
  assert.equal(resized.labels, undefined);
  const air: Volume = { ...image, data: new Float32Array(384).fill(-1000) };
  assert.throws(
    () => preprocessCase({ id: "c", image: air }, { cropToForeground: { margin: 1 } }),
    DatasetError,
  );
  const other: Labels = { ...labels, shape: [6, 8, 4], data: new Uint8Array(192) };
  assert.throws(() => preprocessCase({ id: "c", image, labels: other }, {}), ShapeMismatchError);
});
