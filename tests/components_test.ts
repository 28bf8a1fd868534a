import assert from "node:assert/strict";
import { InvalidArgumentError, ShapeMismatchError } from "../data/errors.ts";
import type { Vec3 } from "../data/types.ts";
import { connectedComponents, diceBySize, lesionDetection } from "../eval/components.ts";

const close = (actual: number, expected: number, tol = 1e-12): void =>
  assert.ok(Math.abs(actual - expected) <= tol, `${actual} != ${expected}`);

function index(shape: Vec3, z: number, y: number, x: number): number {
  return (z * shape[1] + y) * shape[2] + x;
}

function setBox(m: Uint8Array, shape: Vec3, lo: Vec3, hi: Vec3): void {
  for (let z = lo[0]; z <= hi[0]; z++) {
    for (let y = lo[1]; y <= hi[1]; y++) {
      for (let x = lo[2]; x <= hi[2]; x++) m[index(shape, z, y, x)] = 1;
    }
  }
}

Deno.test("connectedComponents: corner, edge and face contacts under 6, 18 and 26 connectivity", () => {
  const shape: Vec3 = [3, 3, 3];
  const m = new Uint8Array(27);
  m[index(shape, 0, 0, 0)] = 1; // a
  m[index(shape, 1, 1, 1)] = 1; // b: touches a at a corner
  m[index(shape, 2, 2, 1)] = 1; // c: touches b along an edge
  m[index(shape, 2, 2, 2)] = 1; // d: touches c on a face
  const six = connectedComponents(m, shape, 6);
  assert.equal(six.count, 3);
  assert.deepEqual(six.sizes, [1, 1, 2]);
  assert.equal(six.labels[index(shape, 0, 0, 0)], 1);
  assert.equal(six.labels[index(shape, 1, 1, 1)], 2);
  assert.equal(six.labels[index(shape, 2, 2, 1)], 3);
  assert.equal(six.labels[index(shape, 2, 2, 2)], 3);
  const eighteen = connectedComponents(m, shape, 18);
  assert.equal(eighteen.count, 2);
  assert.deepEqual(eighteen.sizes, [1, 3]);
  const all = connectedComponents(m, shape);
  assert.equal(all.count, 1);
  assert.deepEqual(all.sizes, [4]);
  assert.equal(all.labels.reduce((s, v) => s + v, 0), 4);
  assert.equal(all.labels[index(shape, 0, 1, 0)], 0); // background stays 0
});

Deno.test("connectedComponents: a large snake needs no recursion; empty mask has no component", () => {
  // A 1-voxel-wide serpentine path through a 1x64x64 slice, 6-connected end to end.
  const shape: Vec3 = [1, 64, 64];
  const m = new Uint8Array(64 * 64);
  for (let y = 0; y < 64; y += 2) {
    for (let x = 0; x < 64; x++) m[index(shape, 0, y, x)] = 1;
    if (y + 1 < 64) m[index(shape, 0, y + 1, (y / 2) % 2 === 0 ? 63 : 0)] = 1;
  }
  const r = connectedComponents(m, shape, 6);
  assert.equal(r.count, 1);
  assert.equal(r.sizes[0], 32 * 64 + 32);
  const none = connectedComponents(new Uint8Array(8), [2, 2, 2]);
  assert.equal(none.count, 0);
  assert.deepEqual(none.sizes, []);
  assert.throws(() => connectedComponents(m, [1, 64, 63]), ShapeMismatchError);
  assert.throws(() => connectedComponents(m, shape, 8 as 6), InvalidArgumentError);
});

