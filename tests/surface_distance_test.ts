import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";
import {
  averageSurfaceDistance,
  distanceTransform,
  hausdorff95,
  percentile,
  surfaceDistances,
  surfaceScores,
  surfaceVoxels,
} from "../eval/surface_distance.ts";

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

/** A mask of `shape` with the box [lo, hi] (inclusive, z,y,x) set. */
function boxMask(shape: Vec3, lo: Vec3, hi: Vec3): Uint8Array {
  const m = new Uint8Array(shape[0] * shape[1] * shape[2]);
  for (let z = lo[0]; z <= hi[0]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      for (let x = lo[2]; x <= hi[2]; x++) m[(z * shape[1] + y) * shape[2] + x] = 1;
    }
  }
  return m;
}

function count(mask: Uint8Array): number {
  return mask.reduce((s, v) => s + (v !== 0 ? 1 : 0), 0);
}

function coords(i: number, shape: Vec3): Vec3 {
  const x = i % shape[2], r = (i - x) / shape[2], y = r % shape[1];
  return [(r - y) / shape[1], y, x];
}

/** Brute force: distance from every voxel to the nearest nonzero voxel of `features`. */
function bruteDistance(features: Uint8Array, shape: Vec3, spacing: Vec3): Float64Array {
  const out = new Float64Array(features.length).fill(Infinity);
  for (let i = 0; i < features.length; i++) {
    const [z, y, x] = coords(i, shape);
    for (let j = 0; j < features.length; j++) {
      if (features[j] === 0) continue;
      const [zj, yj, xj] = coords(j, shape);
      const d = Math.hypot((z - zj) * spacing[0], (y - yj) * spacing[1], (x - xj) * spacing[2]);
      if (d < out[i]) out[i] = d;
    }
  }
  return out;
}

/** Brute force: surface of `mask` by its definition, checking the six neighbours one by one. */
function bruteSurface(mask: Uint8Array, shape: Vec3): Uint8Array {
  const out = new Uint8Array(mask.length);
  const steps: Vec3[] = [[1, 0, 0], [-1, 0, 0], [0, 1, 0], [0, -1, 0], [0, 0, 1], [0, 0, -1]];
  for (let i = 0; i < mask.length; i++) {
    if (mask[i] === 0) continue;
    const [z, y, x] = coords(i, shape);
    out[i] = steps.some(([a, b, c]) => {
        const p = [z + a, y + b, x + c];
        if (p.some((v, k) => v < 0 || v >= shape[k])) return true;
        return mask[(p[0] * shape[1] + p[1]) * shape[2] + p[2]] === 0;
      })
      ? 1
      : 0;
  }
  return out;
}

function randomMask(rng: Rng, n: number, density: number): Uint8Array {
  return Uint8Array.from({ length: n }, () => (rng.float() < density ? 1 : 0));
}

Deno.test("distanceTransform equals brute force on random masks with anisotropic spacing", () => {
  const rng = new Rng(2024);
  const shapes: Vec3[] = [[5, 6, 7], [1, 9, 4], [8, 1, 1], [4, 4, 1], [3, 5, 6]];
  for (let trial = 0; trial < 20; trial++) {
    const shape = shapes[trial % shapes.length];
    const spacing: Vec3 = [rng.uniform(0.3, 4), rng.uniform(0.3, 4), rng.uniform(0.3, 4)];
    const density = [0, 0.01, 0.05, 0.2, 0.6][trial % 5];
    const features = randomMask(rng, shape[0] * shape[1] * shape[2], density);
    const fast = distanceTransform(features, shape, spacing);
    const slow = bruteDistance(features, shape, spacing);
    for (let i = 0; i < fast.length; i++) {
      if (slow[i] === Infinity) assert.equal(fast[i], Infinity);
      else close(fast[i], slow[i], 1e-9);
    }
  }
});

