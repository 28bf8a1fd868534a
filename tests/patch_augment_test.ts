/** Mirror augmentation of the patch game's cases: voxels, labels, affine and ids by hand. */
import assert from "node:assert/strict";
import { type Case, diagonalAffine, type Vec3 } from "../data/types.ts";
import { mirrorCase, withMirrors } from "../env/patch/patch_augment.ts";

// 1x2x3 image 0..5 (x fastest); label 1 at (0, 0, 0) only; spacing z,y,x = 1, 2, 3 mm
const shape: Vec3 = [1, 2, 3], spacing: Vec3 = [1, 2, 3], affine = diagonalAffine(spacing);
const c: Case = {
  id: "c",
  image: { id: "c", shape, spacing, affine, data: Float32Array.of(0, 1, 2, 3, 4, 5) },
  labels: { id: "c", shape, spacing, affine, data: Uint8Array.of(1, 0, 0, 0, 0, 0) },
  presence: 1,
};

/** World x, y of voxel (i = x, j = y) under a row-major 4x4 affine. */
const world = (
  a: Float64Array,
  i: number,
  j: number,
) => [a[0] * i + a[1] * j + a[3], a[4] * i + a[5] * j + a[7]];

Deno.test("mirrorCase: flipped voxels and labels, same world point per voxel, id suffix", () => {
  const x = mirrorCase(c, false, true, "-flipx");
  assert.deepEqual([...x.image.data], [2, 1, 0, 5, 4, 3]);
  assert.deepEqual([...x.labels!.data], [0, 0, 1, 0, 0, 0]);
  const y = mirrorCase(c, true, false, "-flipy");
  assert.deepEqual([...y.image.data], [3, 4, 5, 0, 1, 2]);
  assert.deepEqual([...y.labels!.data], [0, 0, 0, 1, 0, 0]);
  const xy = mirrorCase(c, true, true, "-flipxy");
  assert.deepEqual([...xy.image.data], [5, 4, 3, 2, 1, 0]);
  assert.equal(xy.id, "c-flipxy");
  assert.equal(xy.image.id, "c-flipxy");
  assert.equal(xy.presence, 1);
  // new voxel (i=0, j=0) of xy is old voxel (2, 1): world x = 2 * 3 mm, y = 1 * 2 mm
  assert.deepEqual(world(xy.image.affine, 0, 0), [6, 2]);
  assert.deepEqual(world(xy.image.affine, 2, 1), [0, 0]);
  assert.deepEqual(world(x.image.affine, 1, 1), [3, 2]);
  // the input is untouched, and no flip returns it as is
  assert.deepEqual([...c.image.data], [0, 1, 2, 3, 4, 5]);
  assert.equal(mirrorCase(c, false, false, ""), c);
});

Deno.test("withMirrors: 4 variants per case, original first, distinct volumes", () => {
  const all = withMirrors([c, { ...c, id: "d", presence: 0 }]);
  assert.deepEqual(all.map((v) => v.id), [
    "c",
    "c-flipx",
    "c-flipy",
    "c-flipxy",
    "d",
    "d-flipx",
    "d-flipy",
    "d-flipxy",
  ]);
  assert.equal(all[0], c);
  assert.equal(new Set(all.slice(0, 4).map((v) => v.image)).size, 4);
  assert.deepEqual(all.map((v) => v.presence), [1, 1, 1, 1, 0, 0, 0, 0]);
});