/** Truth: L1 = 3x3x3 cube (27), L2 = single voxel, L3 = 2x2x2 cube (8). */
function lesionCase(): { shape: Vec3; truth: Uint8Array; pred: Uint8Array } {
  const shape: Vec3 = [6, 8, 14];
  const truth = new Uint8Array(6 * 8 * 14);
  setBox(truth, shape, [1, 1, 1], [3, 3, 3]); // L1, first in raster order
  setBox(truth, shape, [1, 1, 10], [1, 1, 10]); // L2 (raster: z=1,y=1,x=10 after L1's first voxel)
  setBox(truth, shape, [3, 5, 10], [4, 6, 11]); // L3
  const pred = new Uint8Array(truth.length);
  setBox(pred, shape, [1, 1, 2], [3, 3, 4]); // L1 shifted one voxel in x: overlap 18, own size 27
  setBox(pred, shape, [3, 5, 10], [4, 6, 11]); // exactly L3
  setBox(pred, shape, [5, 0, 0], [5, 0, 0]); // a false-positive lesion
  return { shape, truth, pred };
}

Deno.test("lesionDetection: detection rate, per-lesion Dice and volumes", () => {
  const { shape, truth, pred } = lesionCase();
  const r = lesionDetection(pred, truth, shape, [2, 1, 0.5]); // 1 mm^3 voxels
  assert.equal(r.truthCount, 3);
  assert.equal(r.detected, 2);
  close(r.detectionRate, 2 / 3);
  assert.equal(r.predCount, 3);
  assert.equal(r.falsePositives, 1);
  assert.deepEqual(r.perLesion.map((l) => l.voxels), [27, 1, 8]);
  assert.deepEqual(r.perLesion.map((l) => l.detected), [true, false, true]);
  close(r.perLesion[0].dice, (2 * 18) / (27 + 27));
  assert.equal(r.perLesion[1].dice, 0);
  assert.equal(r.perLesion[2].dice, 1);
  close(r.perLesion[0].volumeMl, 0.027);
  close(r.perLesion[2].volumeMl, 0.008);
  // Raising the overlap requirement: L1 (18 voxels) stays detected at 10, L3 (8) does not.
  const strict = lesionDetection(pred, truth, shape, [2, 1, 0.5], { minOverlapVoxels: 10 });
  assert.deepEqual(strict.perLesion.map((l) => l.detected), [true, false, false]);
  close(strict.detectionRate, 1 / 3);
  assert.equal(lesionDetection(pred, truth, shape, [1, 1, 1], { minOverlapVoxels: 20 }).detected, 0);
  assert.throws(
    () => lesionDetection(pred, truth, shape, [1, 1, 1], { minOverlapVoxels: 0 }),
    InvalidArgumentError,
  );
});

Deno.test("lesionDetection: one predicted blob touching two lesions counts fully in both", () => {
  const shape: Vec3 = [1, 1, 7];
  const truth = Uint8Array.from([1, 1, 0, 0, 0, 1, 0]); // lesions {0,1} and {5}
  const pred = Uint8Array.from([0, 1, 1, 1, 1, 1, 0]); // one blob {1..5}
  const r = lesionDetection(pred, truth, shape, [1, 1, 1]);
  close(r.perLesion[0].dice, (2 * 1) / (2 + 5));
  close(r.perLesion[1].dice, (2 * 1) / (1 + 5));
  assert.equal(r.falsePositives, 0);
  const empty = lesionDetection(pred, new Uint8Array(7), shape, [1, 1, 1]);
  assert.equal(empty.truthCount, 0);
  assert.ok(Number.isNaN(empty.detectionRate));
  assert.equal(empty.falsePositives, 1);
});

Deno.test("diceBySize splits lesions at a volume threshold", () => {
  const { shape, truth, pred } = lesionCase();
  const r = lesionDetection(pred, truth, shape, [1, 1, 1]);
  // Volumes 0.027, 0.001 and 0.008 ml; threshold 0.01 ml: small = {L2: 0, L3: 1}, large = {L1: 2/3}.
  const { small, large } = diceBySize(r, 0.01);
  assert.equal(small.n, 2);
  close(small.mean, 0.5);
  close(small.sd, Math.SQRT1_2);
  assert.equal(large.n, 1);
  close(large.mean, 2 / 3);
  // A lesion exactly at the threshold is large.
  assert.equal(diceBySize(r, 0.008).small.n, 1);
  assert.equal(diceBySize(r, 0).large.n, 3);
  assert.throws(() => diceBySize(r, NaN), InvalidArgumentError);
});