Deno.test("surfaceVoxels: interior is excluded, volume border counts as surface", () => {
  const shape: Vec3 = [5, 5, 5];
  const cube = boxMask(shape, [1, 1, 1], [3, 3, 3]);
  const s = surfaceVoxels(cube, shape);
  assert.equal(count(s), 26); // 27 voxels minus the centre
  assert.equal(s[(2 * 5 + 2) * 5 + 2], 0);
  const full = new Uint8Array(27).fill(1);
  assert.equal(count(surfaceVoxels(full, [3, 3, 3])), 26); // centre is interior, the rest touch the border
  assert.equal(count(surfaceVoxels(new Uint8Array(27).fill(1), [1, 3, 9])), 27); // one slice: all border
  const rng = new Rng(5);
  for (let trial = 0; trial < 10; trial++) {
    const m = randomMask(rng, 6 * 5 * 4, 0.7);
    assert.deepEqual(surfaceVoxels(m, [6, 5, 4]), bruteSurface(m, [6, 5, 4]));
  }
});

Deno.test("surfaceDistances equals brute force between the surfaces (cropping is exact)", () => {
  const rng = new Rng(99);
  const shape: Vec3 = [7, 6, 8];
  for (let trial = 0; trial < 8; trial++) {
    const spacing: Vec3 = [rng.uniform(0.5, 3), rng.uniform(0.5, 3), rng.uniform(0.5, 3)];
    // Blobs in sub-boxes, so that the union box is smaller than the volume.
    const a = randomMask(rng, 7 * 6 * 8, 0.5).map((
      v,
      i,
    ) => (coords(i, shape)[2] < 5 && coords(i, shape)[0] > 1 ? v : 0));
    const b = randomMask(rng, 7 * 6 * 8, 0.3).map((v, i) => (coords(i, shape)[1] > 2 ? v : 0));
    const { aToB, bToA } = surfaceDistances(a, b, shape, spacing);
    const sa = bruteSurface(a, shape), sb = bruteSurface(b, shape);
    const toB = bruteDistance(sb, shape, spacing), toA = bruteDistance(sa, shape, spacing);
    const expectAToB = [...sa].flatMap((v, i) => (v ? [toB[i]] : []));
    const expectBToA = [...sb].flatMap((v, i) => (v ? [toA[i]] : []));
    assert.equal(aToB.length, expectAToB.length);
    assert.equal(bToA.length, expectBToA.length);
    expectAToB.forEach((d, k) => close(aToB[k], d, 1e-9));
    expectBToA.forEach((d, k) => close(bToA[k], d, 1e-9));
  }
});

Deno.test("two single voxels: HD95 and ASSD are their anisotropic distance", () => {
  const shape: Vec3 = [5, 5, 5];
  const a = boxMask(shape, [1, 1, 1], [1, 1, 1]);
  const b = boxMask(shape, [3, 2, 1], [3, 2, 1]);
  // dz = 2 voxels * 3 mm, dy = 1 voxel * 2 mm -> sqrt(36 + 4).
  close(hausdorff95(a, b, shape, [3, 2, 1]), Math.sqrt(40));
  close(averageSurfaceDistance(a, b, shape, [3, 2, 1]), Math.sqrt(40));
  assert.equal(hausdorff95(a, a, shape, [3, 2, 1]), 0);
});

