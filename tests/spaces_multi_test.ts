import assert from "node:assert/strict";
import { InvalidArgumentError } from "../data/errors.ts";
import { Box, Dict, Discrete } from "../env/spaces.ts";
import { MultiBinary, MultiDiscrete, Tuple } from "../env/spaces_multi.ts";
import { flatdim, flatten, flattenSpace, unflatten } from "../env/spaces_flatten.ts";

Deno.test("MultiDiscrete: contains, seeded samples in range, sample(mask) only allowed values", () => {
  const s = new MultiDiscrete([3, 2, 5], [0, 10, -2]);
  assert.ok(s.contains(Int32Array.of(2, 11, 2)));
  assert.ok(!s.contains(Int32Array.of(3, 10, 0)));
  assert.ok(!s.contains(Int32Array.of(0, 9, 0)));
  assert.ok(!s.contains(Int32Array.of(0, 10, 3))); // -2 + 5 is out
  assert.ok(!s.contains([0, 10, 0]));
  s.seed(4);
  const a = Array.from({ length: 20 }, () => Array.from(s.sample()));
  s.seed(4);
  const b = Array.from({ length: 20 }, () => Array.from(s.sample()));
  assert.deepEqual(a, b);
  assert.ok(a.every((v) => s.contains(Int32Array.from(v))));
  const mask = [Uint8Array.of(0, 1, 0), Uint8Array.of(0, 0), Uint8Array.of(1, 0, 0, 0, 1)];
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const v = s.sample(mask);
    assert.equal(v[0], 1); // the only allowed
    assert.equal(v[1], 10); // none allowed: start
    assert.ok(v[2] === -2 || v[2] === 2, `${v[2]}`);
    seen.add(String(v[2]));
  }
  assert.equal(seen.size, 2);
  assert.throws(() => s.sample([Uint8Array.of(1, 1)] as Uint8Array[]), InvalidArgumentError);
  assert.throws(
    () => s.sample([Uint8Array.of(1, 1, 1), Uint8Array.of(1, 2), Uint8Array.of(1, 1, 1, 1, 1)]),
    /only 0 and 1/,
  );
  assert.throws(() => new MultiDiscrete([]), InvalidArgumentError);
  assert.throws(() => new MultiDiscrete([2, 0]), InvalidArgumentError);
});

Deno.test("MultiBinary: bits only; mask 0 forces 0, 1 forces 1, 2 is random", () => {
  const s = new MultiBinary(4);
  assert.ok(s.contains(Uint8Array.of(0, 1, 1, 0)));
  assert.ok(!s.contains(Uint8Array.of(0, 2, 1, 0)));
  assert.ok(!s.contains(Uint8Array.of(0, 1, 1)));
  s.seed(1);
  const seen = [new Set<number>(), new Set<number>()];
  for (let i = 0; i < 100; i++) {
    const v = s.sample(Int8Array.of(0, 1, 2, 2));
    assert.deepEqual([v[0], v[1]], [0, 1]);
    seen[0].add(v[2]);
    seen[1].add(v[3]);
    assert.ok(s.contains(s.sample()));
  }
  assert.deepEqual([seen[0].size, seen[1].size], [2, 2]);
  assert.throws(() => s.sample(Int8Array.of(0, 1, 3, 2)), /random/);
  assert.throws(() => s.sample(Int8Array.of(0, 1)), InvalidArgumentError);
});

Deno.test("Tuple: members element-wise; seed(seed + i); sample(mask) per sub-space", () => {
  const t = new Tuple<[number, Uint8Array]>([new Discrete(3), new MultiBinary(2)]);
  assert.ok(t.contains([2, Uint8Array.of(1, 0)]));
  assert.ok(!t.contains([3, Uint8Array.of(1, 0)]));
  assert.ok(!t.contains([2]));
  for (let i = 0; i < 50; i++) {
    const [d, bits] = t.sample([Uint8Array.of(0, 0, 1), undefined]);
    assert.equal(d, 2);
    assert.ok(bits.length === 2);
  }
  t.seed(9);
  const x = JSON.stringify(Array.from({ length: 5 }, () => t.sample()));
  const d = new Discrete(3), m = new MultiBinary(2);
  d.seed(9);
  m.seed(10);
  const y = JSON.stringify(Array.from({ length: 5 }, () => [d.sample(), m.sample()]));
  assert.equal(x, y);
  assert.throws(() => t.sample([undefined]), InvalidArgumentError);
  assert.throws(() => new Tuple([]), InvalidArgumentError);
});

Deno.test("flatten/unflatten/flatdim: one-hot Discrete, concatenations, sorted Dict keys (by hand)", () => {
  const disc = new Discrete(4, 1);
  assert.equal(flatdim(disc), 4);
  assert.deepEqual(Array.from(flatten(disc, 3)), [0, 0, 1, 0]);
  assert.equal(unflatten(disc, [0, 0, 1, 0]), 3);
  const md = new MultiDiscrete([2, 3], [0, 5]);
  assert.equal(flatdim(md), 5);
  assert.deepEqual(Array.from(flatten(md, Int32Array.of(1, 5))), [0, 1, 1, 0, 0]);
  assert.deepEqual(unflatten(md, [1, 0, 0, 0, 1]), Int32Array.of(0, 7));
  const box = new Box([2, 2], -1, 1);
  assert.deepEqual(Array.from(flatten(box, Float32Array.of(0.5, -1, 0, 1))), [0.5, -1, 0, 1]);
  const ibox = new Box([2], 0, 9, "int32");
  assert.deepEqual(unflatten(ibox, [3, 4]), Int32Array.of(3, 4));
  const mb = new MultiBinary(3);
  assert.deepEqual(Array.from(flatten(mb, Uint8Array.of(1, 0, 1))), [1, 0, 1]);
  // Dict in sorted key order: "a" (Discrete 2) then "b" (Box 1), whatever the insertion order.
  const dict = new Dict<{ b: Float32Array; a: number }>({ b: new Box([1], 0, 5), a: new Discrete(2) });
  const tuple = new Tuple<[number, { b: Float32Array; a: number }, Uint8Array]>([new Discrete(3), dict, mb]);
  assert.equal(flatdim(tuple), 3 + 3 + 3);
  const x: [number, { b: Float32Array; a: number }, Uint8Array] = [
    1,
    { b: Float32Array.of(2.5), a: 1 },
    Uint8Array.of(0, 1, 1),
  ];
  const flat = flatten(tuple, x);
  assert.deepEqual(Array.from(flat), [0, 1, 0, 0, 1, 2.5, 0, 1, 1]);
  assert.deepEqual(unflatten(tuple, flat), x);
  const fs = flattenSpace(tuple);
  assert.deepEqual(fs.shape, [9]);
  assert.deepEqual(Array.from(fs.high), [1, 1, 1, 1, 1, 5, 1, 1, 1]);
  assert.ok(fs.contains(flat));
  // Errors: not a member, wrong length, not one-hot.
  assert.throws(() => flatten(disc, 0), /not a member/);
  assert.throws(() => unflatten(disc, [0, 1]), /flatdim/);
  assert.throws(() => unflatten(disc, [0, 1, 1, 0]), /one-hot/);
  assert.throws(() => unflatten(disc, [0, 0, 0, 0]), /no 1/);
});
