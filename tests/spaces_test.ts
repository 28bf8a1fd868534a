import assert from "node:assert/strict";
import { Box, Dict, Discrete } from "../env/spaces.ts";
import { InvalidArgumentError } from "../data/errors.ts";

Deno.test("Discrete: contains, seeded sample, start offset", () => {
  const d = new Discrete(6);
  assert.ok(d.contains(0) && d.contains(5));
  assert.ok(!d.contains(6) && !d.contains(-1) && !d.contains(2.5) && !d.contains("1"));
  d.seed(3);
  const a = Array.from({ length: 20 }, () => d.sample());
  d.seed(3);
  assert.deepEqual(Array.from({ length: 20 }, () => d.sample()), a);
  assert.ok(a.every((v) => d.contains(v)));
  const e = new Discrete(3, -1);
  assert.ok(e.contains(-1) && e.contains(1) && !e.contains(2));
});

Deno.test("Box: dtype, bounds, infinite bounds, samples are members", () => {
  const b = new Box([2, 3], -1, 1);
  b.seed(1);
  for (let i = 0; i < 50; i++) assert.ok(b.contains(b.sample()));
  assert.ok(!b.contains(new Float64Array(6)));
  assert.ok(!b.contains(new Float32Array(5)));
  assert.ok(!b.contains(Float32Array.of(0, 0, 0, 0, 0, 2)));
  assert.ok(!b.contains(Float32Array.of(0, 0, 0, 0, 0, NaN)));
  const u = new Box([4], -Infinity, Infinity);
  assert.ok(u.contains(Float32Array.of(-1000, 5000, 0, 1)));
  u.seed(2);
  assert.ok(u.contains(u.sample()));
  const half = new Box([3], Float64Array.of(0, -Infinity, 2), Float64Array.of(Infinity, 0, 2));
  half.seed(4);
  for (let i = 0; i < 20; i++) {
    const s = half.sample();
    assert.ok(s[0] >= 0 && s[1] <= 0 && s[2] === 2);
  }
  const ints = new Box([5], 0, 3, "int32");
  ints.seed(9);
  assert.ok(ints.sample() instanceof Int32Array);
  assert.ok(!ints.contains(new Float32Array(5)));
  assert.throws(() => new Box([2], 1, 0), InvalidArgumentError);
  assert.throws(() => new Box([2], 0, Infinity, "uint8"), InvalidArgumentError);
});

Deno.test("Dict: keys must match exactly", () => {
  const d = new Dict({ move: new Discrete(6), pos: new Box([3], 0, 1) });
  d.seed(0);
  const s = d.sample();
  assert.ok(d.contains(s));
  assert.ok(!d.contains({ move: 1 }));
  assert.ok(!d.contains({ move: 1, pos: new Float32Array(3), extra: 1 }));
  assert.ok(!d.contains(null));
});