Deno.test("two 3x3x3 cubes 2 voxels apart along z with spacing [3,1,1]", () => {
  const shape: Vec3 = [10, 8, 8];
  const a = boxMask(shape, [1, 2, 2], [3, 4, 4]);
  const b = boxMask(shape, [3, 2, 2], [5, 4, 4]);
  // A's surface: 9 voxels at z=1 (nearest B surface at z=3: 6 mm), 8 at z=2 (3 mm), 9 at z=3 (0 mm).
  const { aToB, bToA } = surfaceDistances(a, b, shape, [3, 1, 1]);
  const sorted = Float64Array.from(aToB).sort();
  assert.deepEqual([...sorted], [...Array(9).fill(0), ...Array(8).fill(3), ...Array(9).fill(6)]);
  assert.deepEqual([...Float64Array.from(bToA).sort()], [...sorted]);
  // P95 of 26 values: position 23.75 between two 6s.
  close(hausdorff95(a, b, shape, [3, 1, 1]), 6);
  close(averageSurfaceDistance(a, b, shape, [3, 1, 1]), (8 * 3 + 9 * 6) / 26);
  // The same shift along x with spacing [3,1,1] is 2 mm.
  const c = boxMask(shape, [1, 2, 4], [3, 4, 6]);
  close(hausdorff95(a, c, shape, [3, 1, 1]), 2);
});

Deno.test("HD95 is the max of directed percentiles with linear interpolation (not pooled)", () => {
  // A line of 11 voxels against one voxel at its start, x spacing 0.5 mm:
  // line -> point: 0, 0.5, ..., 5 (P95 at position 9.5 -> 4.75); point -> line: 0.
  // (Pooling both sets would give 4.725 instead.)
  const shape: Vec3 = [1, 1, 11];
  const line = new Uint8Array(11).fill(1);
  const point = new Uint8Array(11);
  point[0] = 1;
  close(hausdorff95(line, point, shape, [2, 2, 0.5]), 4.75);
  close(hausdorff95(point, line, shape, [2, 2, 0.5]), 4.75);
  close(averageSurfaceDistance(line, point, shape, [2, 2, 0.5]), (0.5 * 55) / 12);
  close(percentile(Float64Array.from([0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), 95), 9.45);
  close(percentile(Float64Array.from([3, 1, 2]), 50), 2);
  assert.ok(Number.isNaN(percentile(new Float64Array(0), 95)));
  const both = surfaceScores(line, point, shape, [1, 1, 1]);
  close(both.hd95, 9.5);
  close(both.assd, 55 / 12);
});

Deno.test("empty masks: both empty -> NaN, exactly one empty -> Infinity", () => {
  const shape: Vec3 = [4, 4, 4];
  const empty = new Uint8Array(64);
  const cube = boxMask(shape, [1, 1, 1], [2, 2, 2]);
  assert.ok(Number.isNaN(hausdorff95(empty, empty, shape, [1, 1, 1])));
  assert.ok(Number.isNaN(averageSurfaceDistance(empty, empty, shape, [1, 1, 1])));
  assert.equal(hausdorff95(empty, cube, shape, [1, 1, 1]), Infinity);
  assert.equal(hausdorff95(cube, empty, shape, [1, 1, 1]), Infinity);
  assert.equal(averageSurfaceDistance(empty, cube, shape, [1, 1, 1]), Infinity);
  assert.equal(averageSurfaceDistance(cube, empty, shape, [1, 1, 1]), Infinity);
  const { aToB, bToA } = surfaceDistances(cube, empty, shape, [1, 1, 1]);
  assert.equal(aToB.length, 8);
  assert.ok(aToB.every((d) => d === Infinity));
  assert.equal(bToA.length, 0);
  assert.ok(distanceTransform(empty, shape, [1, 1, 1]).every((d) => d === Infinity));
});

Deno.test("bad input throws typed errors", () => {
  const m = new Uint8Array(8);
  assert.throws(() => hausdorff95(m, new Uint8Array(9), [2, 2, 2], [1, 1, 1]), ShapeMismatchError);
  assert.throws(() => surfaceVoxels(m, [2, 2, 3]), ShapeMismatchError);
  assert.throws(() => surfaceDistances(m, m, [2, 2, 2], [1, -1, 1]), InvalidArgumentError);
  assert.throws(() => distanceTransform(m, [2, 2.5, 2] as unknown as Vec3, [1, 1, 1]), InvalidArgumentError);
  assert.throws(() => percentile(new Float64Array(1), 101), InvalidArgumentError);
});
