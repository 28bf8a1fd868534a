import assert from "node:assert/strict";
import { targetMask, tileCase } from "../data/tile.ts";
import { DatasetError, InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import { type Case, diagonalAffine, type Labels, type Vec3, voxelCount } from "../data/types.ts";

/** A case whose image value is the flat voxel index and whose labels are given (default all 0). */
function indexCase(shape: Vec3, labels?: Uint8Array, affine?: Float64Array): Case {
  const spacing: Vec3 = [2, 1, 0.5];
  const a = affine ?? diagonalAffine(spacing, [10, 20, 30]);
  const n = voxelCount(shape);
  return {
    id: "src",
    image: { id: "src", shape, spacing, data: Float32Array.from({ length: n }, (_, i) => i), affine: a },
    labels: { id: "src", shape, spacing, data: labels ?? new Uint8Array(n), affine: Float64Array.from(a) },
  };
}

function toWorld(affine: Float64Array, ijk: readonly number[]): number[] {
  return [0, 1, 2].map((r) =>
    affine[r * 4] * ijk[0] + affine[r * 4 + 1] * ijk[1] + affine[r * 4 + 2] * ijk[2] + affine[r * 4 + 3]
  );
}

function assertClose(actual: number[], expected: number[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-12, `${actual} vs ${expected}`));
}

Deno.test("tileCase: tiles partition the volume, each voxel once, with the source values", () => {
  const shape: Vec3 = [5, 7, 9];
  const c = indexCase(shape);
  const { cases, dropped } = tileCase(c, { grid: [2, 3, 4], target: 2 });
  assert.equal(cases.length, 24);
  assert.equal(dropped.length, 0);
  // last tile takes the remainder: z 2,3; y 2,2,3; x 2,2,2,3
  assert.deepEqual(cases[0].image.shape, [2, 2, 2]);
  assert.deepEqual(cases[23].image.shape, [3, 3, 3]);
  assert.equal(cases[23].id, "src/t1-2-3");
  const seen = new Uint8Array(voxelCount(shape));
  let total = 0;
  for (const t of cases) {
    total += t.image.data.length;
    // corner from the tile id: starts are index * floor(n / count)
    const [tz, ty, tx] = t.id.slice("src/t".length).split("-").map(Number);
    const corner = [tz * 2, ty * 2, tx * 2];
    const [sz, sy, sx] = t.image.shape;
    let i = 0;
    for (let z = 0; z < sz; z++) {
      for (let y = 0; y < sy; y++) {
        for (let x = 0; x < sx; x++, i++) {
          const src = ((corner[0] + z) * 7 + corner[1] + y) * 9 + corner[2] + x;
          assert.equal(t.image.data[i], src);
          seen[src]++;
        }
      }
    }
    assert.deepEqual(t.labels?.shape, t.image.shape);
    assert.equal(t.presence, 0);
  }
  assert.equal(total, voxelCount(shape));
  assert.ok(seen.every((k) => k === 1));
});

Deno.test("tileCase: presence from target voxels, thresholds and ambiguous tiles (hand-built labels)", () => {
  // 4x4x4, grid 2x2x2 (tiles of 2x2x2)
  const labels = new Uint8Array(64);
  const at = (z: number, y: number, x: number): number => (z * 4 + y) * 4 + x;
  labels[at(0, 0, 0)] = 2; // tile 0-0-0: 1 target voxel
  labels[at(0, 0, 3)] = 1; // tile 0-0-1: liver only
  labels[at(3, 3, 3)] = 2, labels[at(2, 2, 2)] = 2, labels[at(3, 2, 3)] = 2; // tile 1-1-1: 3
  labels[at(2, 0, 3)] = 4; // tile 1-0-1: another class
  const c = indexCase([4, 4, 4], labels);
  const presence = (r: ReturnType<typeof tileCase>): string[] =>
    r.cases.filter((t) => t.presence === 1).map((t) => t.id);
  assert.deepEqual(presence(tileCase(c, { grid: [2, 2, 2], target: 2 })), ["src/t0-0-0", "src/t1-1-1"]);
  assert.deepEqual(presence(tileCase(c, { grid: [2, 2, 2], target: [1, 2, 4] })), [
    "src/t0-0-0",
    "src/t0-0-1",
    "src/t1-0-1",
    "src/t1-1-1",
  ]);
  const strict = tileCase(c, { grid: [2, 2, 2], target: 2, minTargetVoxels: 3 });
  assert.deepEqual(presence(strict), ["src/t1-1-1"]);
  assert.equal(strict.cases.length, 8);
  const cleaned = tileCase(c, { grid: [2, 2, 2], target: 2, minTargetVoxels: 3, ambiguousBelow: 3 });
  assert.deepEqual(cleaned.dropped, [{ id: "src/t0-0-0", targetVoxels: 1 }]);
  assert.equal(cleaned.cases.length, 7);
  assert.deepEqual(presence(cleaned), ["src/t1-1-1"]);
  const tile = cleaned.cases.find((t) => t.id === "src/t1-1-1");
  assert.equal(tile?.labels?.data.filter((v) => v === 2).length, 3, "labels kept for evaluation");
  assert.equal(tile?.image.id, "src/t1-1-1");
});

