import assert from "node:assert/strict";
import { ProbabilityMap } from "../env/probability_map.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";
import type { Vec3 } from "../data/types.ts";

/** The map painted voxel by voxel, the obvious way. */
function naive(shape: Vec3, w: Vec3, events: [Vec3, number][], mode: "sum" | "mean" | "max"): Float32Array {
  const n = shape[0] * shape[1] * shape[2];
  const sum = new Float64Array(n), cnt = new Float64Array(n), max = new Float64Array(n);
  for (const [c, s] of events) {
    for (let z = c[0]; z < c[0] + w[0]; z++) {
      for (let y = c[1]; y < c[1] + w[1]; y++) {
        for (let x = c[2]; x < c[2] + w[2]; x++) {
          const i = (z * shape[1] + y) * shape[2] + x;
          sum[i] += s;
          cnt[i]++;
          max[i] = Math.max(max[i], s);
        }
      }
    }
  }
  return Float32Array.from(
    sum,
    (v, i) => mode === "sum" ? v : mode === "max" ? max[i] : cnt[i] ? v / cnt[i] : 0,
  );
}

Deno.test("ProbabilityMap: two windows, hand-computed sums, means, maxima and mask", () => {
  const m = new ProbabilityMap([1, 1, 6], [1, 1, 3], "sum");
  m.add([0, 0, 0], 0.25);
  m.add([0, 0, 2], 0.5);
  m.add([0, 0, 2], 0.125);
  // x:        0     1     2            3      4      5
  assert.deepEqual(Array.from(m.toArray()), [0.25, 0.25, 0.875, 0.625, 0.625, 0]);
  assert.deepEqual(Array.from(m.mask(0.5)), [0, 0, 1, 1, 1, 0]);
  assert.equal(m.events, 3);
  assert.equal(m.uniqueWindows, 2);
  const mean = new ProbabilityMap([1, 1, 6], [1, 1, 3], "mean");
  mean.add([0, 0, 0], 0.25);
  mean.add([0, 0, 2], 0.5);
  mean.add([0, 0, 2], 0.125);
  assert.deepEqual(Array.from(mean.toArray()), [0.25, 0.25, 0.875 / 3, 0.3125, 0.3125, 0].map(Math.fround));
  const max = new ProbabilityMap([1, 1, 6], [1, 1, 3], "max");
  max.add([0, 0, 0], 0.25);
  max.add([0, 0, 2], 0.5);
  max.add([0, 0, 2], 0.125);
  assert.deepEqual(Array.from(max.toArray()), [0.25, 0.25, 0.5, 0.5, 0.5, 0]);
});

Deno.test("ProbabilityMap: equals naive painting for random events in every mode; regions agree", () => {
  const shape: Vec3 = [7, 9, 11], w: Vec3 = [3, 4, 5];
  const rng = new Rng(11);
  const events: [Vec3, number][] = [];
  for (let i = 0; i < 60; i++) {
    events.push([[rng.int(5), rng.int(6), rng.int(7)], Math.round(rng.float() * 64) / 64]);
  }
  for (const mode of ["sum", "mean", "max"] as const) {
    const m = new ProbabilityMap(shape, w, mode);
    for (const [c, s] of events) m.add(c, s);
    const expected = naive(shape, w, events, mode);
    const got = m.toArray();
    for (let i = 0; i < got.length; i++) {
      assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `${mode} voxel ${i}`);
    }
    const region = m.region([2, 3, 4], [3, 4, 5]);
    for (let z = 0; z < 3; z++) {
      for (let y = 0; y < 4; y++) {
        for (let x = 0; x < 5; x++) {
          const full = ((z + 2) * 9 + y + 3) * 11 + x + 4;
          assert.ok(Math.abs(region[(z * 4 + y) * 5 + x] - expected[full]) < 1e-5);
        }
      }
    }
  }
});

Deno.test("ProbabilityMap: rejects unclamped corners and scores outside [0,1]; reset forgets", () => {
  const m = new ProbabilityMap([4, 4, 4], [2, 2, 2]);
  assert.throws(() => m.add([3, 0, 0], 0.5), InvalidArgumentError);
  assert.throws(() => m.add([-1, 0, 0], 0.5), InvalidArgumentError);
  assert.throws(() => m.add([0, 0, 0], 1.5), InvalidArgumentError);
  m.add([2, 2, 2], 1);
  m.reset();
  assert.equal(m.toArray().reduce((a, b) => a + b, 0), 0);
});

Deno.test("ProbabilityMap distinct: a revisited window counts once, hand-computed", () => {
  // Windows of 3 voxels on a row of 6: A at x=0 (visited 3 times, 0.5 each), B at x=2 (0.3 once).
  const events: [Vec3, number][] = [[[0, 0, 0], 0.5], [[0, 0, 2], 0.3], [[0, 0, 0], 0.5], [[0, 0, 0], 0.5]];
  const distinct = new ProbabilityMap([1, 1, 6], [1, 1, 3], "distinct");
  const sum = new ProbabilityMap([1, 1, 6], [1, 1, 3], "sum");
  for (const [c, s] of events) {
    distinct.add(c, s);
    sum.add(c, s);
  }
  // x:      0    1    2    3    4  5
  // A:     0.5  0.5  0.5
  // B:               0.3  0.3  0.3
  assert.deepEqual(Array.from(distinct.toArray(), (v) => Math.round(v * 1e6) / 1e6), [
    0.5,
    0.5,
    0.8,
    0.3,
    0.3,
    0,
  ]);
  assert.deepEqual(Array.from(sum.toArray(), (v) => Math.round(v * 1e6) / 1e6), [1.5, 1.5, 1.8, 0.3, 0.3, 0]);
});

Deno.test("ProbabilityMap distinct equals sum over the set of windows, random events", () => {
  const rng = new Rng(7);
  const shape: Vec3 = [5, 6, 7], w: Vec3 = [2, 3, 3];
  const scoreOf = new Map<string, number>();
  const events: [Vec3, number][] = [];
  for (let k = 0; k < 60; k++) {
    const c: Vec3 = [rng.int(4), rng.int(4), rng.int(5)];
    const key = c.join(",");
    if (!scoreOf.has(key)) scoreOf.set(key, rng.float());
    events.push([c, scoreOf.get(key)!]);
  }
  const m = new ProbabilityMap(shape, w, "distinct");
  for (const [c, s] of events) m.add(c, s);
  const once = [...scoreOf].map(([key, s]) =>
    [key.split(",").map(Number) as unknown as Vec3, s] as [Vec3, number]
  );
  const expected = naive(shape, w, once, "sum");
  const got = m.toArray();
  for (let i = 0; i < got.length; i++) assert.ok(Math.abs(got[i] - expected[i]) < 1e-5, `voxel ${i}`);
});
