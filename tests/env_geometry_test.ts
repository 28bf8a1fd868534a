import assert from "node:assert/strict";
import { latticeAxis, latticeCorners, WindowGeometry } from "../env/geometry.ts";
import { InvalidArgumentError } from "../data/errors.ts";
import { Rng } from "../data/random.ts";

Deno.test("moves go +-stride along z, y, x and clamp at all six borders", () => {
  const g = new WindowGeometry([10, 12, 14], [4, 4, 4], 3);
  assert.deepEqual(g.maxCorner, [6, 8, 10]);
  const mid = [3, 4, 5] as const;
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((a) => g.move(mid, a)), [
    [6, 4, 5],
    [0, 4, 5],
    [3, 7, 5],
    [3, 1, 5],
    [3, 4, 8],
    [3, 4, 2],
  ]);
  // Borders: high side clamps to maxCorner, low side to 0.
  assert.deepEqual(g.move([5, 7, 9], 0), [6, 7, 9]);
  assert.deepEqual(g.move([5, 7, 9], 2), [5, 8, 9]);
  assert.deepEqual(g.move([5, 7, 9], 4), [5, 7, 10]);
  assert.deepEqual(g.move([1, 2, 2], 1), [0, 2, 2]);
  assert.deepEqual(g.move([1, 2, 2], 3), [1, 0, 2]);
  assert.deepEqual(g.move([1, 2, 2], 5), [1, 2, 0]);
  // Already at a border: the window stays.
  assert.deepEqual(g.move([6, 8, 10], 0), [6, 8, 10]);
  assert.deepEqual(g.move([0, 0, 0], 5), [0, 0, 0]);
});

Deno.test("start rules: centre, seeded random inside, explicit validated", () => {
  const g = new WindowGeometry([10, 12, 14], [4, 4, 4], 3);
  assert.deepEqual(g.start("center"), [3, 4, 5]);
  const r1 = new Rng(5), r2 = new Rng(5);
  for (let i = 0; i < 50; i++) {
    const c = g.start("random", r1);
    assert.ok(g.isValidCorner(c));
    assert.deepEqual(c, g.start("random", r2));
  }
  assert.deepEqual(g.start([6, 0, 10]), [6, 0, 10]);
  assert.throws(() => g.start([7, 0, 0]), InvalidArgumentError);
  assert.throws(() => new WindowGeometry([10, 12, 14], [11, 4, 4], 3), /does not fit/);
  assert.throws(() => new WindowGeometry([10, 12, 14], [4, 4, 4], 0), InvalidArgumentError);
});

Deno.test("lattice covers the volume up to the last border-touching corner", () => {
  assert.deepEqual(latticeAxis(10, 4, 3), [0, 3, 6]);
  assert.deepEqual(latticeAxis(11, 4, 3), [0, 3, 6, 7]);
  assert.deepEqual(latticeAxis(4, 4, 3), [0]);
  const { corners, latticeShape } = latticeCorners([10, 11, 4], [4, 4, 4], 3);
  assert.deepEqual(latticeShape, [3, 4, 1]);
  assert.equal(corners.length, 3 * 12);
  assert.deepEqual(Array.from(corners.subarray(0, 6)), [0, 0, 0, 0, 3, 0]);
  assert.deepEqual(Array.from(corners.subarray(33)), [6, 7, 0]);
});