Deno.test("tileCase: a tile's affine maps its voxel (0,0,0) to the source's tile corner", () => {
  const c0 = Math.cos(0.4), s0 = Math.sin(0.4);
  // deno-fmt-ignore
  const oblique = Float64Array.from([
    0, 0, -2, 5,
    c0 * 0.5, -s0, 0, -7,
    s0 * 0.5, c0, 0, 11,
    0, 0, 0, 1,
  ]);
  const c = indexCase([6, 5, 8], undefined, oblique);
  const { cases } = tileCase(c, { grid: [3, 2, 2], target: 1 });
  const t = cases.find((k) => k.id === "src/t2-1-1");
  assert.ok(t);
  // corner z 4, y 2, x 4 -> NIfTI index (i=x, j=y, k=z) = (4, 2, 4)
  assertClose(toWorld(t.image.affine, [0, 0, 0]), toWorld(oblique, [4, 2, 4]));
  assertClose(toWorld(t.image.affine, [1, 2, 1]), toWorld(oblique, [5, 4, 5]));
  assert.deepEqual(t.labels?.affine, t.image.affine);
});

Deno.test("tileCase: slab mode cuts along one axis only", () => {
  const labels = new Uint8Array(7 * 3 * 4);
  labels[(6 * 3 + 1) * 4 + 2] = 2; // last z slice
  const c = indexCase([7, 3, 4], labels);
  const z = tileCase(c, { slabs: { axis: 0, count: 3 }, target: 2 });
  assert.deepEqual(z.cases.map((t) => t.id), ["src/t0-0-0", "src/t1-0-0", "src/t2-0-0"]);
  assert.deepEqual(z.cases.map((t) => t.image.shape), [[2, 3, 4], [2, 3, 4], [3, 3, 4]]);
  assert.deepEqual(z.cases.map((t) => t.presence), [0, 0, 1]);
  const x = tileCase(c, { slabs: { axis: 2, count: 2 }, target: 2 });
  assert.deepEqual(x.cases.map((t) => [t.id, t.presence]), [["src/t0-0-0", 0], ["src/t0-0-1", 1]]);
  assert.deepEqual(x.cases[1].image.shape, [7, 3, 2]);
});

Deno.test("tileCase and targetMask reject bad input with typed errors", () => {
  const c = indexCase([4, 4, 4]);
  assert.throws(() => tileCase({ id: "x", image: c.image }, { grid: [2, 2, 2], target: 2 }), DatasetError);
  assert.throws(() => tileCase(c, { target: 2 }), InvalidArgumentError);
  assert.throws(
    () => tileCase(c, { grid: [2, 2, 2], slabs: { axis: 0, count: 2 }, target: 2 }),
    InvalidArgumentError,
  );
  assert.throws(() => tileCase(c, { grid: [5, 1, 1], target: 2 }), InvalidArgumentError);
  assert.throws(() => tileCase(c, { grid: [0, 1, 1], target: 2 }), InvalidArgumentError);
  assert.throws(() => tileCase(c, { grid: [2, 2, 2], target: [] }), InvalidArgumentError);
  assert.throws(() => tileCase(c, { grid: [2, 2, 2], target: 0 }), InvalidArgumentError);
  assert.throws(() => tileCase(c, { grid: [2, 2, 2], target: 2, minTargetVoxels: 0 }), InvalidArgumentError);
  assert.throws(() => tileCase(c, { slabs: { axis: 3 as 0, count: 2 }, target: 2 }), InvalidArgumentError);
  const shifted: Labels = { ...(c.labels as Labels), affine: diagonalAffine([2, 1, 0.5], [10, 20, 31]) };
  assert.throws(
    () => tileCase({ ...c, labels: shifted }, { grid: [2, 2, 2], target: 2 }),
    ShapeMismatchError,
  );
  const l: Labels = { ...(c.labels as Labels), data: Uint8Array.from({ length: 64 }, (_, i) => i % 5) };
  const m = targetMask(l, [1, 4]);
  assert.deepEqual(Array.from(m.subarray(0, 10)), [0, 1, 0, 0, 1, 0, 1, 0, 0, 1]);
  assert.throws(() => targetMask(l, 256), InvalidArgumentError);
});
