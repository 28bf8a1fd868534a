import assert from "node:assert/strict";
import { OracleScorer } from "../env/oracle_scorer.ts";
import { MapScorer } from "../env/map_scorer.ts";
import { CachedScorer } from "../env/cached_scorer.ts";
import type { Scorer } from "../env/scorer.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import type { Vec3, Volume } from "../data/types.ts";
import { boxCase } from "./_cases.ts";

Deno.test("OracleScorer: share of target voxels per window (hand-computed), saturation", async () => {
  const c = boxCase("c", [8, 8, 8], [2, 2, 2], [4, 4, 4], 2);
  const oracle = new OracleScorer([c], { target: 2 });
  assert.match(oracle.id, /^oracle/);
  // Window 4x4x4 at the box: all target. At (0,0,0) and (4,4,4): overlap 2x2x2 = 8 of 64.
  // At (0,4,1): overlap z 2..3, y 4..5, x 2..4 = 2*2*3 = 12 of 64. A 2x2x2 window at (0,0,0): none.
  const s = await oracle.score(c.image, Int32Array.of(2, 2, 2, 0, 0, 0, 4, 4, 4, 0, 4, 1), [4, 4, 4]);
  assert.deepEqual(Array.from(s), [1, 0.125, 0.125, 0.1875]);
  assert.deepEqual(Array.from(await oracle.score(c.image, Int32Array.of(0, 0, 0), [2, 2, 2])), [0]);
  const wrongTarget = new OracleScorer([c], { target: 1 });
  assert.deepEqual(Array.from(await wrongTarget.score(c.image, Int32Array.of(2, 2, 2), [4, 4, 4])), [0]);
  const sat = new OracleScorer([c], { target: [1, 2], saturation: 0.5 });
  assert.deepEqual(Array.from(await sat.score(c.image, Int32Array.of(0, 0, 0, 2, 2, 2), [4, 4, 4])), [
    0.25,
    1,
  ]);
  const stranger: Volume = { ...c.image, id: "other" };
  assert.throws(() => oracle.score(stranger, Int32Array.of(0, 0, 0), [4, 4, 4]), InvalidArgumentError);
  assert.throws(() => oracle.score(c.image, Int32Array.of(5, 0, 0), [4, 4, 4]), InvalidArgumentError);
});

Deno.test("MapScorer: mean and centre reductions", async () => {
  const c = boxCase("c", [2, 2, 4], [0, 0, 0], [1, 1, 1]);
  const map = Float32Array.from({ length: 16 }, (_, i) => i / 16);
  const mean = new MapScorer("mean").set(c.image, map);
  // Window 2x2x2 at x=0: voxels x in {0,1}, y in {0,1}, z in {0,1}: indices 0,1,4,5,8,9,12,13 -> mean 6.5/16.
  assert.deepEqual(Array.from(await mean.score(c.image, Int32Array.of(0, 0, 0), [2, 2, 2])), [
    Math.fround(6.5 / 16),
  ]);
  const centre = new MapScorer("center").set(c.image, map);
  // Centre voxel = corner + floor(size / 2) = (1, 1, 1) -> index 13.
  assert.deepEqual(Array.from(await centre.score(c.image, Int32Array.of(0, 0, 0), [2, 2, 2])), [13 / 16]);
  assert.throws(() => new MapScorer().set(c.image, new Float32Array(16).fill(2)), InvalidArgumentError);
});

class CountingScorer implements Scorer {
  readonly id = "counting";
  calls: number[] = [];
  constructor(readonly inner: Scorer) {}
  score(volume: Volume, corners: Int32Array, size: Vec3): Promise<Float32Array> {
    this.calls.push(corners.length / 3);
    return this.inner.score(volume, corners, size);
  }
}

Deno.test("CachedScorer: same scores as the uncached scorer, counts hits, forwards misses once", async () => {
  const c = boxCase("c", [8, 8, 8], [1, 2, 3], [4, 3, 2], 1);
  const oracle = new OracleScorer([c]);
  const counting = new CountingScorer(oracle);
  const cached = new CachedScorer(counting);
  const corners = Int32Array.of(0, 0, 0, 1, 1, 1, 0, 0, 0, 2, 2, 2);
  const first = await cached.score(c.image, corners, [4, 4, 4]);
  assert.deepEqual(first, await oracle.score(c.image, corners, [4, 4, 4]));
  assert.deepEqual(counting.calls, [3]); // the repeated corner forwarded once
  const second = await cached.score(c.image, Int32Array.of(2, 2, 2, 3, 3, 3), [4, 4, 4]);
  assert.deepEqual(second, await oracle.score(c.image, Int32Array.of(2, 2, 2, 3, 3, 3), [4, 4, 4]));
  assert.deepEqual(counting.calls, [3, 1]);
  const stats = cached.stats;
  assert.equal(stats.hits, 1);
  assert.equal(stats.misses, 4);
  assert.equal(stats.innerCalls, 2);
  assert.equal(stats.entries, 4);
  // A different window size is a different key.
  await cached.score(c.image, Int32Array.of(0, 0, 0), [2, 2, 2]);
  assert.deepEqual(counting.calls, [3, 1, 1]);
  await cached.score(c.image, Int32Array.of(0, 0, 0, 1, 1, 1), [4, 4, 4]);
  assert.deepEqual(counting.calls, [3, 1, 1]);
  assert.equal(cached.stats.hits, 3);
});

Deno.test("CachedScorer: a corner asked by two requests on one volume in one call is scored once", async () => {
  const c = boxCase("c", [8, 8, 8], [1, 2, 3], [4, 3, 2], 1);
  const d = boxCase("d", [8, 8, 8], [0, 0, 0], [4, 4, 4], 1);
  const oracle = new OracleScorer([c, d]);
  const counting = new CountingScorer(oracle);
  const cached = new CachedScorer(counting);
  const [x, y, z] = await cached.scoreBatch([
    { volume: c.image, corners: Int32Array.of(0, 0, 0, 1, 1, 1) },
    { volume: c.image, corners: Int32Array.of(1, 1, 1, 2, 2, 2) },
    { volume: d.image, corners: Int32Array.of(1, 1, 1) },
  ], [4, 4, 4]);
  assert.deepEqual(counting.calls, [3, 1]); // c: 3 distinct corners; d: 1 (CountingScorer has no scoreBatch)
  assert.equal(cached.stats.misses, 4);
  assert.equal(cached.stats.innerCalls, 1);
  assert.deepEqual(x[1], y[0]);
  assert.deepEqual(Array.from(z), Array.from(await oracle.score(d.image, Int32Array.of(1, 1, 1), [4, 4, 4])));
});
